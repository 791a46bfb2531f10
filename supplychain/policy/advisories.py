"""Rules on advisories: known vulnerabilities (by severity tier) and malicious-package reports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from packaging.version import InvalidVersion, Version

from supplychain.model import (
    JSON,
    Action,
    Advisory,
    AdvisoryKind,
    Known,
    PackageFacts,
    ResolvedPackage,
    Severity,
)
from supplychain.policy.base import Environment, Hit, Outcome, RuleSettings, missing

SEVERITIES = ("none", "low", "medium", "high", "critical")


def _severity(name: str) -> Severity:
    return Severity[name.upper()]


def _headline(summary: str, limit: int = 100) -> str:
    """The first line of a summary, cut at ``limit`` characters (details stay in the evidence)."""
    line = summary.strip().splitlines()[0] if summary.strip() else ""
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _advisory_evidence(advisory: Advisory, fact: Known[object]) -> dict[str, JSON]:
    return {
        "advisory": advisory.id,
        "aliases": list(advisory.aliases),
        "severity": advisory.severity.label if advisory.severity is not None else None,
        "fixed_in": [str(v) for v in advisory.fixed_in],
        "summary": advisory.summary,
        "no_affected_range": advisory.no_affected_range,
        "published": advisory.published.isoformat() if advisory.published else None,
        "source": fact.source,
        "fetched_at": fact.fetched_at.isoformat(),
    }


def _latest(facts: PackageFacts) -> Version | None:
    if not isinstance(facts.latest_version, Known):
        return None
    try:
        return Version(facts.latest_version.value)
    except InvalidVersion:
        return None


def remediation(advisory: Advisory, package: ResolvedPackage, facts: PackageFacts) -> str:
    """The way out of one advisory, never claiming "no fix" while the advisory names one.

    A range may end with ``fixed`` (that version is the fix) or ``last_affected`` (every later
    release is fixed): OSV records of unfixed-at-the-time issues often use the second, so a
    package whose fixes are all ``last_affected`` bounds still has a way out once a later release
    exists, which the index's latest version tells.
    """
    name, current = package.ref.name, package.ref.version
    above = [v for v in advisory.fixed_in if v > current]
    if above:
        return f"upgrade {name} to {above[0]} or later"
    bounds = [v for v in advisory.last_affected if v >= current]
    if bounds:
        bound, latest = bounds[0], _latest(facts)
        if latest is None:
            return f"upgrade {name} to a release after {bound} (the last affected), or remove or replace it"
        if latest > bound:
            return f"upgrade {name} to {latest} (any release after {bound}, the last affected)"
        return f"no release after {bound} (the last affected) is published yet; remove or replace {name}"
    if advisory.fixed_in:
        fixes = ", ".join(str(v) for v in advisory.fixed_in)
        return f"fixed only in {fixes}, not in a release after {current}; remove or replace {name}"
    return f"no fixed version is published; remove or replace {name}"


class VulnerabilityRule:
    id = "vulnerability"
    rationale = "A published advisory affects this version; attackers read the same advisories."
    help = (
        "Fails for a non-withdrawn advisory at or above `min_severity`, warns at or above "
        "`warn_severity`; an advisory without severity counts as `unknown_severity`. An advisory "
        "published fewer than `grace_days` days ago warns instead of failing (time to upgrade; an "
        "unknown publication date gets no grace). A record that names the package without an "
        "affected range matches every version: the finding says so (`no_affected_range` in its "
        "evidence). Remediation names the lowest fixed version above the current one, or the "
        "latest release when the advisory gives only the last affected version."
    )
    params: Mapping[str, type] = {
        "min_severity": str,
        "warn_severity": str,
        "unknown_severity": str,
        "grace_days": int,
    }

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        signal = facts.advisories
        if not isinstance(signal, Known):
            return [missing("advisories", signal)]
        fail_at = _severity(settings.text("min_severity"))
        warn_at = _severity(settings.text("warn_severity"))
        unknown_as = _severity(settings.text("unknown_severity"))
        grace = settings.integer("grace_days")
        outcomes: list[Outcome] = []
        for advisory in signal.value:
            if advisory.kind is not AdvisoryKind.VULNERABILITY or advisory.withdrawn:
                continue
            severity = advisory.severity if advisory.severity is not None else unknown_as
            if severity >= fail_at:
                action = None
            elif severity >= warn_at:
                action = Action.WARN
            else:
                continue
            in_grace = action is None and _within_grace(advisory, env.now, grace)
            outcomes.append(
                _vulnerability_hit(
                    package,
                    facts,
                    advisory,
                    {**_advisory_evidence(advisory, signal), "grace_days": grace, "within_grace": in_grace},
                    action=Action.WARN if in_grace else action,
                    grace=f" (published within the policy's {grace}-day grace)" if in_grace else "",
                )
            )
        return outcomes


def _within_grace(advisory: Advisory, now: datetime, grace: int) -> bool:
    """Published fewer than ``grace`` days ago; an unknown publication date gets no grace."""
    return advisory.published is not None and (now - advisory.published).days < grace


def _vulnerability_hit(
    package: ResolvedPackage,
    facts: PackageFacts,
    advisory: Advisory,
    found: dict[str, JSON],
    *,
    action: Action | None,
    grace: str,
) -> Hit:
    label = advisory.severity.label if advisory.severity is not None else "unknown"
    headline = _headline(advisory.summary)
    way_out = remediation(advisory, package, facts)
    if advisory.no_affected_range:
        # Unknown is not safe: still a finding, but not presented as a firm match.
        claim = f"may affect {package.ref}: the record gives no affected range"
        if not advisory.fixed_in and not advisory.last_affected:
            way_out = (
                f"check whether {package.ref} is affected; exempt the advisory for this version if "
                "it is not, else remove or replace it"
            )
    else:
        claim = f"affects {package.ref}"
    return Hit(
        message=f"{advisory.id} ({label}) {claim}{grace}" + (f": {headline}" if headline else ""),
        evidence=found,
        remediation=way_out,
        action=action,
    )


class MaliciousRule:
    id = "malicious"
    rationale = "A malicious-package report names this package: installing it runs an attacker's code."
    help = (
        "Fails at every level and cannot be turned off, waived or exempted. Matches OSV `MAL-` "
        "reports (the name, and the version where the report lists versions) and PEP 792 "
        "`quarantined` projects. Without malicious-package data the `malicious_reports` fact is "
        "unknown (`data-unknown`); so is `project_status` where the index does not state it "
        "(Simple API before 1.4)."
    )
    params: Mapping[str, type] = {}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        status = facts.project_status
        if isinstance(status, Known) and status.value == "quarantined":
            outcomes.append(
                Hit(
                    message=f"{package.ref.name} is quarantined on its index (PEP 792)",
                    evidence={
                        "project_status": status.value,
                        "source": status.source,
                        "fetched_at": status.fetched_at.isoformat(),
                    },
                    remediation=f"remove {package.ref.name} and check the machines that installed it",
                )
            )
        reported: dict[str, tuple[Advisory, Known[tuple[Advisory, ...]]]] = {}
        # A MAL- id can also reach the vulnerability fact as an alias of a vulnerability record.
        for fact in (facts.advisories, facts.malicious_reports):
            if isinstance(fact, Known):
                for advisory in fact.value:
                    if advisory.kind is AdvisoryKind.MALICIOUS and not advisory.withdrawn:
                        reported.setdefault(advisory.id, (advisory, fact))
        for advisory, found_in in (reported[key] for key in sorted(reported)):
            outcomes.append(
                Hit(
                    message=f"{advisory.id}: {package.ref} is reported as malicious",
                    evidence=_advisory_evidence(advisory, found_in),
                    remediation=f"remove {package.ref.name} and check the machines that installed it",
                )
            )
        if not isinstance(status, Known):
            # PEP 792: an index that does not state the status cannot vouch that it is not quarantined.
            outcomes.append(missing("project_status", status))
        if not isinstance(facts.malicious_reports, Known):
            outcomes.append(missing("malicious_reports", facts.malicious_reports))
        return outcomes
