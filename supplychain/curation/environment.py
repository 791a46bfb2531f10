"""The resolved set of an input, the way ``audit`` reads it, for the allowlist and inventory commands."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable

from supplychain.config import AuditConfig
from supplychain.errors import InputError, UsageError
from supplychain.inputs import InputOptions
from supplychain.inputs.detect import load_input
from supplychain.model import (
    DeclaredRequirement,
    InputSet,
    Location,
    LockedSet,
    Origin,
    OriginKind,
    PackageRef,
    ResolvedPackage,
)
from supplychain.net.http import Http
from supplychain.progress import NullProgress
from supplychain.resolve.graph import ROOT, DependencyGraph, Edge
from supplychain.resolve.locked import graph_from_locked

GraphBuilder = Callable[[InputSet, AuditConfig, Http, NullProgress], Awaitable[DependencyGraph]]


def read_inputs(config: AuditConfig) -> InputSet:
    options = InputOptions(target=config.target, extras=config.extras, groups=config.groups)
    return load_input(config.input_path, input_format=config.input_format, options=options)


async def resolved_packages(config: AuditConfig, http: Http) -> tuple[ResolvedPackage, ...]:
    """Every package of the input for the target, sorted by name, with the hashes the input pinned."""
    inputs = read_inputs(config)
    graph = await build(inputs, config, http)
    return tuple(graph.packages())


async def build(inputs: InputSet, config: AuditConfig, http: Http) -> DependencyGraph:
    """H3's ``build_graph`` when present; locked sets and ``--no-deps`` pins need no resolver."""
    builder = _resolver()
    if builder is not None:
        return await builder(inputs, config, http, NullProgress())
    if isinstance(inputs, LockedSet):
        return graph_from_locked(inputs, config.target)
    return _pins(inputs.requirements, config)


def _resolver() -> GraphBuilder | None:
    module = importlib.import_module("supplychain.resolve")
    builder: GraphBuilder | None = getattr(module, "build_graph", None)
    return builder


def _pins(requirements: tuple[DeclaredRequirement, ...], config: AuditConfig) -> DependencyGraph:
    """Without a resolver only exact pins can be taken as the set (what ``--no-deps`` means)."""
    if not config.no_deps:
        raise UsageError("this input needs dependency resolution; pass --no-deps to take its pins as the set")
    graph = DependencyGraph()
    for requirement in requirements:
        version = requirement.pinned_version
        if version is None:
            raise InputError(
                f"{requirement.requirement} is not pinned with == (needed with --no-deps)",
                location=requirement.location,
            )
        origin = requirement.origin or Origin(
            kind=OriginKind.INDEX, hashes=tuple(sorted(set(requirement.hashes)))
        )
        graph.add_package(
            ResolvedPackage(
                ref=PackageRef(name=requirement.name, version=version),
                origin=origin,
                declared_at=Location(file=requirement.location.file, line=requirement.location.line),
            )
        )
        graph.add_edge(ROOT, requirement.name, Edge(specifier=str(requirement.requirement.specifier)))
    return graph
