"""SARIF 2.1.0: one rule per policy rule id, one result per finding, at the line that declares the package.

Transitive packages point at the top-level requirement that pulls them in, so GitHub code scanning
shows each alert on a line the author can change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import PurePath, PurePosixPath

from packaging.utils import NormalizedName, canonicalize_name

from supplychain.baseline import failing, finding_identity
from supplychain.model import JSON, Action, Finding
from supplychain.policy import RULES
from supplychain.report.common import declared_for, effective, finding_json, finding_key, plain
from supplychain.report.json_report import dumps
from supplychain.result import AuditResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Action.FAIL: "error", Action.WARN: "warning", Action.OFF: "note"}


def _uri(file: str) -> tuple[str, str | None]:
    """A repository-relative URI under %SRCROOT%, or an absolute file URI."""
    path = PurePath(file)
    if path.is_absolute():
        return path.as_uri(), None
    return PurePosixPath(*path.parts).as_posix(), "%SRCROOT%"


def fingerprint(finding: Finding) -> str:
    """Stable across runs and data refreshes: rule, package, and the advisory or fact it is about."""
    return _fingerprint(finding.rule, str(finding.package or ""), finding.evidence)


def _fingerprint(rule: str, package: str, evidence: Mapping[str, object]) -> str:
    parts = [rule, package, *(str(evidence.get(key) or "") for key in ("advisory", "fact", "target"))]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _rules() -> list[JSON]:
    return [
        {
            "id": rule_id,
            "name": "".join(word.capitalize() for word in rule_id.split("-")),
            "shortDescription": {"text": rule.rationale},
            "fullDescription": {"text": rule.rationale},
            "help": {"text": rule.help, "markdown": f"**{rule_id}**: {rule.rationale}\n\n{rule.help}"},
        }
        for rule_id, rule in sorted(RULES.items())
    ]


def _location(result: AuditResult, name: NormalizedName | None) -> JSON:
    declared = declared_for(result, name)
    uri, base = _uri(declared.file)
    artifact: dict[str, JSON] = {"uri": uri}
    if base is not None:
        artifact["uriBaseId"] = base
    physical: dict[str, JSON] = {"artifactLocation": artifact}
    if declared.line is not None:
        physical["region"] = {"startLine": declared.line}
    return {"physicalLocation": physical}


def _result(result: AuditResult, finding: Finding, index: dict[str, int]) -> JSON:
    text = finding.message if finding.package is None else f"{finding.package}: {finding.message}"
    if finding.remediation:
        text = f"{text} Fix: {finding.remediation}"
    entry: dict[str, JSON] = {
        "ruleId": finding.rule,
        "ruleIndex": index[finding.rule],
        "level": _LEVEL[effective(finding)],
        "message": {"text": text},
        "locations": [_location(result, finding.package.name if finding.package else None)],
        "partialFingerprints": {"supplychain/v1": fingerprint(finding)},
        "properties": {
            "action": finding.action.value,
            "evidence": plain(finding.evidence),
            **(
                {"package": finding.package.name, "version": str(finding.package.version)}
                if finding.package
                else {}
            ),
        },
    }
    if finding.suppressed_by is not None:
        entry["suppressions"] = [{"kind": "external", "justification": finding.suppressed_by}]
    if result.delta is not None:
        new = finding_identity(finding_json(finding)) in result.delta.new_keys()
        entry["baselineState"] = "new" if new else "unchanged"
    return entry


def _absent(result: AuditResult, finding: Mapping[str, JSON], index: dict[str, int]) -> JSON:
    """A baseline finding this run no longer has: ``baselineState: absent``, so code scanning closes it."""
    rule = str(finding.get("rule"))
    package = finding.get("package")
    name = version = None
    if isinstance(package, dict):
        name, version = str(package.get("name")), str(package.get("version"))
    evidence = finding.get("evidence")
    shown = f"{name}=={version}" if name is not None else ""
    entry: dict[str, JSON] = {
        "ruleId": rule,
        "level": "error" if failing(finding) else "warning",
        "message": {"text": f"resolved: {shown + ': ' if shown else ''}{finding.get('message')}"},
        "locations": [_location(result, canonicalize_name(name) if name is not None else None)],
        "partialFingerprints": {
            "supplychain/v1": _fingerprint(rule, shown, evidence if isinstance(evidence, dict) else {})
        },
        "baselineState": "absent",
        "properties": {"action": finding.get("action"), "evidence": evidence},
    }
    if rule in index:
        entry["ruleIndex"] = index[rule]
    return entry


def sarif_document(result: AuditResult) -> dict[str, JSON]:
    """The SARIF 2.1.0 document code-scanning tools read."""
    rules = _rules()
    index = {str(rule["id"]): position for position, rule in enumerate(rules) if isinstance(rule, dict)}
    from supplychain import __version__

    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "supplychain",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root."}}},
                "results": [
                    _result(result, f, index)
                    for f in sorted(result.findings, key=finding_key)
                    if f.action is not Action.OFF
                ]
                + [
                    _absent(result, f, index)
                    for f in (result.delta.resolved_findings if result.delta is not None else ())
                    if f.get("action") != Action.OFF.value
                ],
                "properties": {
                    "verdict": result.verdict.value,
                    "policy": result.policy.name,
                    **({"baseline": result.delta.baseline} if result.delta is not None else {}),
                    **({"scope": str(result.scope["text"])} if result.scope else {}),
                },
            }
        ],
    }


class SarifRenderer:
    """The SARIF report format."""

    id = "sarif"
    extension = "sarif"

    def render(self, result: AuditResult) -> str:
        return dumps(sarif_document(result))
