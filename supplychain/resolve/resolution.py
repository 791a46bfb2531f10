"""Resolution over the indexes (resolvelib, metadata only): imported only when an input is resolved,
not for a lock or ``--no-deps``, which a warm pre-commit audit reads."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from resolvelib import BaseReporter, ResolutionImpossible, Resolver
from resolvelib.resolvers import ResolutionTooDeep

from supplychain.errors import DataUnavailableError, FetchError, ResolutionError
from supplychain.model import (
    ArtifactKind,
    DeclaredRequirement,
    Origin,
    OriginKind,
    PackageRef,
    RequirementSet,
    ResolvedPackage,
    normalize,
)
from supplychain.net.http import Http
from supplychain.progress import Progress
from supplychain.resolve.find_links import is_local, local_path
from supplychain.resolve.graph import ROOT, DependencyGraph, Edge
from supplychain.resolve.index import IndexClient, InternalNameWithheld, ProjectNotFound
from supplychain.resolve.pins import add_declared, edge_of
from supplychain.resolve.provider import Candidate, Provider, Req
from supplychain.resolve.settings import ResolveSettings
from supplychain.resolve.store import MetadataStore
from supplychain.resolve.vanished import Vanished, find_vanished
from supplychain.urls import same_index

MAX_ROUNDS = 20_000


async def resolve(
    inputs: RequirementSet, config: ResolveSettings, http: Http, progress: Progress
) -> DependencyGraph:
    """Resolve over the indexes with resolvelib, reading metadata and running nothing.

    A conflict or missing project is a ResolutionError (exit 2); an index fault is exit 3.
    """
    indexes = config.index_urls or inputs.index_urls or (config.endpoints.index,)
    pins = dict(inputs.index_pins)
    # Told no index, an installer asks PyPI: for an internal name that is a request to a public
    # service (and the attacker's copy if one exists), so the audit asks the default index nothing.
    fallback = not (config.index_urls or inputs.index_urls)
    default = config.endpoints.index

    def withheld(name: NormalizedName) -> bool:
        return fallback and name not in pins and config.internal.is_internal(name, None)

    client = IndexClient(
        http,
        indexes,
        store=MetadataStore(config.cache_dir / "resolve-metadata") if config.cache_dir else None,
        pins=pins,
        withheld=None if any(same_index(default, index) for index in config.internal.indexes) else withheld,
        keep=config.target.file_may_fit,
        find_links=tuple(dict.fromkeys((*config.find_links, *inputs.find_links))),
        no_index=config.no_index or inputs.no_index,
    )
    for link in client.find_links:
        if is_local(link.reveal()) and not local_path(link.reveal()).exists():
            progress.warn(f"find-links location {link} does not exist: ignored, as pip ignores it")
    wanted = [d for d in inputs.requirements if config.target.evaluate(d.requirement.marker)]
    direct_refs = {d.name: d for d in wanted if d.origin is not None}
    constraints: dict[NormalizedName, SpecifierSet] = {}
    for constraint in inputs.constraints:
        if config.target.evaluate(constraint.requirement.marker):
            previous = constraints.get(constraint.name, SpecifierSet())
            constraints[constraint.name] = previous & constraint.requirement.specifier
    provider = Provider(
        client=client,
        loop=asyncio.get_running_loop(),
        target=config.target,
        exclude_newer=config.exclude_newer,
        constraints=constraints,
        skip=frozenset(direct_refs),
        progress=progress,
    )
    roots, vanished = await _roots(client, provider, wanted)
    progress.stage("resolve")
    resolver: Resolver[Req, Candidate, str] = Resolver(provider, BaseReporter())
    try:
        result = await asyncio.to_thread(resolver.resolve, roots, MAX_ROUNDS)
    except ResolutionImpossible as error:
        raise ResolutionError(explain_conflict(error.causes)) from None
    except ResolutionTooDeep:
        raise ResolutionError(f"resolution did not finish within {MAX_ROUNDS} rounds") from None
    except InternalNameWithheld as refused:
        raise ResolutionError(
            f"{refused.name} is internal (internal-patterns) and no index is configured: "
            "give --index-url or the input's index (PyPI is not asked about internal names)"
        ) from None
    except ProjectNotFound as missing:
        raise ResolutionError(_missing(missing.name, provider, roots, client)) from None
    except FetchError as error:  # the index failed, not the requirements: exit 3, not 2
        raise DataUnavailableError(f"could not read the index: {error.reason}") from None
    finally:
        provider.stop()
        client.cancel()
    constrained = [c for c in inputs.constraints if config.target.evaluate(c.requirement.marker)]
    recorded = recorded_hashes(wanted, constrained)
    graph = _graph(result.mapping, provider, wanted, direct_refs, frozenset(pins), recorded=recorded)
    for pin in vanished:
        _add_vanished(graph, pin)
    return graph


def _add_vanished(graph: DependencyGraph, missing: Vanished) -> None:
    """The pin as a node of its own: audited (the ``vanished`` rule), its dependencies unknown."""
    declared = missing.declared
    origin = Origin(kind=OriginKind.INDEX, url=missing.index)
    ref = PackageRef(name=declared.name, version=missing.version)
    if not graph.has_version(declared.name, ref.version):
        graph.add_package(
            ResolvedPackage(ref=ref, origin=origin, declared_at=declared.location, vanished=missing.reason)
        )
    if not graph.has_edge(ROOT, declared.name):
        graph.add_edge(ROOT, declared.name, edge_of(declared))


def recorded_hashes(
    requirements: Sequence[DeclaredRequirement], constraints: Sequence[DeclaredRequirement]
) -> dict[NormalizedName, tuple[str, ...]]:
    """The ``--hash`` values the user's file gives per name, combined as pip combines them.

    Every requirement line of a name adds its hashes; a constraint's hashes narrow them to the
    common ones when both give some (pip's ``Hashes.__and__``), or stand alone when only it does.
    """
    mine: dict[NormalizedName, set[str]] = {}
    for declared in requirements:
        if declared.hashes:
            mine.setdefault(declared.name, set()).update(declared.hashes)
    limits: dict[NormalizedName, set[str]] = {}
    for constraint in constraints:
        if constraint.hashes:
            limits.setdefault(constraint.name, set()).update(constraint.hashes)
    for name, allowed in limits.items():
        mine[name] = mine[name] & allowed if name in mine else allowed
    return {name: tuple(sorted(hashes)) for name, hashes in mine.items()}


async def _roots(
    client: IndexClient, provider: Provider, wanted: Sequence[DeclaredRequirement]
) -> tuple[list[Req], list[Vanished]]:
    """The index requirements to resolve, less the pins no source lists any more (those apart).

    The crawl starts first: the check reads the same pages, so the metadata prefetch overlaps it.
    """
    from_index = [d for d in wanted if d.origin is None]
    for declared in from_index:
        provider.speculate(declared.name)
    vanished = await find_vanished(client, from_index)
    gone = {id(v.declared) for v in vanished}
    return [_root_req(d) for d in from_index if id(d) not in gone], vanished


def _root_req(declared: DeclaredRequirement) -> Req:
    requirement = declared.requirement
    return Req(
        name=declared.name,
        extras=frozenset(normalize(e) for e in requirement.extras),
        specifier=requirement.specifier,
        marker=str(requirement.marker) if requirement.marker else None,
        location=declared.location,
    )


def _missing(name: str, provider: Provider, roots: Sequence[Req], client: IndexClient) -> str:
    who = sorted(
        f"{parent[0]} {parent[1]}"
        for parent, reqs in provider.dependencies.items()
        if any(r.name == name for r in reqs)
    )
    who += [f"the input at {r.location}" for r in roots if r.name == name and r.location]
    where = ", ".join(client.places())
    required = f"(required by {', '.join(who) or 'the input'})"
    if not client.indexes and not client.find_links:
        return (
            f"no project named {name!r}: --no-index asks no index and no --find-links location "
            f"is given {required}"
        )
    if not client.indexes:
        where = f"{where} (--no-index: no index asked)"
    return f"no project named {name!r} on {where} {required}"


def explain_conflict(causes: Iterable[object]) -> str:
    """Group the failing requirements by project: which specifiers, asked by whom."""
    by_name: dict[str, list[str]] = {}
    for cause in causes:
        requirement = getattr(cause, "requirement", None)
        if isinstance(requirement, Req):
            by_name.setdefault(requirement.key, []).append(requirement.describe())
    lines = ["the requirements cannot be satisfied together:"]
    for key in sorted(by_name):
        lines.append(f"  {key}: no version satisfies all of")
        lines.extend(f"    {text}" for text in sorted(set(by_name[key])))
    return "\n".join(lines)


def _graph(
    mapping: dict[str, Candidate],
    provider: Provider,
    wanted: Sequence[DeclaredRequirement],
    direct_refs: dict[NormalizedName, DeclaredRequirement],
    pinned: frozenset[NormalizedName] = frozenset(),
    *,
    recorded: Mapping[NormalizedName, tuple[str, ...]] | None = None,
) -> DependencyGraph:
    graph = DependencyGraph()
    recorded = recorded or {}
    for candidate in sorted(mapping.values(), key=lambda c: c.key):
        if candidate.name in graph:
            continue
        file = candidate.file
        origin = Origin(
            kind=OriginKind.INDEX if file.source is None else OriginKind.FIND_LINKS,
            url=file.source or candidate.page.index,
            hashes=recorded.get(candidate.name, ()),
            served_hashes=file.hashes,
            artifact=ArtifactKind.SDIST if file.tags is None else ArtifactKind.WHEEL,
            pinned=candidate.name in pinned,
        )
        graph.add_package(
            ResolvedPackage(
                ref=PackageRef(name=candidate.name, version=candidate.version),
                origin=origin,
                unresolved=provider.unresolved.get((candidate.name, candidate.version)),
                declared_at=next((d.location for d in wanted if d.name == candidate.name), None),
            )
        )
    for declared in direct_refs.values():
        add_declared(graph, declared, declared.pinned_version)
    for declared in wanted:
        if declared.name in graph and declared.origin is None:
            graph.add_edge(ROOT, declared.name, edge_of(declared))
    for candidate in mapping.values():
        for req in provider.dependencies.get((candidate.key, candidate.version), []):
            if req.name == candidate.name or req.name not in graph:
                continue
            edge = Edge(specifier=str(req.specifier), extras=tuple(sorted(req.extras)), marker=req.marker)
            if graph.has_edge(candidate.name, req.name):
                old = graph.edge(candidate.name, req.name)
                edge = Edge(
                    specifier=old.specifier or edge.specifier,
                    extras=tuple(sorted(set(old.extras) | set(edge.extras))),
                    marker=old.marker or edge.marker,
                )
            graph.add_edge(candidate.name, req.name, edge)
    return graph
