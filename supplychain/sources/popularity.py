"""Popularity source: 30-day downloads from pypistats, else the offline top-packages dataset, and rank."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from packaging.utils import NormalizedName

from supplychain.errors import FetchError, HttpStatusError, MalformedResponse
from supplychain.model import Known, PackageRef, ResolvedPackage, Signal, Unknown
from supplychain.net.shape import ShapeError, expect
from supplychain.sources import FactPatch, SourceContext
from supplychain.sources.facts_cache import FactsCache
from supplychain.sources.scope import public_only
from supplychain.urls import redact

SOURCE = "popularity"
# Said of packages not asked after the service failed for another one; the failure follows in brackets.
NOT_ASKED = "not asked, the service failed earlier in this run"
OFFLINE = "pypistats: not asked (--offline), and no earlier answer is kept"
NO_STATS = "pypistats has no download figures for this project (404)"
# pypistats recomputes its figures once a day: an answer (a count, or "none") is reused that long,
# so warm runs do not ask again for every package (at any age with --offline, like every cached fact).
STATS_FRESH_FOR = timedelta(hours=24)


class TopPackagesLike(Protocol):
    """What this source reads of ``supplychain.sources.datastore.TopPackages``."""

    @property
    def as_of(self) -> datetime:
        """When the list was published: its age is the popularity fact's age."""
        ...

    @property
    def source(self) -> str:
        """Where the list came from, named in evidence."""
        ...

    @property
    def downloads(self) -> Mapping[NormalizedName, int]:
        """Downloads in the last 30 days, for the names on the list only."""
        ...

    @property
    def ranks(self) -> Mapping[NormalizedName, int]:
        """1-based rank on the list."""
        ...


DatasetLoader = Callable[[Path], TopPackagesLike | None]


def load_top_packages(data_dir: Path) -> TopPackagesLike | None:
    """The top-packages dataset from the offline data store, or None when it was never downloaded."""
    from supplychain.sources.datastore import DataStore  # imported when first needed

    return DataStore(data_dir).top_packages()


