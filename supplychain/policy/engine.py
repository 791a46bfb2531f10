"""Evaluating a policy: run every enabled rule on every package, apply the allowlist and exemptions, decide.

The verdict (documented in policies/README.md): FAILED when a ``malicious`` finding fails; otherwise
INCOMPLETE when a ``data-unknown`` finding fails (exit 3: the missing data must be fetched before the
audit can say anything, and the known failures are still listed); otherwise FAILED when any finding
fails; otherwise PASSED. Suppressed findings (exempted, or waived to warn) never fail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

from supplychain.allowlist.coverage import Coverage
from supplychain.allowlist.entries import Approval, Exemptions
from supplychain.allowlist.exemptions import exemption_for, exemption_label, names_finding
from supplychain.model import JSON, Action, Advisory, Finding, Known, PackageFacts, PackageRef, Verdict
from supplychain.policy import RULES, UNWAIVABLE
from supplychain.policy.base import Environment, Hit, Missing
from supplychain.policy.origin import refused_index_findings, trusted_host_findings
from supplychain.policy.schema import Policy
from supplychain.result import UnknownFact
from supplychain.sources.scope import INTERNAL

_SEVERITY = {Action.FAIL: 0, Action.WARN: 1, Action.OFF: 2}


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """The engine's answer for one environment: findings, unknowns, verdict and stale entries."""

    findings: tuple[Finding, ...]
    unknowns: tuple[UnknownFact, ...]
    verdict: Verdict
    expired_entries: tuple[str, ...] = ()
    unused_entries: tuple[str, ...] = ()


def _cap(hit: Action | None, configured: Action) -> Action:
    """A rule's own tier (e.g. a medium advisory only warns) never exceeds the policy's action."""
    if hit is None:
        return configured
    return hit if _SEVERITY[hit] > _SEVERITY[configured] else configured


def _advisory(facts: PackageFacts | None, evidence: Mapping[str, JSON]) -> Advisory | None:
    if facts is None or not isinstance(facts.advisories, Known):
        return None
    wanted = evidence.get("advisory")
    return next((a for a in facts.known_advisories() if a.id == wanted), None)


def evaluate(
    policy: Policy,
    env: Environment,
    *,
    coverage: Coverage,
    exemptions: Exemptions | None,
    today: dt.date,
    datasets: Mapping[str, dt.datetime | None] | None = None,
) -> Evaluation:
    """Findings for the whole environment, sorted fail-first, and the verdict they imply."""
    findings: list[Finding] = []
    needed: dict[tuple[str, str], tuple[Missing, PackageRef, set[str]]] = {}
    used_exemptions: set[str] = set()
    for package in env.graph.packages():
        facts = env.facts.get(package.ref) or PackageFacts.unknown(package.ref, "no source ran")
        for rule_id, rule in RULES.items():
            settings = policy.rules[rule_id]
            if settings.action is Action.OFF or rule_id == "data-unknown":
                continue
            for outcome in rule.evaluate(package, facts, settings, env):
                if isinstance(outcome, Missing):
                    key = (str(package.ref), outcome.fact)
                    needed.setdefault(key, (outcome, package.ref, set()))[2].add(rule_id)
                    continue
                finding = _finding(rule_id, outcome, settings.action, package.ref)
                findings.append(
                    _suppress(
                        finding,
                        facts=facts,
                        coverage=coverage,
                        exemptions=exemptions,
                        today=today,
                        used=used_exemptions,
                    )
                )
    # Unknown facts are waivable like any rule's findings (never malicious: it is not one of them).
    for finding in (*_unknown_findings(policy, needed), *_stale_facts(policy, env)):
        findings.append(
            _suppress(
                finding,
                facts=None,  # no advisory to match: these are never an advisory's finding
                coverage=coverage,
                exemptions=exemptions,
                today=today,
                used=used_exemptions,
            )
        )
    findings.extend(_stale_datasets(policy, env.now, datasets or {}))
    findings.extend(refused_index_findings(env.refused_indexes, policy.rules["untrusted-source"]))
    findings.extend(trusted_host_findings(env.trusted_hosts, policy.rules["untrusted-source"]))
    findings.sort(
        key=lambda f: (
            f.suppressed_by is not None,
            _SEVERITY[f.action],
            f.rule,
            str(f.package or ""),
            f.message,
        )
    )
    unknowns = tuple(
        UnknownFact(package=key[0], fact=key[1], reason=m.reason, source=m.source)
        for key, (m, _, _) in sorted(needed.items())
    )
    expired = [held.located for held in coverage.expired]
    unused = [held.located for held in coverage.unused]
    if exemptions is not None:
        for entry in exemptions.entries:
            name = exemption_label(exemptions, entry)
            if entry.expires < today:
                expired.append(name)
            elif name not in used_exemptions:
                unused.append(name)
    return Evaluation(
        findings=tuple(findings),
        unknowns=unknowns,
        verdict=verdict_of(findings),
        expired_entries=tuple(sorted(expired)),
        unused_entries=tuple(sorted(unused)),
    )


