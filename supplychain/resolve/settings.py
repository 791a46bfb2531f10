"""What resolution reads of a run's settings: one home for the lock reader, pins and resolver alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from supplychain.endpoints import Endpoints
from supplychain.internal import InternalScope
from supplychain.target import Scope, Target
from supplychain.urls import SafeUrl


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveSettings:
    """What resolution reads of a run's settings: the target, where to look, and how far."""

    target: Target
    scope: Scope | None = None  # what of a lock is audited; None: exactly ``target``
    index_urls: tuple[SafeUrl, ...] = ()  # the flags' indexes; none: the input's, else ``endpoints.index``
    find_links: tuple[SafeUrl, ...] = ()  # the flags' find-links locations, read before the input's
    no_index: bool = False  # the flags' --no-index (the input's own counts too)
    endpoints: Endpoints  # ``index`` and ``pypi`` (the JSON API fallback for metadata)
    exclude_newer: datetime | None = None
    no_deps: bool = False
    cache_dir: Path | None = None  # metadata store; None: keep nothing on disk
    internal: InternalScope = field(default_factory=InternalScope)  # names never sent to the default index
