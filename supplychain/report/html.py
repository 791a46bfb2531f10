"""One self-contained HTML file: verdict, a sortable/filterable package table with evidence, the graph."""

from __future__ import annotations

import json

import jinja2

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
    for finding in sorted(result.findings, key=finding_key):
        if finding.package is not None:
            entry: dict[str, object] = dict(finding_json(finding))
            entry["effective"] = effective(finding).value
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


def render_html(result: AuditResult) -> str:
    template = _ENV.get_template("report.html.j2")
    environment = [f for f in sorted(result.findings, key=finding_key) if f.package is None]
    text = template.render(
        result=result,
        generated_at=iso(result.generated_at),
        counts=counts(result),
        rows=_rows(result),
        environment=[finding_json(f) for f in environment],
        svg=graph_svg(result),
        colours=COLOURS,
    )
    return scrub(text)


class HtmlRenderer:
    id = "html"
    extension = "html"

    def render(self, result: AuditResult) -> str:
        return render_html(result)