def verdict_of(findings: list[Finding] | tuple[Finding, ...]) -> Verdict:
    """The verdict findings give: malicious fails outright, unknown data is INCOMPLETE, never a pass."""
    failing = [f for f in findings if f.action is Action.FAIL and f.suppressed_by is None]
    if any(f.rule == "malicious" for f in failing):
        return Verdict.FAILED
    if any(f.rule == "data-unknown" for f in failing):
        return Verdict.INCOMPLETE
    return Verdict.FAILED if failing else Verdict.PASSED


def _finding(rule_id: str, hit: Hit, configured: Action, ref: PackageRef) -> Finding:
    return Finding(
        rule=rule_id,
        action=_cap(hit.action, configured),
        package=ref,
        message=hit.message,
        evidence=dict(hit.evidence),
        remediation=hit.remediation,
    )


def _suppress(
    finding: Finding,
    *,
    facts: PackageFacts | None,
    coverage: Coverage,
    exemptions: Exemptions | None,
    today: dt.date,
    used: set[str],
) -> Finding:
    if finding.rule in UNWAIVABLE or finding.package is None:
        return finding
    about = _about(finding)
    entry = exemption_for(
        exemptions, finding.package, finding.rule, _advisory(facts, finding.evidence), today, facts=about
    )
    if entry is not None and exemptions is not None:
        name = exemption_label(exemptions, entry)
        used.add(name)
        return replace(finding, suppressed_by=name)
    waiver = coverage.waivers.get(finding.package)
    if waiver and finding.action is Action.FAIL:
        held, rules = waiver
        named = held.entry.facts if isinstance(held.entry, Approval) else ()
        if names_finding(rules, named, finding.rule, about):
            return replace(finding, action=Action.WARN, suppressed_by=held.located)
    return finding


def _about(finding: Finding) -> tuple[str, ...]:
    """The facts a ``data-unknown`` finding is about (one unknown fact, or the stale ones)."""
    fact, stale = finding.evidence.get("fact"), finding.evidence.get("facts")
    if isinstance(fact, str):
        return (fact,)
    if isinstance(stale, list):
        return tuple(item for item in stale if isinstance(item, str))
    return ()


def _unknown_findings(
    policy: Policy, needed: Mapping[tuple[str, str], tuple[Missing, PackageRef, set[str]]]
) -> list[Finding]:
    out: list[Finding] = []
    for (_, fact), (missing, ref, rules) in sorted(needed.items()):
        action = _data_unknown_action(policy, (fact,))
        if action is Action.OFF:
            continue
        out.append(
            Finding(
                rule="data-unknown",
                action=action,
                package=ref,
                message=f"{fact} of {ref} is unknown ({missing.reason}); "
                f"needed by {', '.join(sorted(rules))}",
                evidence={
                    "fact": fact,
                    "reason": missing.reason,
                    "source": missing.source,
                    "rules": [*map(str, sorted(rules))],
                },
                remediation=_unknown_remedy(fact, missing),
            )
        )
    return out


def _unknown_remedy(fact: str, missing: Missing) -> str:
    """Retry when the fetch failed; when no source will ever say (an internal package), review and exempt."""
    if missing.source == INTERNAL or missing.settled:
        return f'no source can say: review it, then exempt it (exemptions: facts = ["{fact}"])'
    return "restore access to the source and rerun (or refresh the offline data)"


