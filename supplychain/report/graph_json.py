"""The dependency graph as the JSON contract of issue 2, and as DOT and GraphML for other tools."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from packaging.utils import NormalizedName

from supplychain.model import PackageFacts, PackageRef
from supplychain.resolve.graph import ROOT, DependencyGraph
from supplychain.target import Target

SCHEMA_VERSION = 1


def graph_document(
    graph: DependencyGraph,
    *,
    target: Target,
    inputs: Sequence[str],
    facts: Mapping[PackageRef, PackageFacts] | None = None,
) -> dict[str, object]:
    """``schema_version``, ``target``, ``inputs`` and ``packages`` sorted by name."""
    depths = graph.depths()
    packages: list[dict[str, object]] = []
    for package in graph.packages():
        name = package.ref.name
        entry: dict[str, object] = {
            "name": name,
            "version": str(package.ref.version),
            "direct": graph.is_direct(name),
            "origin": {
                "kind": package.origin.kind.value,
                "url": package.origin.url.public if package.origin.url else None,
                "hashes": list(package.origin.file_hashes),
            },
            "requested_by": graph.requested_by(name),
            "depth": depths.get(name),
            "unresolved": package.unresolved,
        }
        if facts is not None and package.ref in facts:
            from supplychain.report.facts_json import facts_json

            entry.update(facts_json(facts[package.ref]))
        packages.append(entry)
    return {
        "schema_version": SCHEMA_VERSION,
        "target": {"python_version": str(target.python_version), "platform": target.platform},
        "inputs": list(inputs),
        "packages": packages,
    }


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def graph_dot(graph: DependencyGraph) -> str:
    """Graphviz DOT, every identifier quoted and escaped."""
    lines = ["digraph dependencies {", f"  {_quote(ROOT)} [shape=box];"]
    for name in graph.names():  # one node per name, labelled with every version (forks)
        label = f"{name} {_versions(graph, name)}"
        lines.append(f"  {_quote(name)} [label={_quote(label)}];")
    for parent, child in sorted(graph.nx.edges):
        edge = graph.edge(parent, child)
        label = edge.specifier + (f"; {edge.marker}" if edge.marker else "")
        lines.append(f"  {_quote(parent)} -> {_quote(child)} [label={_quote(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _versions(graph: DependencyGraph, name: NormalizedName) -> str:
    """``1.26.4, 2.2.6``: every version of ``name`` the graph holds, lowest first."""
    return ", ".join(str(p.ref.version) for p in graph.versions(name))


def graph_graphml(graph: DependencyGraph) -> str:
    """GraphML with string attributes only (networkx refuses dataclass attributes)."""
    import networkx as nx  # not at the top: see supplychain.resolve.graph

    plain = nx.DiGraph()
    plain.add_node(ROOT, version="", origin="")
    for name in graph.names():
        package = graph.package(name)
        plain.add_node(
            name,
            version=_versions(graph, name),
            origin=package.origin.kind.value,
            unresolved=package.unresolved or "",
        )
    for parent, child in sorted(graph.nx.edges):
        edge = graph.edge(parent, child)
        plain.add_edge(
            parent,
            child,
            specifier=edge.specifier,
            extras=",".join(edge.extras),
            marker=edge.marker or "",
        )
    buffer = io.BytesIO()
    nx.write_graphml(plain, buffer)
    return buffer.getvalue().decode()
