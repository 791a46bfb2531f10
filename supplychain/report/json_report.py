"""The JSON report: the whole AuditResult as one deterministic document (schema ``audit-1``)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection

from supplychain.model import JSON, PackageRef
from supplychain.report.common import finding_json, finding_key, freshness_json, plain
from supplychain.report.facts_json import iso
from supplychain.report.graph_json import graph_document
from supplychain.result import AuditResult
from supplychain.target import Target
from supplychain.urls import scrub

SCHEMA_ID = "audit-1"


def audit_document(result: AuditResult) -> dict[str, object]:
    """Graph (with facts per package) plus findings, verdict, scores, policy and what stayed unknown."""
    target = Target.parse(result.python_version, result.platform)
    names = Counter(ref.name for ref in result.scores)
    several = {name for name, count in names.items() if count > 1}
    document = graph_document(result.graph, target=target, inputs=result.inputs, facts=result.facts)
    findings = sorted(result.findings, key=finding_key)
    extra: dict[str, object] = {
        "schema": SCHEMA_ID,
        "schema_version": result.schema_version,
        "generated_at": iso(result.generated_at),
        "verdict": result.verdict.value,
        "findings": [finding_json(f) for f in findings],
        "scores": {
            score_key(ref, several): {
                "version": str(score.ref.version),
                "score": score.score,
                "contributions": [{"rule": rule, "points": points} for rule, points in score.contributions],
            }
            for ref, score in sorted(result.scores.items())
        },
        "policy": {
            "name": result.policy.name,
            "level": result.policy.level,
            "fail_closed": result.policy.fail_closed,
            "rules": plain(result.policy.rules),
        },
        "unknowns": sorted(
            (
                {"package": u.package, "fact": u.fact, "reason": u.reason, "source": u.source}
                for u in result.unknowns
            ),
            key=lambda u: (u["package"], u["fact"], u["source"], u["reason"]),
        ),
        "data_freshness": freshness_json(result),
        "warnings": sorted(result.warnings),
        "expired_entries": sorted(result.expired_entries),
        "unused_entries": sorted(result.unused_entries),
        "declared_at": dict(sorted(result.declared_at.items())),
        "allowlist": result.allowlist,
        "inventory": result.inventory,
        **({"scope": dict(result.scope)} if result.scope else {}),
    }
    if result.delta is not None:
        extra["delta"] = result.delta.json()
    document.update(extra)
    return document


def dumps(document: object) -> str:
    """Sorted keys, two-space indent, trailing newline; credentials masked as a last line of defence."""
    return scrub(json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False)) + "\n"


class JsonRenderer:
    """The JSON report format (its schema is shipped and versioned)."""

    id = "json"
    extension = "json"

    def render(self, result: AuditResult) -> str:
        return dumps(audit_document(result))


__all__ = ["JSON", "SCHEMA_ID", "JsonRenderer", "audit_document", "dumps"]


def score_key(ref: PackageRef, several: Collection[str]) -> str:
    """The name, as ever; ``name==version`` for a name the audit holds at several versions."""
    return str(ref) if ref.name in several else ref.name
