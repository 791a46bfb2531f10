"""The outcome of one audit: everything every renderer reads, and nothing a renderer computes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from packaging.utils import NormalizedName

from supplychain.baseline import Delta
from supplychain.model import Finding, PackageFacts, PackageRef, PackageScore, Verdict
from supplychain.resolve.graph import DependencyGraph

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownFact:
    """A fact a rule needed that stayed unknown: which package and fact, why, and which source failed."""

    package: str  # "name==version"
    fact: str
    reason: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySummary:
    """The policy as reports show it: rules with their action and thresholds, plain data only."""

    name: str  # "sl3" or the path of a user policy
    level: str  # the built-in level it extends ("sl1".."sl5")
    rules: Mapping[str, Mapping[str, object]]  # rule id -> {"action": ..., thresholds...}
    fail_closed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditResult:
    """Everything one audit learned and decided; renderers read it and compute nothing themselves."""

    schema_version: str
    generated_at: datetime
    python_version: str
    platform: str
    inputs: tuple[str, ...]  # input paths, as given
    graph: DependencyGraph
    facts: Mapping[PackageRef, PackageFacts]
    findings: tuple[Finding, ...]  # sorted: fail first, then rule, then package
    scores: Mapping[PackageRef, PackageScore]
    policy: PolicySummary
    verdict: Verdict
    unknowns: tuple[UnknownFact, ...]
    data_freshness: Mapping[str, datetime | None]  # dataset name -> as-of date
    warnings: tuple[str, ...] = ()
    expired_entries: tuple[str, ...] = ()  # allowlist / exemption entries that expired
    unused_entries: tuple[str, ...] = ()
    declared_at: Mapping[NormalizedName, str] = field(default_factory=dict)  # "file:line"
    allowlist: str | None = None  # the allowlist file the audit read, as given; None: it read none
    inventory: str | None = None  # the inventory database internal usage was read from (redacted); None: none
    delta: Delta | None = None  # with ``audit --baseline``: what changed against the baseline report
    # What was audited (``audit.audit_scope``): kind, python_version, platform, extras, groups (None:
    # every value) and the one line reports print; empty when the caller stated none.
    scope: Mapping[str, object] = field(default_factory=dict)
