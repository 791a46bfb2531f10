"""The enrich stage: run every fact source concurrently over the graph and merge their patches.

Internal packages are settled first (``sources.scope``): the public services (PyPI JSON, Integrity,
pypistats, OSV) are never given their names, and say nothing about them; what those would have
said is Unknown with the reason, and their release history comes from their index's own pages.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence

from supplychain.model import (
    FACT_NAMES,
    OriginKind,
    PackageFacts,
    PackageRef,
    ResolvedPackage,
    Signal,
    Unknown,
)
from supplychain.resolve.graph import DependencyGraph
from supplychain.sources import FactPatch, Source, SourceContext, pypi_json, simple_index
from supplychain.sources.facts_cache import CACHED_SOURCES, FactsCache
from supplychain.sources.integrity import IntegritySource
from supplychain.sources.inventory import InventorySource
from supplychain.sources.osv import OsvSource
from supplychain.sources.popularity import PopularitySource
from supplychain.sources.pypi_json import PyPIJsonSource
from supplychain.sources.scope import INTERNAL, INTERNAL_REASONS, PUBLIC_SOURCES, indexed, is_internal
from supplychain.sources.simple_index import SimpleIndexSource, forget_pages, internal_offers
from supplychain.sources.startup_hooks import StartupHooksSource

# id -> source class; every audit runs them all, so they are imported with this module.
SOURCES: Mapping[str, type[Source]] = {
    "pypi": PyPIJsonSource,
    "simple": SimpleIndexSource,
    "integrity": IntegritySource,
    "popularity": PopularitySource,
    "osv": OsvSource,
    "inventory": InventorySource,
    "startup-hooks": StartupHooksSource,
}
# Facts each index-bound source speaks for: packages not from an index get Unknown for these instead.
INDEX_FACTS: dict[str, tuple[str, ...]] = {
    "pypi": pypi_json.FACTS,
    "simple": simple_index.FACTS,
    "integrity": ("provenance",),
    "popularity": ("downloads_30d", "popularity_rank", "downloads_30d_at_most"),
    "startup-hooks": ("startup_hooks",),
}
# Facts about one version rather than the project: Unknown("version unknown") when no file states the
# version (``PackageRef.version_known``); a source is not asked about such a package when these are
# all it gives, since an answer for the placeholder version would be about no real release.
VERSION_FACTS: tuple[str, ...] = (
    "advisories",
    "upload_time",
    "yanked",
    "release_gap_days",
    "has_wheel",
    "provenance",
    "startup_hooks",
)
VERSION_ONLY_SOURCES = frozenset({"osv"})


class SourceUnavailableError(RuntimeError):
    """No source is registered under the id asked for: a wiring bug, never a silent skip."""


def load_source(source_id: str) -> Source:
    """Instantiate the source registered under ``source_id``."""
    try:
        factory = SOURCES[source_id]
    except KeyError:
        raise SourceUnavailableError(
            f"unknown source {source_id!r} (known: {', '.join(sorted(SOURCES))})"
        ) from None
    return factory()


async def collect_facts(
    graph: DependencyGraph, context: SourceContext, *, sources: Sequence[str] | None = None
) -> dict[PackageRef, PackageFacts]:
    """Every fact for every package; a fact no source could learn stays Unknown with the reason."""
    chosen = list(SOURCES) if sources is None else list(dict.fromkeys(sources))
    loaded = [load_source(source_id) for source_id in chosen]  # fail before any network traffic
    everything = list(graph.packages())
    facts = {p.ref: PackageFacts.unknown(p.ref) for p in everything}
    # A conda package is no PyPI project, whatever its name: no source is asked about it (one would
    # answer for the PyPI project of that name), and every fact says why it is not known.
    conda = [p for p in everything if p.origin.kind is OriginKind.CONDA]
    packages = [p for p in everything if p.origin.kind is not OriginKind.CONDA]
    off_index = [p for p in packages if not indexed(p)]
    indexed_packages = [p for p in packages if indexed(p)]
    try:
        # Only internal indexes are asked here; every source below then knows which names are ours.
        offered = await internal_offers(indexed_packages, context)
        context = dataclasses.replace(context, offered_internally=offered)
        internal = [p for p in packages if is_internal(p, context)]
        ours = frozenset(p.ref.name for p in internal)
        subsets = {
            source_id: [
                p
                for p in (indexed_packages if source_id in INDEX_FACTS else packages)
                if source_id not in PUBLIC_SOURCES or p.ref.name not in ours
            ]
            for source_id in chosen
        }
        for source_id in VERSION_ONLY_SOURCES.intersection(subsets):  # never asked about a placeholder
            subsets[source_id] = [p for p in subsets[source_id] if p.ref.version_known]
        # Counted in package lookups (a package asked of one source), so the display moves with the work.
        context.progress.stage("enrich", total=sum(map(len, subsets.values())))
        cache = FactsCache.for_config(context.config, internal=ours)
        if cache is not None:  # the whole environment's stored facts in one query
            cache.preload({i: subsets[i] for i in chosen if i in CACHED_SOURCES}, context.clock.now())

        async def run(source_id: str, source: Source) -> dict[PackageRef, FactPatch]:
            return await _collect(source_id, source, subsets[source_id], context, cache)

        results = await asyncio.gather(*(run(i, s) for i, s in zip(chosen, loaded, strict=True)))
    finally:
        forget_pages(context.http)
    # Every patch in order (a later one wins), then one copy of each package's facts with all of them.
    changes: dict[PackageRef, dict[str, object]] = {ref: {} for ref in facts}
    for package in internal:
        # First, so the history the index's own page gave (the simple source) replaces the reason.
        changes[package.ref].update(checked(_not_asked(chosen), INTERNAL))
    for source_id, patches in zip(chosen, results, strict=True):
        for ref, patch in patches.items():
            changes[ref].update(checked(patch, source_id))
        for package in off_index:
            names = INDEX_FACTS.get(source_id, ())
            if names:
                reason = f"not on an index ({package.origin.kind.value})"
                changes[package.ref].update(dict.fromkeys(names, Unknown(reason=reason, source=source_id)))
    if conda:
        from supplychain.inputs.conda import NOT_ON_PYPI  # the conda reader: only for conda packages

        not_pypi = dict.fromkeys(FACT_NAMES, Unknown(reason=NOT_ON_PYPI, source="conda", settled=True))
        for package in conda:
            changes[package.ref].update(not_pypi)
    unknown_version = dict.fromkeys(VERSION_FACTS, Unknown(reason="version unknown", source="supplychain"))
    for package in packages:
        if not package.ref.version_known:
            changes[package.ref].update(unknown_version)
    return {ref: merge(facts[ref], changes[ref], "enrich") for ref in sorted(facts)}


async def _collect(
    source_id: str,
    source: Source,
    packages: list[ResolvedPackage],
    context: SourceContext,
    cache: FactsCache | None,
) -> dict[PackageRef, FactPatch]:
    """One source's patches: stored ones where the facts cache has them, fetched for the rest."""
    if not packages:
        return {}
    if cache is None or source_id not in CACHED_SOURCES:
        collected = await source.collect(packages, context)
        context.progress.advance("enrich", len(packages))
        return collected
    now = context.clock.now()
    stored = cache.load(source_id, packages, now)
    if stored:
        context.progress.advance("enrich", len(stored))
    missing = [p for p in packages if p.ref not in stored]
    fetched = await source.collect(missing, context) if missing else {}
    if missing:
        context.progress.advance("enrich", len(missing))
    cache.store(source_id, [(p, fetched[p.ref]) for p in missing if p.ref in fetched], now)
    patches = {p.ref: stored[p.ref] for p in packages if p.ref in stored}
    patches.update(fetched)
    return patches


def _not_asked(chosen: Sequence[str]) -> dict[str, Signal[object]]:
    """What the chosen public sources would have said of an internal package: why they were not asked."""
    return {
        fact: Unknown(reason=reason, source=INTERNAL, settled=True)
        for source_id in chosen
        for fact, reason in INTERNAL_REASONS.get(source_id, {}).items()
    }


def checked(patch: Mapping[str, object], source_id: str) -> Mapping[str, object]:
    """``patch``, once sure it names only facts of the model (another name is a programming error)."""
    unexpected = sorted(set(patch) - set(FACT_NAMES))
    if unexpected:
        raise ValueError(f"source {source_id!r} returned unknown facts: {', '.join(unexpected)}")
    return patch


def merge(facts: PackageFacts, patch: Mapping[str, object], source_id: str) -> PackageFacts:
    """Apply one source's patch; a fact name outside the model is a programming error."""
    if not patch:
        return facts
    return dataclasses.replace(facts, **checked(patch, source_id))  # type: ignore[arg-type]
