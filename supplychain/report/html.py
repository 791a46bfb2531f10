"""One self-contained HTML file: verdict, a sortable/filterable package table with evidence, the graph."""

from __future__ import annotations

import json

import jinja2

from supplychain.baseline import Delta, change_line, failing, finding_identity, finding_lines, summary_line
from supplychain.model import FACT_NAMES, Known, PackageRef
from supplychain.report.common import counts, effective, finding_json, finding_key
from supplychain.report.facts_json import iso, value_json
from supplychain.report.graph_svg import COLOURS, graph_svg, risk_levels
from supplychain.result import AuditResult
from supplychain.urls import scrub

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("supplychain.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


def _rows(result: AuditResult) -> list[dict[str, object]]:
    depths = result.graph.depths()
    levels = risk_levels(result)
    by_package: dict[PackageRef, list[dict[str, object]]] = {}
    new_keys = result.delta.new_keys() if result.delta is not None else frozenset()
    for finding in sorted(result.findings, key=finding_key):
        if finding.package is not None:
            entry: dict[str, object] = dict(finding_json(finding))
            entry["effective"] = effective(finding).value
            entry["new"] = finding_identity(finding_json(finding)) in new_keys
            entry["evidence_text"] = json.dumps(entry["evidence"], sort_keys=True, indent=1)
            by_package.setdefault(finding.package, []).append(entry)
    rows = []
    for package in result.graph.packages():
        name = package.ref.name
        facts = []
        if (known := result.facts.get(package.ref)) is not None:
            for fact in FACT_NAMES:
                signal = getattr(known, fact)
                if isinstance(signal, Known):
                    value = json.dumps(value_json(signal.value), sort_keys=True)
                    facts.append((fact, value[:300], f"{signal.source}, {iso(signal.fetched_at)}"))
                else:
                    facts.append((fact, "unknown: " + signal.reason, signal.source))
        findings = by_package.get(package.ref, [])
        score = result.scores.get(package.ref)
        rows.append(
            {
                "name": name,
                "version": str(package.ref.version),
                "direct": result.graph.is_direct(name),
                "depth": depths.get(name, 0),
                "score": score.score if score else 0,
                "risk": levels[package.ref],
                "rules": sorted({str(f["rule"]) for f in findings}),
                "findings": findings,
                "facts": facts,
                "origin": package.origin.kind.value,
            }
        )
    return rows


def _delta(delta: Delta | None) -> dict[str, object] | None:
    """The baseline section's plain data: a summary, package change lines, new and resolved findings."""
    if delta is None:
        return None
    return {
        "summary": summary_line(delta),
        "changes": [change_line(c) for c in (*delta.added, *delta.removed, *delta.changed)],
        "new": [{**f, "failing": failing(f)} for f in delta.new_findings],
        "resolved": finding_lines(delta.resolved_findings),
    }


def render_html(result: AuditResult) -> str:
    """The self-contained HTML report (no external assets, so it opens offline)."""
    template = _ENV.get_template("report.html.j2")
    environment = [f for f in sorted(result.findings, key=finding_key) if f.package is None]
    text = template.render(
        result=result,
        generated_at=iso(result.generated_at),
        counts=counts(result),
        rows=_rows(result),
        environment=[finding_json(f) for f in environment],
        svg=graph_svg(result),
        delta=_delta(result.delta),
        colours=COLOURS,
    )
    return scrub(text)


class HtmlRenderer:
    """The HTML report format."""

    id = "html"
    extension = "html"

    def render(self, result: AuditResult) -> str:
        return render_html(result)
