"""What a change brings: the delta of two audit reports (packages added, removed, changed; findings).

Pure and JSON-only: it reads two ``audit-1`` documents (a saved report, or one built from a
fresh result), so ``audit --baseline``, ``supplychain diff`` and every renderer share one answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from supplychain.model import JSON, Verdict
from supplychain.urls import scrub

# The facts a package change can name, in the order ``what`` lists them.
WHAT = ("version", "origin", "index", "hashes", "maintainers", "publisher")
# The evidence key that tells two findings of one rule on one package apart (an advisory, a fact...).
_DISCRIMINATORS = ("advisory", "fact", "target", "dataset", "index", "url")


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageChange:
    """One package added (``before`` None), removed (``after`` None) or changed (``what`` names the facts)."""

    name: str
    before: Mapping[str, JSON] | None
    after: Mapping[str, JSON] | None
    what: tuple[str, ...] = ()

    def json(self) -> dict[str, JSON]:
        """The ``{name, before, after, what}`` object of the JSON report's ``delta``."""
        return {
            "name": self.name,
            "before": None if self.before is None else dict(self.before),
            "after": None if self.after is None else dict(self.after),
            "what": list(self.what),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Delta:
    """The delta of a report against its baseline; findings are shaped as in the report's ``findings``."""

    baseline: str  # what it was compared to: a report file, or "git REF:path"
    added: tuple[PackageChange, ...] = ()
    removed: tuple[PackageChange, ...] = ()
    changed: tuple[PackageChange, ...] = ()
    new_findings: tuple[Mapping[str, JSON], ...] = ()
    resolved_findings: tuple[Mapping[str, JSON], ...] = ()
    fail_on: str = "all"  # "new": the verdict counts new failing findings only

    @property
    def empty(self) -> bool:
        """Nothing changed: no package and no finding differs."""
        return not (self.added or self.removed or self.changed or self.new_findings or self.resolved_findings)

    def new_keys(self) -> frozenset[tuple[str, ...]]:
        """The identities of the new findings (see ``finding_identity``)."""
        return frozenset(finding_identity(f) for f in self.new_findings)

    def json(self) -> dict[str, JSON]:
        """The JSON report's ``delta`` object (schema ``audit-1``, ``$defs.delta``)."""
        return {
            "baseline": self.baseline,
            "fail_on": self.fail_on,
            "added": [c.json() for c in self.added],
            "removed": [c.json() for c in self.removed],
            "changed": [c.json() for c in self.changed],
            "new_findings": [dict(f) for f in self.new_findings],
            "resolved_findings": [dict(f) for f in self.resolved_findings],
        }


def failing(finding: Mapping[str, JSON]) -> bool:
    """A finding that fails the verdict: action fail and not waived."""
    return finding.get("action") == "fail" and finding.get("suppressed_by") is None


def finding_identity(finding: Mapping[str, JSON]) -> tuple[str, ...]:
    """Rule, package name, what it is about, and whether it fails: the same problem across versions.

    The version is left out (an upgrade that keeps an advisory keeps the finding); the failing
    state is in (a warning that becomes a failure is new), so a change never hides a new failure.
    """
    package = finding.get("package")
    name = package.get("name") if isinstance(package, dict) else None
    evidence = finding.get("evidence")
    about = ""
    if isinstance(evidence, dict):
        about = next((str(evidence[key]) for key in _DISCRIMINATORS if key in evidence), "")
    if not about and name is None:
        about = str(finding.get("message", ""))
    about = scrub(about)  # a saved report masks credentials in URLs: compare as it does
    return (str(finding.get("rule")), str(name or ""), about, "fail" if failing(finding) else "warn")


def _known(facts: object, name: str) -> JSON:
    """A fact's value from a report's ``facts`` object, or None when it is unknown or absent."""
    if not isinstance(facts, dict):
        return None
    signal = facts.get(name)
    if isinstance(signal, dict) and "value" in signal:
        value: JSON = signal["value"]
        return value
    return None


def package_summary(entry: Mapping[str, JSON]) -> dict[str, JSON]:
    """The facts a delta compares, from one ``packages`` entry; None where the report did not know."""
    facts = entry.get("facts")
    maintainers = _known(facts, "maintainers")
    provenance = _known(facts, "provenance")
    origin = entry.get("origin")
    origin_map = origin if isinstance(origin, dict) else {}
    hashes = origin_map.get("hashes")
    publishers = provenance.get("publishers") if isinstance(provenance, dict) else None
    digests: JSON = None
    if isinstance(hashes, list) and hashes:
        digests = [str(h) for h in sorted(str(h) for h in hashes)]
    users: JSON = None
    if isinstance(maintainers, list):
        users = [str(u) for u in sorted(str(m.get("user")) for m in maintainers if isinstance(m, dict))]
    publisher: JSON = (
        sorted(publishers, key=lambda p: json.dumps(p, sort_keys=True))
        if isinstance(publishers, list)
        else None
    )
    return {
        "version": entry.get("version"),
        "origin": {"kind": origin_map.get("kind"), "url": origin_map.get("url")},
        "index": _known(facts, "index"),
        "hashes": digests,
        "maintainers": users,
        "publisher": publisher,
    }


def _what(before: Mapping[str, JSON], after: Mapping[str, JSON]) -> tuple[str, ...]:
    """The facts that differ; a fact unknown on either side is no change (its unknown is a finding)."""
    changed = []
    for key in WHAT:
        old, new = before.get(key), after.get(key)
        if key in ("version", "origin"):
            if old != new:
                changed.append(key)
        elif old is not None and new is not None and old != new:
            changed.append(key)
    return tuple(changed)


def _packages(document: Mapping[str, JSON]) -> dict[str, dict[str, JSON]]:
    packages = document.get("packages")
    found: dict[str, dict[str, JSON]] = {}
    for entry in packages if isinstance(packages, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            found[str(entry["name"])] = package_summary(entry)
    return found


def _findings(document: Mapping[str, JSON]) -> list[dict[str, JSON]]:
    findings = document.get("findings")
    return [f for f in findings if isinstance(f, dict)] if isinstance(findings, list) else []


def compute_delta(
    old: Mapping[str, JSON], new: Mapping[str, JSON], *, baseline: str, fail_on: str = "all"
) -> Delta:
    """The delta of report ``new`` against report ``old`` (both ``audit-1`` documents)."""
    before, after = _packages(old), _packages(new)
    changed = []
    for name in sorted(before.keys() & after.keys()):
        what = _what(before[name], after[name])
        if what:
            changed.append(PackageChange(name=name, before=before[name], after=after[name], what=what))
    old_findings, new_findings = _findings(old), _findings(new)
    old_keys = {finding_identity(f) for f in old_findings}
    new_keys = {finding_identity(f) for f in new_findings}
    return Delta(
        baseline=baseline,
        added=tuple(
            PackageChange(name=n, before=None, after=after[n]) for n in sorted(after.keys() - before.keys())
        ),
        removed=tuple(
            PackageChange(name=n, before=before[n], after=None) for n in sorted(before.keys() - after.keys())
        ),
        changed=tuple(changed),
        new_findings=tuple(f for f in new_findings if finding_identity(f) not in old_keys),
        resolved_findings=tuple(f for f in old_findings if finding_identity(f) not in new_keys),
        fail_on=fail_on,
    )


def verdict_on_new(delta: Delta, verdict: Verdict) -> Verdict:
    """``--fail-on new``: failed (incomplete, for a new data-unknown failure) for new failing findings only.

    ``verdict`` is the verdict on all findings; with ``fail_on == "all"`` it stands unchanged.
    """
    if delta.fail_on != "new":
        return verdict
    new_failing = [f for f in delta.new_findings if failing(f)]
    if any(f.get("rule") != "data-unknown" for f in new_failing):
        return Verdict.FAILED
    return Verdict.INCOMPLETE if new_failing else Verdict.PASSED


def reasons(delta: Delta) -> dict[str, list[Mapping[str, JSON]]]:
    """New findings grouped by package name ("" for environment-wide ones), for the short summaries."""
    grouped: dict[str, list[Mapping[str, JSON]]] = {}
    for finding in delta.new_findings:
        package = finding.get("package")
        name = str(package.get("name")) if isinstance(package, dict) else ""
        grouped.setdefault(name, []).append(finding)
    return dict(sorted(grouped.items()))


def change_line(change: PackageChange) -> str:
    """One line naming a package change: ``requests 2.25.1 -> 2.32.0 (version, hashes)``."""
    old = change.before.get("version") if change.before else None
    new = change.after.get("version") if change.after else None
    if change.before is None:
        return f"{change.name} {new} (added)"
    if change.after is None:
        return f"{change.name} {old} (removed)"
    shown = f"{old} -> {new}" if old != new else str(new)
    origin = change.after.get("origin")
    if "origin" in change.what and isinstance(origin, dict):
        shown += f", now from {origin.get('kind')} {origin.get('url')}"
    return f"{change.name} {shown} ({', '.join(change.what)})"


def summary_line(delta: Delta) -> str:
    """``against B: 1 added, 0 removed, 2 changed; 3 new findings (2 failing), 4 resolved``."""
    failing_new = sum(failing(f) for f in delta.new_findings)
    scope = "; the verdict counts new failing findings only" if delta.fail_on == "new" else ""
    return (
        f"against {delta.baseline}: {len(delta.added)} added, {len(delta.removed)} removed, "
        f"{len(delta.changed)} changed; {len(delta.new_findings)} new findings ({failing_new} failing), "
        f"{len(delta.resolved_findings)} resolved{scope}"
    )


def finding_lines(findings: Sequence[Mapping[str, JSON]]) -> list[str]:
    """``action rule: message`` for each finding, as the terminal and Markdown summaries print them."""
    return [f"{'fail' if failing(f) else 'warn'} {f.get('rule')}: {f.get('message')}" for f in findings]


__all__ = [
    "WHAT",
    "Delta",
    "PackageChange",
    "change_line",
    "compute_delta",
    "failing",
    "finding_identity",
    "finding_lines",
    "package_summary",
    "reasons",
    "summary_line",
    "verdict_on_new",
]
