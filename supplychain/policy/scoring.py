"""Triage scores: a per-package 0-100 risk number with each rule's share.

The environment's counts (failing, warnings, unknown) are ``report.common.counts``, the one
definition every report prints.

Scores rank what a reviewer reads first; the verdict never looks at them (a high average must not hide
one failing package).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from supplychain.model import Action, Finding, PackageRef, PackageScore

WEIGHTS: dict[str, int] = {
    "malicious": 100,
    "provenance-invalid": 60,
    "hash-mismatch": 60,
    "publisher-changed": 40,
    "vulnerability": 40,
    "typosquat": 50,
    "vanished": 50,
    "dependency-confusion": 50,
    "untrusted-source": 30,
    "yanked": 20,
    "startup-hook": 20,
    "young-project": 20,
    "indie-maintained": 15,
    "low-popularity": 15,
    "fresh-release": 15,
    "abandoned": 15,
    "publish-surface": 10,
    "low-use-internal": 10,
    "no-provenance": 10,
    "build-from-source": 10,
    "unpinned": 10,
    "not-allowlisted": 10,
    "license": 5,
    "data-unknown": 5,
}
_SEVERITY_WEIGHT = {"critical": 60, "high": 40, "medium": 20, "low": 10}


def _weight(finding: Finding) -> int:
    base = WEIGHTS[finding.rule]
    if finding.rule == "vulnerability":
        severity = finding.evidence.get("severity")
        base = _SEVERITY_WEIGHT.get(severity if isinstance(severity, str) else "", 40)
    return base if finding.action is Action.FAIL and finding.suppressed_by is None else base // 2


def score(refs: Iterable[PackageRef], findings: Iterable[Finding]) -> dict[PackageRef, PackageScore]:
    """Each rule counts once per package (its largest contribution); the total caps at 100."""
    shares: dict[PackageRef, dict[str, int]] = defaultdict(dict)
    for finding in findings:
        if finding.package is None or finding.action is Action.OFF:
            continue
        rules = shares[finding.package]
        rules[finding.rule] = max(rules.get(finding.rule, 0), _weight(finding))
    out: dict[PackageRef, PackageScore] = {}
    for ref in sorted(refs):
        rules = shares.get(ref, {})
        contributions = tuple(sorted(rules.items(), key=lambda item: (-item[1], item[0])))
        out[ref] = PackageScore(ref=ref, score=min(100, sum(rules.values())), contributions=contributions)
    return out
