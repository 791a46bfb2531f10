"""The enrich stage's data sources, all behind one protocol; ``net/http.py`` is the only network door."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from packaging.utils import NormalizedName

from supplychain.clock import Clock
from supplychain.endpoints import Endpoints
from supplychain.internal import InternalScope
from supplychain.model import PackageRef, ResolvedPackage, Signal
from supplychain.net.http import Http
from supplychain.progress import Progress
from supplychain.target import Target
from supplychain.urls import SafeUrl

# fact name (a PackageFacts field) -> signal
FactPatch = Mapping[str, Signal[object]]


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceSettings:
    """What the sources read of a run's settings: where each service is, local data, what is internal."""

    target: Target  # wheel tags for the provenance source, and part of the facts cache's key
    # The indexes an installer asks (the flags', else the input's; none: ``endpoints.index``); the
    # first serves packages with no origin URL.
    index_urls: tuple[SafeUrl, ...] = ()
    endpoints: Endpoints
    offline: bool = False
    cache_dir: Path | None = None  # the facts cache; None: no cache
    data_dir: Path  # offline advisory and popularity datasets
    inventory_db: str | None = None
    internal: InternalScope = field(default_factory=InternalScope)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceContext:
    """What every source is given: the one HTTP door, its settings, the clock and progress."""

    http: Http
    config: SourceSettings
    clock: Clock
    progress: Progress
    # Names an internal index offers although another index served them (``collect_facts`` finds
    # them before any public service is asked): internal too, see ``sources.scope.is_internal``.
    offered_internally: frozenset[NormalizedName] = frozenset()


class Source(Protocol):
    """Given packages, return the facts it could learn; failures become Unknown, never exceptions."""

    id: str

    async def collect(
        self, packages: Sequence[ResolvedPackage], context: SourceContext
    ) -> dict[PackageRef, FactPatch]:
        """Facts for each package it knows about; what it could not learn is an Unknown with a reason."""
        ...
