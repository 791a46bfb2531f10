"""The enrich stage's data sources, all behind one protocol; ``net/http.py`` is the only network door."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from supplychain.clock import Clock
from supplychain.config import AuditConfig
from supplychain.model import PackageRef, ResolvedPackage, Signal
from supplychain.net.http import Http
from supplychain.progress import Progress

# fact name (a PackageFacts field) -> signal
FactPatch = Mapping[str, Signal[object]]


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceContext:
    http: Http
    config: AuditConfig
    clock: Clock
    progress: Progress


class Source(Protocol):
    """Given packages, return the facts it could learn; failures become Unknown, never exceptions."""

    id: str

    async def collect(
        self, packages: Sequence[ResolvedPackage], context: SourceContext
    ) -> dict[PackageRef, FactPatch]: ...