class PopularitySource:
    """pypistats answers downloads when reachable; the dataset answers rank (and downloads offline)."""

    id = SOURCE

    def __init__(self, dataset: DatasetLoader | None = None) -> None:
        self._load = dataset

    async def collect(
        self, packages: Sequence[ResolvedPackage], context: SourceContext
    ) -> dict[PackageRef, FactPatch]:
        dataset = (self._load or load_top_packages)(context.config.data_dir)
        packages = public_only(packages, context)  # an internal name is never sent to pypistats
        if not packages:
            return {}
        cache = FactsCache.for_config(context.config)
        key = f"pypistats {context.config.endpoints.pypistats.reveal()}"  # another service's never match
        now = context.clock.now()
        stored = cache.load(key, packages, now, fresh_for=STATS_FRESH_FOR) if cache is not None else {}
        answers = {ref: patch["downloads_30d"] for ref, patch in stored.items() if "downloads_30d" in patch}
        asked = [p for p in packages if p.ref not in answers]
        # Ask once first: when pypistats is unreachable (blocked egress), the other packages go
        # straight to the dataset instead of each paying connection retries.
        down: list[str] = []
        service = context.config.endpoints.pypistats.reveal()
        if asked and context.http.offline:
            # Its answers are kept in the facts cache, read above at any age: nothing else to ask.
            failures = dict.fromkeys((p.ref for p in asked), OFFLINE)
        elif asked and (why := context.http.remembered_unreachable(service)) is not None:
            # Unreachable minutes ago (blocked egress): its kept answers were read above; the rest is
            # not asked, and a warm run builds no HTTP client for a request the door would refuse.
            failures = dict.fromkeys((p.ref for p in asked), f"pypistats: {redact(service)}: {why}")
        elif asked:
            first = await self._ask(asked[0].ref, context, down)
            rest = await asyncio.gather(*(self._ask(p.ref, context, down) for p in asked[1:]))
            fresh = dict(zip((p.ref for p in asked), [first, *rest], strict=True))
            said: dict[PackageRef, Signal[object]] = {
                ref: answer for ref, answer in fresh.items() if not isinstance(answer, str)
            }
            failures = {ref: answer for ref, answer in fresh.items() if isinstance(answer, str)}
            answers.update(said)
            if cache is not None:  # what pypistats said (a count, or that it has none), not its failures
                cache.store(key, [(p, {"downloads_30d": said[p.ref]}) for p in asked if p.ref in said], now)
        else:
            failures = {}
        return {p.ref: self._patch(p.ref, answers.get(p.ref), failures.get(p.ref), dataset) for p in packages}

    async def _ask(self, ref: PackageRef, context: SourceContext, down: list[str]) -> Signal[object] | str:
        """pypistats' answer: a count, a settled Unknown when it has no data, or why asking failed."""
        url = f"{context.config.endpoints.pypistats.reveal()}api/packages/{quote(ref.name)}/recent"
        try:
            document = await _recent(context, url, down)
            data = expect(expect(document, dict, "pypistats answer").get("data"), dict, "data")
            return Known(
                value=expect(data.get("last_month"), int, "data.last_month"),
                source="pypistats",
                fetched_at=context.clock.now(),
            )
        except (FetchError, ShapeError) as error:
            if isinstance(error, HttpStatusError) and error.status == 404:
                # pypistats answered: it has no download data for this name (too new, or too small).
                return Unknown(reason=NO_STATS, source=SOURCE, settled=True)
            if _service_down(error) and not down:
                # The service is unreachable or throttling us, not this package. Only the first
                # failure is kept: every later "not asked" quotes it, never a previous "not asked"
                # (which nested the reasons once per package: quadratic output on large locks).
                down[:] = [str(error)]
            return f"pypistats: {error}"

    def _patch(
        self,
        ref: PackageRef,
        answer: Signal[object] | None,
        failure: str | None,
        dataset: TopPackagesLike | None,
    ) -> FactPatch:
        label = _dataset_label(dataset)
        rank: Signal[object]
        if dataset is None:
            rank = Unknown(reason="no top-packages dataset (run `supplychain db update`)", source=SOURCE)
        else:
            rank = Known(value=dataset.ranks.get(ref.name), source=label, fetched_at=dataset.as_of)
        downloads: Signal[object]
        if isinstance(answer, Known):
            downloads = answer
        else:
            # pypistats has no data for the name, or could not be asked: the dataset's count if it has one.
            reason = answer.reason if isinstance(answer, Unknown) else (failure or "pypistats: not asked")
            if dataset is not None and ref.name in dataset.downloads:
                downloads = Known(value=dataset.downloads[ref.name], source=label, fetched_at=dataset.as_of)
            elif dataset is not None:
                downloads = Unknown(reason=f"{reason}; not among the dataset's top packages", source=SOURCE)
            else:
                downloads = Unknown(reason=f"{reason}; no top-packages dataset", source=SOURCE)
        return {
            "downloads_30d": downloads,
            "popularity_rank": rank,
            "downloads_30d_at_most": _bound(ref, dataset),
        }


def _bound(ref: PackageRef, dataset: TopPackagesLike | None) -> Signal[object]:
    """At most the list's cut-off when the name is absent from a top-N list, Known(None) when it is in.

    The list holds every project with more downloads than its last row, so a name it lacks had at
    most that many: a bound, never a count, and only as good as the list is complete.
    """
    if dataset is None:
        return Unknown(reason="no top-packages dataset (run `supplychain db update`)", source=SOURCE)
    if not dataset.downloads:
        return Unknown(reason="the top-packages dataset is empty", source=SOURCE)
    label = _dataset_label(dataset)
    if ref.name in dataset.downloads:
        return Known(value=None, source=label, fetched_at=dataset.as_of)
    cutoff = min(dataset.downloads.values())
    source = f"{label}: not in the top {len(dataset.downloads):,} (cut-off {cutoff:,} downloads/30d)"
    return Known(value=cutoff, source=source, fetched_at=dataset.as_of)


def _service_down(error: Exception) -> bool:
    """Transport failures, and 429/503 still there after retries, say nothing about one package."""
    if isinstance(error, HttpStatusError):
        return error.status in {429, 503}
    return isinstance(error, FetchError) and not isinstance(error, MalformedResponse)


async def _recent(context: SourceContext, url: str, down: list[str]) -> object:
    """pypistats' answer, unless an earlier request found the service unreachable."""
    if down:
        # Name the failed request as such: its URL is another package's, not this one's.
        raise FetchError(f"{NOT_ASKED} ({down[0]})")
    return await context.http.get_json(url)


def _dataset_label(dataset: TopPackagesLike | None) -> str:
    if dataset is None:
        return SOURCE
    return f"top-pypi-packages ({dataset.source}, as of {dataset.as_of.date().isoformat()})"
