"""The dependency graph (a networkx DiGraph) and the queries reviewers ask of it.

networkx is imported when a graph is first built, not with this module: it takes 0.3 s, a tenth of
a warm resolution, and ``preload`` lets a resolver import it while it waits on the network.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName
from packaging.version import Version

from supplychain.model import ResolvedPackage

if TYPE_CHECKING:
    import networkx as nx

ROOT = "<root>"  # the environment itself; not a valid PEP 503 name, so never collides


def preload() -> None:
    """Start importing networkx in a thread (a later ``import networkx`` waits for it to finish)."""
    if "networkx" not in sys.modules:
        threading.Thread(target=importlib.import_module, args=("networkx",), daemon=True).start()


@dataclass(frozen=True, slots=True, kw_only=True)
class Edge:
    """A requirement from one node to another, as declared (specifier, extras, marker)."""

    specifier: str = ""
    extras: tuple[str, ...] = ()
    marker: str | None = None


class DependencyGraph:
    """One root for the environment, one node per package name, one edge per requirement.

    A node holds every version of its name the input installs somewhere: a universal lock's forks
    (numpy 1.26 for Python 3.9, 2.2 for 3.10+), a Pipfile.lock's ``default`` and ``develop``, a pins
    file's per-marker pins. Each version is audited and reported on its own; edges and paths are per
    name, so ``why`` and ``depth`` answer for every version of the name alike.
    """

    def __init__(self) -> None:
        import networkx as nx  # here, not at the top: see the module's docstring

        self._graph: nx.DiGraph = nx.DiGraph()
        self._graph.add_node(ROOT)

    @property
    def nx(self) -> nx.DiGraph:
        """The underlying networkx graph (nodes: names and ROOT; attrs ``versions``, ``edge``)."""
        return self._graph

    def add_package(self, package: ResolvedPackage) -> None:
        """Add ``package`` to the node of its name; a version already there is kept as first added."""
        name = package.ref.name
        if name not in self._graph:
            self._graph.add_node(name, versions={})
        versions: dict[Version, ResolvedPackage] = self._graph.nodes[name]["versions"]
        versions.setdefault(package.ref.version, package)

    def replace(self, package: ResolvedPackage) -> None:
        """Put ``package`` in place of the version it names; KeyError when the graph lacks that version."""
        versions: dict[Version, ResolvedPackage] = self._graph.nodes[package.ref.name]["versions"]
        if package.ref.version not in versions:
            raise KeyError(f"{package.ref} is not in the graph")
        versions[package.ref.version] = package

    def has_version(self, name: NormalizedName, version: Version) -> bool:
        """Is ``name`` at ``version`` in the graph (the name may be there at other versions)?"""
        return name in self and version in self._graph.nodes[name]["versions"]

    def add_edge(self, parent: NormalizedName | str, child: NormalizedName, edge: Edge) -> None:
        """``parent`` is a package name or ROOT; both ends must already be nodes."""
        if parent not in self._graph or child not in self._graph:
            raise KeyError(f"edge {parent} -> {child} names a node that is not in the graph")
        self._graph.add_edge(parent, child, edge=edge)

    def __contains__(self, name: object) -> bool:
        return name != ROOT and name in self._graph

    def __len__(self) -> int:
        """Package versions, each audited: a name at two versions counts twice."""
        return sum(len(self.versions(name)) for name in self.names())

    def names(self) -> list[NormalizedName]:
        """Every package name, sorted."""
        return sorted(n for n in self._graph.nodes if n != ROOT)

    def packages(self) -> Iterator[ResolvedPackage]:
        """Every package version, sorted by name, then version."""
        for name in self.names():
            yield from self.versions(name)

    def versions(self, name: NormalizedName) -> list[ResolvedPackage]:
        """Every version of ``name`` in the graph, lowest first; KeyError when the graph has none."""
        versions: dict[Version, ResolvedPackage] = self._graph.nodes[name]["versions"]
        return [versions[version] for version in sorted(versions)]

    def package(self, name: NormalizedName) -> ResolvedPackage:
        """The highest version of ``name`` (``versions`` gives all); KeyError when the graph has none."""
        return self.versions(name)[-1]

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
        import networkx as nx

        return sorted(n for n in nx.ancestors(self._graph, name) if n != ROOT)

    def dependencies(self, name: NormalizedName) -> list[NormalizedName]:
        """The names ``name`` requires directly, sorted."""
        return sorted(self._graph.successors(name))

    def depth(self, name: NormalizedName) -> int | None:
        """Shortest number of edges from the root (1 = direct); None when unreachable."""
        import networkx as nx

        try:
            return int(nx.shortest_path_length(self._graph, ROOT, name))
        except nx.NetworkXNoPath:
            return None

    def depths(self) -> dict[str, int]:
        """All depths in one BFS (the per-name query is O(graph) each)."""
        import networkx as nx

        lengths = nx.single_source_shortest_path_length(self._graph, ROOT)
        return {name: int(length) for name, length in lengths.items() if name != ROOT}

    def why(self, name: NormalizedName, limit: int = 1000) -> list[list[str]]:
        """Every simple path from the root to ``name`` (without the root), shortest first."""
        import networkx as nx

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
        import networkx as nx

        if self.is_direct(name):
            return [name]
        return sorted(n for n in self._graph.successors(ROOT) if nx.has_path(self._graph, n, name))
