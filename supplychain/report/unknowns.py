"""Unknown facts grouped by source and reason, and the one command that would fill them in.

A first run (no cache, no datasets) leaves the same few facts unknown for every package, each reason
naming that package's URL; one line per package buried the cause under hundreds of near-copies.
A group reads each reason for its gist: URLs cut to their origin (the path is the package's), and
a "not asked" that quotes another package's failure read as that failure.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from supplychain.model import Action, Finding, Verdict
from supplychain.report.common import effective
from supplychain.result import AuditResult
from supplychain.sources.popularity import NOT_ASKED

# scheme://host[:port] then the path, up to what follows a URL in a reason (": ", ")", ";", the end).
_PARENS = re.compile(r"[()]")
_URL = re.compile(r"(?P<origin>[A-Za-z][A-Za-z0-9+.-]*://[^/\s()]+?)(?:/[^\s()]*?)?(?=[:;,]?(?:\s|$)|\))")
# Failures of the service, not of one package: restoring access is what fixes them.
_UNREACHABLE = ("DNS lookup failed", "connection failed", "timed out", "HTTP 429", "HTTP 5")
_STRENGTH = {Action.FAIL: 0, Action.WARN: 1, Action.OFF: 2}


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownGroup:
    """Facts one source could not learn for one reason; ``count`` is package-fact pairs."""

    source: str
    reason: str
    facts: tuple[str, ...]
    packages: tuple[str, ...]  # "name==version", sorted
    count: int
    action: Action  # the strongest data-unknown action among them (OFF: the policy ignores them)


def gist(reason: str) -> str:
    """``reason`` without what is particular to one package (its URL path, a quoted earlier failure)."""
    start = reason.find(f"{NOT_ASKED} (")
    if start >= 0:
        inner = start + len(NOT_ASKED) + 2
        depth = 1
        for paren in _PARENS.finditer(reason, inner):
            depth += 1 if paren.group() == "(" else -1
            if depth == 0:
                reason = reason[:start] + reason[inner : paren.start()] + reason[paren.end() :]
                break
    return _URL.sub(lambda match: match["origin"], reason)


def is_fact_finding(finding: Finding) -> bool:
    """A per-package ``data-unknown`` finding (an unknown or stale fact): grouped, not listed one by one."""
    return (
        finding.rule == "data-unknown"
        and finding.package is not None
        and ("fact" in finding.evidence or "facts" in finding.evidence)
    )


def group_unknowns(result: AuditResult) -> list[UnknownGroup]:
    """``result.unknowns`` by (source, gist of the reason), blocking groups first, then the largest."""
    actions = {
        (str(f.package), str(f.evidence["fact"])): effective(f)
        for f in result.findings
        if is_fact_finding(f) and "fact" in f.evidence
    }
    members: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for unknown in result.unknowns:
        members[(unknown.source, gist(unknown.reason))].append((unknown.package, unknown.fact))
    groups = [
        UnknownGroup(
            source=source,
            reason=reason,
            facts=tuple(sorted({fact for _, fact in pairs})),
            packages=tuple(sorted({package for package, _ in pairs})),
            count=len(pairs),
            action=min((actions.get(pair, Action.OFF) for pair in pairs), key=_STRENGTH.__getitem__),
        )
        for (source, reason), pairs in members.items()
    ]
    return sorted(groups, key=lambda g: (_STRENGTH[g.action], -g.count, g.source, g.reason))


def stale_fact_findings(result: AuditResult) -> list[Finding]:
    """Per-package findings that cached index facts are older than the policy allows."""
    return [f for f in result.findings if is_fact_finding(f) and "facts" in f.evidence]


def next_step(result: AuditResult) -> str | None:
    """The command(s) that would fill in what stayed unknown or stale; None when nothing did."""
    reasons = [group.reason for group in group_unknowns(result)]
    datasets = [f for f in result.findings if f.package is None and "dataset" in f.evidence]
    steps = []
    if datasets or any("supplychain db update" in reason for reason in reasons):
        steps.append("`supplychain db update`")
    if stale_fact_findings(result) or any("(--offline)" in reason for reason in reasons):
        steps.append("`supplychain audit` once online (it fills the cache --offline reads)")
    hosts = sorted(
        {
            match["origin"]
            for reason in reasons
            if "(--offline)" not in reason and any(word in reason for word in _UNREACHABLE)
            for match in _URL.finditer(reason)
        }
    )
    if not steps and not hosts:
        return None
    text = "run " + ", then ".join(steps) if steps else ""
    if hosts:
        text += ("; or " if steps else "") + f"restore access to {', '.join(hosts)} and rerun"
    lead = "Next step" if result.verdict is Verdict.INCOMPLETE else "To learn what stayed unknown"
    return f"{lead}: {text}"
