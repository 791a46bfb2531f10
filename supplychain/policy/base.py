"""The rule protocol and the values rules exchange with the engine: what a rule sees and what it says."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from packaging.utils import NormalizedName

from supplychain.internal import InternalScope
from supplychain.model import (
    JSON,
    Action,
    Known,
    Owners,
    PackageFacts,
    PackageRef,
    ResolvedPackage,
    Signal,
    Unknown,
)
from supplychain.resolve.graph import DependencyGraph

# A threshold's value as TOML gives it: the schema names one of these types per parameter.
Param = bool | int | str | tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSettings:
    """One rule's table in a policy: its action and its typed thresholds."""

    action: Action
    params: Mapping[str, Param] = field(default_factory=dict)

    def integer(self, key: str) -> int:
        """An integer threshold; the schema checked its type when the policy was loaded."""
        value = self.params[key]
        assert isinstance(value, int)
        assert not isinstance(value, bool)
        return value

    def text(self, key: str) -> str:
        """A string setting; the schema checked its type when the policy was loaded."""
        value = self.params[key]
        assert isinstance(value, str)
        return value

    def flag(self, key: str) -> bool:
        """A boolean setting; the schema checked its type when the policy was loaded."""
        value = self.params[key]
        assert isinstance(value, bool)
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        """A list-of-strings setting; the schema checked its type when the policy was loaded."""
        value = self.params[key]
        assert isinstance(value, tuple)
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Environment:
    """Everything about the environment a rule may read; rules never fetch."""

    graph: DependencyGraph
    facts: Mapping[PackageRef, PackageFacts]
    now: datetime
    locked: bool  # the input was a lock/pinned set: versions were not chosen by our resolver
    top_downloads: Mapping[NormalizedName, int] | None  # None: no top-packages dataset
    top_source: str = "top-packages"
    top_as_of: datetime | None = None
    internal: InternalScope = field(default_factory=InternalScope)
    allowed_indexes: tuple[str, ...] = ()
    allowed_licenses: tuple[str, ...] = ()
    covered: Mapping[PackageRef, str] = field(default_factory=dict)  # allowlist entry per package version
    # The PEP 740 publishers an approval recorded per package, with where that approval is
    approved_publishers: Mapping[NormalizedName, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    # Owners of projects outside the graph that packages resemble (typosquat targets), from enrich.
    owners: Mapping[NormalizedName, Owners] = field(default_factory=dict)
    # Indexes only the audited input named, not asked under ``contact_file_indexes = false``.
    refused_indexes: tuple[str, ...] = ()
    # pip ``--trusted-host`` options of the input: (host, where it is written)
    trusted_hosts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """A rule fired: the message, the facts it used, and how to fix it; ``action`` overrides the tier."""

    message: str
    evidence: Mapping[str, JSON] = field(default_factory=dict)
    remediation: str | None = None
    action: Action | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Missing:
    """A fact the rule needed was Unknown: the engine turns this into a ``data-unknown`` finding."""

    fact: str
    reason: str
    source: str
    settled: bool = False  # the source answered without the fact: retrying will not help


Outcome = Hit | Missing


class Rule(Protocol):
    """One rule: a stable id, why it exists, and a pure evaluation of one package."""

    id: str
    rationale: str
    help: str
    params: Mapping[str, type]  # threshold name -> bool | int | str | tuple (list of strings)

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        """Outcomes for one package; an empty list means the rule passed."""
        ...


def evidence(name: str, signal: Known[object]) -> dict[str, JSON]:
    """A fact as evidence: its value, where it came from and when."""
    return {
        name: {
            "value": _json(signal.value),
            "source": signal.source,
            "fetched_at": signal.fetched_at.isoformat(),
        }
    }


def missing(fact: str, signal: Unknown) -> Missing:
    """The outcome for a fact the rule needs but the sources could not learn."""
    return Missing(fact=fact, reason=signal.reason, source=signal.source, settled=signal.settled)


def known(signal: Signal[object]) -> bool:
    """Did a source learn this fact?"""
    return isinstance(signal, Known)


def _json(value: object) -> JSON:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_json(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: _json(getattr(value, name)) for name in sorted(value.__dataclass_fields__)}
    return str(value)
