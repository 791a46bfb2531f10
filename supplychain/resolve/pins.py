"""Graphs without resolving: ``--no-deps`` pins as they are, and packages another installer lists."""

from __future__ import annotations

from packaging.version import Version

from supplychain.errors import InputError
from supplychain.model import (
    UNKNOWN_VERSION,
    DeclaredRequirement,
    Origin,
    OriginKind,
    PackageRef,
    RequirementSet,
    ResolvedPackage,
)
from supplychain.resolve.graph import ROOT, DependencyGraph, Edge


def add_listed(graph: DependencyGraph, inputs: RequirementSet) -> None:
    """The packages another installer provides (conda's), each a direct node as listed, never resolved.

    None satisfies a requirement on a PyPI project of its name: the PyPI one is resolved and audited
    beside it (a conda package's version carries its build, so the two never share a node version).
    """
    for package in inputs.listed:
        ref = package.ref
        if not graph.has_version(ref.name, ref.version):
            graph.add_package(ResolvedPackage(ref=ref, origin=package.origin, declared_at=package.location))
        if not graph.has_edge(ROOT, ref.name):
            specifier = f"=={ref.version.public}" if ref.version_known else ""
            graph.add_edge(ROOT, ref.name, Edge(specifier=specifier))


def pins_graph(inputs: RequirementSet) -> DependencyGraph:
    """``--no-deps``: each requirement is a direct node at its ``==`` pin, nothing resolved.

    An index requirement without a pin is an input error; a direct reference stays unresolved.
    """
    graph = DependencyGraph()
    for declared in inputs.requirements:
        version = declared.pinned_version
        if declared.origin is None and version is None:
            raise InputError(
                f"{declared.requirement} is not pinned with == (required by --no-deps)",
                location=declared.location,
            )
        add_declared(graph, declared, version)
    return graph


def add_declared(graph: DependencyGraph, declared: DeclaredRequirement, version: Version | None) -> None:
    """A pinned or direct requirement as a node; a direct reference stating no version is version-unknown."""
    origin = declared.origin or Origin(kind=OriginKind.INDEX, hashes=declared.hashes)
    unresolved = None
    if declared.origin is not None:
        unresolved = f"not fetched: direct reference ({declared.origin.kind.value})"
    ref = PackageRef(name=declared.name, version=version if version is not None else UNKNOWN_VERSION)
    if not graph.has_version(declared.name, ref.version):  # pins per marker: each version is audited
        graph.add_package(
            ResolvedPackage(ref=ref, origin=origin, unresolved=unresolved, declared_at=declared.location)
        )
    graph.add_edge(ROOT, declared.name, edge_of(declared))


def edge_of(declared: DeclaredRequirement) -> Edge:
    """The edge from the environment to a requirement of the input, as it was declared."""
    requirement = declared.requirement
    return Edge(
        specifier=str(requirement.specifier),
        extras=tuple(sorted(requirement.extras)),
        marker=str(requirement.marker) if requirement.marker else None,
    )
