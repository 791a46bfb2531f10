"""Plain-data views of an AuditResult that several renderers share: findings, scores, locations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from packaging.utils import NormalizedName

from supplychain.model import JSON, Action, Finding
from supplychain.report.facts_json import iso
from supplychain.result import AuditResult


def plain(value: object) -> JSON:
    """Policy thresholds and evidence as JSON (tuples become lists, mappings get string keys)."""
    match value:
        case None | bool() | int() | float() | str():
            return value
        case Mapping():
            return {str(key): plain(item) for key, item in sorted(value.items(), key=lambda kv: str(kv[0]))}
        case tuple() | list() | set() | frozenset():
            items = [plain(item) for item in value]
            return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return str(value)


def effective(finding: Finding) -> Action:
    """A suppressed failure counts as a warning everywhere it is shown."""
    if finding.action is Action.FAIL and finding.suppressed_by is not None:
        return Action.WARN
    return finding.action


def finding_json(finding: Finding) -> dict[str, JSON]:
    package: JSON = None
    if finding.package is not None:
        package = {"name": finding.package.name, "version": str(finding.package.version)}
    return {
        "rule": finding.rule,
        "action": finding.action.value,
        "package": package,
        "message": finding.message,
        "evidence": plain(finding.evidence),
        "remediation": finding.remediation,
        "suppressed_by": finding.suppressed_by,
    }


def finding_key(finding: Finding) -> tuple[str, str, str, str]:
    return (finding.rule, str(finding.package or ""), finding.message, repr(plain(finding.evidence)))


def freshness_json(result: AuditResult) -> dict[str, JSON]:
    return {
        name: None if moment is None else iso(moment)
        for name, moment in sorted(result.data_freshness.items())
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Declared:
    """Where a finding should point in the user's files; ``line`` None = the whole file."""

    file: str
    line: int | None


def parse_location(text: str) -> Declared:
    file, sep, line = text.rpartition(":")
    if sep and line.isdigit() and file:
        return Declared(file=file, line=int(line))
    return Declared(file=text, line=None)


def declared_for(result: AuditResult, name: NormalizedName | None) -> Declared:
    """The package's own declaration, else the first top-level requirement pulling it in, else the input."""
    if name is not None and name in result.graph:
        candidates = [name, *result.graph.top_level_for(name)]
        for candidate in candidates:
            if candidate in result.declared_at:
                return parse_location(result.declared_at[candidate])
    return Declared(file=result.inputs[0] if result.inputs else "supplychain.toml", line=None)


def counts(result: AuditResult) -> dict[str, int]:
    """The one count every report prints (terminal verdict line, Markdown, HTML).

    ``fail`` / ``warn``: findings by effective action (a suppressed failure warns), data-unknown
    ones included; ``unknown``: facts a rule needed that no source could learn, one per package
    and fact (``result.unknowns``: the list the reports show, so the two always agree). The
    verdict itself is the engine's, never recomputed here.
    """
    actions = [effective(f) for f in result.findings]
    return {
        "packages": len(result.graph),
        "fail": sum(a is Action.FAIL for a in actions),
        "warn": sum(a is Action.WARN for a in actions),
        "suppressed": sum(f.suppressed_by is not None for f in result.findings),
        "unknown": len(result.unknowns),
    }