def _data_unknown_action(policy: Policy, facts: tuple[str, ...] = ()) -> Action:
    """Unknown or stale data fails at fail-closed levels, and for the facts in ``fail_facts``,
    whatever the rule's own action says: stale advisories are treated like missing ones."""
    settings = policy.rules["data-unknown"]
    if policy.fail_closed or set(facts) & set(settings.strings("fail_facts")):
        return Action.FAIL
    return settings.action


# The offline datasets (the data store's names): the facts each gives, and the policy key capping its
# age. A top-packages list is published monthly, an advisory database changes every day.
_DATASETS: dict[str, tuple[tuple[str, ...], str]] = {
    "advisories": (("advisories",), "max_advisory_age_days"),
    "malicious": (("malicious_reports",), "max_advisory_age_days"),
    "top-packages": (
        ("downloads_30d", "popularity_rank", "downloads_30d_at_most"),
        "max_popularity_age_days",
    ),
}


def _stale_datasets(
    policy: Policy, now: dt.datetime, datasets: Mapping[str, dt.datetime | None]
) -> list[Finding]:
    """A dataset older than its policy maximum, or with no date to tell its age, is data unknown."""
    out: list[Finding] = []
    for name, as_of in sorted(datasets.items()):
        facts, key = _DATASETS.get(name, ((), "max_data_age_days"))
        limit = _max_age(policy, key)
        action = _data_unknown_action(policy, facts)
        if action is Action.OFF:
            continue
        if as_of is None:
            message = f"dataset {name} has no dates, so its age is unknown (policy maximum {limit}, {key})"
        elif (age := (now - as_of).days) > limit:
            message = f"dataset {name} is {age} days old (policy maximum {limit}, {key})"
        else:
            continue
        out.append(
            Finding(
                rule="data-unknown",
                action=action,
                package=None,
                message=message,
                evidence={
                    "dataset": name,
                    "as_of": as_of.isoformat() if as_of else None,
                    "facts": list(facts),
                    "max_age_days": limit,
                },
                remediation="supplychain db update",
            )
        )
    return out


def _max_age(policy: Policy, key: str) -> int:
    limits = {
        "max_data_age_days": policy.max_data_age_days,
        "max_advisory_age_days": policy.max_advisory_age_days,
        "max_popularity_age_days": policy.max_popularity_age_days,
    }
    return limits[key]


# Sources whose answers the caches keep: an offline audit may read them long after they were learned.
_CACHED_SOURCES = frozenset({"pypi", "simple", "integrity"})


def _stale_facts(policy: Policy, env: Environment) -> list[Finding]:
    """Index facts older than ``max_data_age_days`` are as stale as an old dataset.

    ``--offline`` answers from the caches at any age (the pre-commit hook relies on it); a yank, an
    ownership change or a quarantine since then would go unseen, so age past the policy's limit
    counts as data unknown, like an old advisory database.
    """
    limit = dt.timedelta(days=policy.max_data_age_days)
    out: list[Finding] = []
    for _ref, facts in sorted(env.facts.items()):
        stale = sorted(
            (field.name, signal.fetched_at)
            for field in dataclasses.fields(facts)
            if isinstance(signal := getattr(facts, field.name), Known)
            and signal.source in _CACHED_SOURCES
            and env.now - signal.fetched_at > limit
        )
        action = _data_unknown_action(policy, tuple(f for f, _ in stale))
        if not stale or action is Action.OFF:
            continue
        oldest = min(when for _fact, when in stale)
        out.append(
            Finding(
                rule="data-unknown",
                action=action,
                package=facts.ref,
                message=(
                    f"facts about {facts.ref} are {(env.now - oldest).days} days old "
                    f"(policy maximum {policy.max_data_age_days}): {', '.join(f for f, _ in stale)}"
                ),
                evidence={"facts": [f for f, _ in stale], "fetched_at": oldest.isoformat()},
                remediation="run the audit online once to refresh the cache",
            )
        )
    return out
