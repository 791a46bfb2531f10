"""Turn a LockedSet into the dependency graph for one target, following only edges whose markers hold."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName

from supplychain.model import Location, LockedDependency, LockedPackage, LockedSet, ResolvedPackage
from supplychain.resolve.graph import ROOT, DependencyGraph, Edge
from supplychain.target import Target


def graph_from_locked(locked: LockedSet, target: Target) -> DependencyGraph:
    """Walk from the roots (every package when there are none), with extras propagated along edges.

    A lock never gets re-resolved: the version of each node is the lock's; when a name has several
    versions (uv forks) the edge's ``==<version>`` picks one. Packages unreachable for the target
    are left out.
    """
    graph = DependencyGraph()
    for step in walk(locked, target):
        parent, package, dependency, declared_at = step
        name = package.ref.name
        if name not in graph:
            graph.add_package(
                ResolvedPackage(ref=package.ref, origin=package.origin, declared_at=declared_at)
            )
        if not graph.nx.has_edge(parent, name):
            graph.add_edge(
                parent,
                name,
                Edge(specifier=dependency.specifier, extras=dependency.extras, marker=dependency.marker),
            )
    return graph


Step = tuple[str, LockedPackage, LockedDependency, Location | None]


def walk(locked: LockedSet, target: Target) -> Iterable[Step]:
    """Every (parent, package, edge, declared_at) the target reaches, breadth first, deterministic."""
    candidates: dict[NormalizedName, list[LockedPackage]] = {}
    for entry in locked.packages:
        if target.evaluate(entry.marker):
            candidates.setdefault(entry.ref.name, []).append(entry)
    chosen: dict[NormalizedName, LockedPackage] = {}
    extras_of: dict[NormalizedName, frozenset[str]] = {}
    queue: deque[tuple[str, LockedDependency, Location | None]] = deque()
    if locked.roots:
        for declared in locked.roots:
            req = declared.requirement
            if req.marker is not None and not target.evaluate(str(req.marker)):
                continue
            queue.append(
                (
                    ROOT,
                    LockedDependency(
                        name=declared.name,
                        specifier=str(req.specifier),
                        marker=str(req.marker) if req.marker else None,
                        extras=tuple(sorted(req.extras)),
                    ),
                    declared.location,
                )
            )
    else:
        for name in sorted(candidates):
            queue.append((ROOT, LockedDependency(name=name), None))
    while queue:
        parent, dependency, declared_at = queue.popleft()
        package: LockedPackage | None = chosen.get(dependency.name) or _pick(
            candidates.get(dependency.name, []), dependency.specifier
        )
        if package is None:
            continue  # not locked for this target (e.g. pruned by the locker); nothing to walk
        name = package.ref.name
        yield parent, package, dependency, declared_at
        before = extras_of.get(name)
        now = (before or frozenset()) | frozenset(dependency.extras)
        if before is not None and now == before:
            continue
        chosen[name] = package
        extras_of[name] = now
        for child in package.dependencies or ():
            if target.evaluate(child.marker, now):
                queue.append((name, child, None))


def _pick(packages: list[LockedPackage], specifier: str) -> LockedPackage | None:
    """The locked version the edge asks for; the highest when several fit (deterministic)."""
    if not packages:
        return None
    if len(packages) == 1 or not specifier:
        return max(packages, key=lambda p: p.ref.version)
    try:
        wanted = SpecifierSet(specifier)
    except InvalidSpecifier:
        return max(packages, key=lambda p: p.ref.version)
    fitting = [p for p in packages if wanted.contains(p.ref.version, prereleases=True)]
    return max(fitting or packages, key=lambda p: p.ref.version)
