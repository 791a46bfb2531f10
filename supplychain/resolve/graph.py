"""The dependency graph (plain adjacency dicts, networkx on demand) and the queries reviewers ask of it."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName
from packaging.version import Version

from supplychain.model import ResolvedPackage

if TYPE_CHECKING:
    import networkx as nx

ROOT = "<root>"  # the environment itself; not a valid PEP 503 name, so never collides


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

    Stored as insertion-ordered adjacency dicts (networkx's own layout): importing networkx costs a
    warm audit more than the audit's graph work, so it is imported only for ``why`` and ``nx``.
    """

    def __init__(self) -> None:
        self._versions: dict[str, dict[Version, ResolvedPackage]] = {ROOT: {}}
        self._succ: dict[str, dict[str, Edge]] = {ROOT: {}}
        self._pred: dict[str, dict[str, Edge]] = {ROOT: {}}

    @property
    def nx(self) -> nx.DiGraph:
        """A networkx copy of the graph (nodes: names and ROOT; attrs ``versions``, ``edge``)."""
        import networkx as nx

        graph: nx.DiGraph = nx.DiGraph()
        for name, versions in self._versions.items():
            if name == ROOT:
                graph.add_node(ROOT)
            else:
                graph.add_node(name, versions=versions)
        for parent, children in self._succ.items():
            for child, edge in children.items():
                graph.add_edge(parent, child, edge=edge)
        return graph

    def copy(self) -> DependencyGraph:
        """An independent copy: changing its nodes' versions or edges leaves this graph as it is."""
        copy = DependencyGraph()
        copy._versions = {name: dict(versions) for name, versions in self._versions.items()}
        copy._succ = {name: dict(children) for name, children in self._succ.items()}
        copy._pred = {name: dict(parents) for name, parents in self._pred.items()}
        return copy

    def add_package(self, package: ResolvedPackage) -> None:
        """Add ``package`` to the node of its name; a version already there is kept as first added."""
        name = package.ref.name
        if name not in self._versions:
            self._versions[name] = {}
            self._succ[name] = {}
            self._pred[name] = {}
        self._versions[name].setdefault(package.ref.version, package)

    def replace(self, package: ResolvedPackage) -> None:
        """Put ``package`` in place of the version it names; KeyError when the graph lacks that version."""
        versions = self._versions[package.ref.name]
        if package.ref.version not in versions:
            raise KeyError(f"{package.ref} is not in the graph")
        versions[package.ref.version] = package

    def only(self, package: ResolvedPackage) -> None:
        """Make ``package`` the one version of its name (``fix`` moves a name to one version)."""
        self._versions[package.ref.name] = {package.ref.version: package}

    def has_version(self, name: NormalizedName, version: Version) -> bool:
        """Is ``name`` at ``version`` in the graph (the name may be there at other versions)?"""
        return name in self and version in self._versions[name]

    def add_edge(self, parent: NormalizedName | str, child: NormalizedName, edge: Edge) -> None:
        """``parent`` is a package name or ROOT; both ends must already be nodes."""
        if parent not in self._versions or child not in self._versions:
            raise KeyError(f"edge {parent} -> {child} names a node that is not in the graph")
        self._succ[parent][child] = edge
        self._pred[child][parent] = edge

    def has_edge(self, parent: str, child: str) -> bool:
        """Is there a requirement ``parent`` → ``child`` (``parent`` may be ROOT)?"""
        return child in self._succ.get(parent, {})

    def edges(self) -> list[tuple[str, str]]:
        """Every (parent, child) pair, ROOT's included, in the order they were added."""
        return [(parent, child) for parent, children in self._succ.items() for child in children]

    def __contains__(self, name: object) -> bool:
        return name != ROOT and name in self._versions

    def __len__(self) -> int:
        """Package versions, each audited: a name at two versions counts twice."""
        return sum(len(versions) for name, versions in self._versions.items() if name != ROOT)

    def names(self) -> list[NormalizedName]:
        """Every package name, sorted."""
        return sorted(NormalizedName(n) for n in self._versions if n != ROOT)

    def packages(self) -> Iterator[ResolvedPackage]:
        """Every package version, sorted by name, then version."""
        for name in self.names():
            yield from self.versions(name)

    def versions(self, name: NormalizedName) -> list[ResolvedPackage]:
        """Every version of ``name`` in the graph, lowest first; KeyError when the graph has none."""
        if name == ROOT:
            raise KeyError(name)
        versions = self._versions[name]
        return [versions[version] for version in sorted(versions)]

    def package(self, name: NormalizedName) -> ResolvedPackage:
        """The highest version of ``name`` (``versions`` gives all); KeyError when the graph has none."""
        return self.versions(name)[-1]

    def edge(self, parent: str, child: str) -> Edge:
        """The requirement ``parent`` → ``child`` (``parent`` may be ROOT); KeyError when there is none."""
        return self._succ[parent][child]

    def is_direct(self, name: NormalizedName) -> bool:
        """Does the environment itself require ``name`` (an edge from ROOT), not only another package?"""
        return name in self._succ[ROOT]

    def predecessors(self, name: str) -> list[str]:
        """The nodes requiring ``name`` (ROOT included), in the order their edges were added."""
        return list(self._pred[name])

    def successors(self, name: str) -> list[str]:
        """The nodes ``name`` (a package or ROOT) requires, in the order their edges were added."""
        return list(self._succ[name])

    def requested_by(self, name: NormalizedName) -> list[str]:
        """Names of the packages requiring ``name`` (ROOT shown as ``<root>``), sorted."""
        return sorted(self._pred[name])

    def dependents(self, name: NormalizedName) -> list[NormalizedName]:
        """Every package that depends on ``name`` directly or transitively, sorted."""
        return sorted(NormalizedName(n) for n in self._reach(name, self._pred) if n not in (ROOT, name))

    def dependencies(self, name: NormalizedName) -> list[NormalizedName]:
        """The names ``name`` requires directly, sorted."""
        return sorted(NormalizedName(n) for n in self._succ[name])

    def depth(self, name: NormalizedName) -> int | None:
        """Shortest number of edges from the root (1 = direct); None when unreachable."""
        if name not in self._versions:
            raise KeyError(f"{name} is not in the graph")
        return self._distances().get(name)

    def depths(self) -> dict[str, int]:
        """All depths in one BFS (the per-name query is O(graph) each)."""
        return {name: length for name, length in self._distances().items() if name != ROOT}

    def why(self, name: NormalizedName, limit: int = 1000) -> list[list[str]]:
        """Every simple path from the root to ``name`` (without the root), shortest first."""
        if name not in self:
            return []
        import networkx as nx

        paths: list[list[str]] = []
        for path in nx.all_simple_paths(self.nx, ROOT, name):
            paths.append(list(path[1:]))
            if len(paths) >= limit:
                break
        return sorted(paths, key=lambda p: (len(p), p))

    def top_level_for(self, name: NormalizedName) -> list[NormalizedName]:
        """The direct requirements through which ``name`` enters the environment, sorted."""
        if self.is_direct(name):
            return [name]
        above = self._reach(name, self._pred)
        return sorted(NormalizedName(n) for n in self._succ[ROOT] if n in above)

    def _distances(self) -> dict[str, int]:
        """Breadth-first distances from ROOT to every node it reaches (ROOT itself 0)."""
        distances = {ROOT: 0}
        queue = deque([ROOT])
        while queue:
            node = queue.popleft()
            for child in self._succ[node]:
                if child not in distances:
                    distances[child] = distances[node] + 1
                    queue.append(child)
        return distances

    @staticmethod
    def _reach(start: str, adjacency: dict[str, dict[str, Edge]]) -> set[str]:
        """Every node reachable from ``start`` along ``adjacency`` (``start`` included)."""
        seen = {start}
        stack = [start]
        while stack:
            for other in adjacency[stack.pop()]:
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        return seen
