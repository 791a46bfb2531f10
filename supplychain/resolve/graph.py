"""The dependency graph (a networkx DiGraph) and the queries reviewers ask of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import networkx as nx
from packaging.utils import NormalizedName

from supplychain.model import ResolvedPackage

ROOT = "<root>"  # the environment itself; not a valid PEP 503 name, so never collides


@dataclass(frozen=True, slots=True, kw_only=True)
class Edge:
    """A requirement from one node to another, as declared (specifier, extras, marker)."""

    specifier: str = ""
    extras: tuple[str, ...] = ()
    marker: str | None = None


class DependencyGraph:
    """One root for the environment, one node per package name, one edge per requirement."""

    def __init__(self) -> None:
        self._graph: nx.DiGraph = nx.DiGraph()
        self._graph.add_node(ROOT)

    @property
    def nx(self) -> nx.DiGraph:
        """The underlying networkx graph (nodes: names and ROOT; attrs ``package``, ``edge``)."""
        return self._graph

    def add_package(self, package: ResolvedPackage) -> None:
        """Add the node ``package.ref.name``: one node per name, as an environment holds one version."""
        self._graph.add_node(package.ref.name, package=package)

    def add_edge(self, parent: NormalizedName | str, child: NormalizedName, edge: Edge) -> None:
        """``parent`` is a package name or ROOT; both ends must already be nodes."""
        if parent not in self._graph or child not in self._graph:
            raise KeyError(f"edge {parent} -> {child} names a node that is not in the graph")
        self._graph.add_edge(parent, child, edge=edge)

    def __contains__(self, name: object) -> bool:
        return name != ROOT and name in self._graph

    def __len__(self) -> int:
        return int(self._graph.number_of_nodes()) - 1

    def packages(self) -> Iterator[ResolvedPackage]:
        """Every package, sorted by name."""
        for name in sorted(n for n in self._graph.nodes if n != ROOT):
            yield self._graph.nodes[name]["package"]

    def package(self, name: NormalizedName) -> ResolvedPackage:
        """The package of node ``name``; KeyError when the graph has none."""
        return self._graph.nodes[name]["package"]  # type: ignore[no-any-return]  # networkx is untyped

    def edge(self, parent: str, child: str) -> Edge:
        """The requirement ``parent`` → ``child`` (``parent`` may be ROOT); KeyError when there is none."""
        return self._graph.edges[parent, child]["edge"]  # type: ignore[no-any-return]

    def is_direct(self, name: NormalizedName) -> bool:
        """Does the environment itself require ``name`` (an edge from ROOT), not only another package?"""
        return bool(self._graph.has_edge(ROOT, name))

    def requested_by(self, name: NormalizedName) -> list[str]:
        """Names of the packages requiring ``name`` (ROOT shown as ``<root>``), sorted."""
        return sorted(self._graph.predecessors(name))

    def dependents(self, name: NormalizedName) -> list[NormalizedName]:
        """Every package that depends on ``name`` directly or transitively, sorted."""
        return sorted(n for n in nx.ancestors(self._graph, name) if n != ROOT)

    def dependencies(self, name: NormalizedName) -> list[NormalizedName]:
        """The names ``name`` requires directly, sorted."""
        return sorted(self._graph.successors(name))

    def depth(self, name: NormalizedName) -> int | None:
        """Shortest number of edges from the root (1 = direct); None when unreachable."""
        try:
            return int(nx.shortest_path_length(self._graph, ROOT, name))
        except nx.NetworkXNoPath:
            return None

    def depths(self) -> dict[str, int]:
        """All depths in one BFS (the per-name query is O(graph) each)."""
        lengths = nx.single_source_shortest_path_length(self._graph, ROOT)
        return {name: int(length) for name, length in lengths.items() if name != ROOT}

    def why(self, name: NormalizedName, limit: int = 1000) -> list[list[str]]:
        """Every simple path from the root to ``name`` (without the root), shortest first."""
        if name not in self:
            return []
        paths: list[list[str]] = []
        for path in nx.all_simple_paths(self._graph, ROOT, name):
            paths.append(list(path[1:]))
            if len(paths) >= limit:
                break
        return sorted(paths, key=lambda p: (len(p), p))

    def top_level_for(self, name: NormalizedName) -> list[NormalizedName]:
        """The direct requirements through which ``name`` enters the environment, sorted."""
        if self.is_direct(name):
            return [name]
        return sorted(n for n in self._graph.successors(ROOT) if nx.has_path(self._graph, n, name))
