"""Markdown and HTML of real audits: short enough for CI, self-contained, escaped, complete."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

from supplychain.model import Action, Finding
from supplychain.report import RENDERERS
from supplychain.report.common import effective
from supplychain.report.markdown import _ICON as MD_ICON
from supplychain.report.markdown import MAX_ROWS
from tests.report.audited import real_audit


def test_markdown_is_short_with_verdict_failures_and_remediation() -> None:
    result = real_audit("uv")
    text = RENDERERS["markdown"].render(result)
    lines = text.splitlines()
    assert len(lines) <= 50
    assert lines[0] == f"## {MD_ICON[result.verdict.value]} supplychain: {result.verdict.value.upper()}"
    failing = [f for f in result.findings if effective(f) is Action.FAIL]
    rows = [line for line in lines if line.startswith("| ❌ |")]
    assert len(failing) > MAX_ROWS  # the case this test is about
    assert len(rows) == MAX_ROWS
    assert f"{len(failing) - MAX_ROWS} more; see the JSON or HTML report for all findings." in text
    # The worst package (highest score) is first, with its rule and the rule's remediation.
    top = max(failing, key=lambda f: result.scores[f.package].score if f.package else 0)
    assert rows[0].startswith(f"| ❌ | `{top.package}` |")
    cells = [c.strip() for c in rows[0].strip("|").split(" | ")]
    first = next(
        f for f in failing if str(f.package) == cells[1].strip("`") and f.rule == cells[2].strip("`")
    )
    assert cells[4] == first.remediation


def test_markdown_lists_the_real_requests_vulnerabilities() -> None:
    text = RENDERERS["markdown"].render(real_audit("pipfile"))
    vulns = re.findall(
        r"\| ❌ \| `requests==2\.25\.1` \| `vulnerability` \| (PYSEC-[\d-]+) .*"
        r"\| upgrade requests to ([\d.]+) or later \|",
        text,
    )
    assert sorted(vulns) == [
        ("PYSEC-2023-74", "2.31.0"),
        ("PYSEC-2026-1872", "2.32.4"),
        ("PYSEC-2026-1873", "2.32.0"),
        ("PYSEC-2026-2275", "2.33.0"),
    ]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str | None]] = []
        self.external: list[str] = []
        self.scripts = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and "data-name" in found:
            self.rows.append(found)
        for key in ("src", "href"):
            if found.get(key):
                self.external.append(str(found[key]))
        if tag == "link":
            self.external.append(str(found))
        self.scripts += tag == "script"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_one_self_contained_file_with_every_package() -> None:
    result = real_audit("uv")
    page = _Collector()
    page.feed(RENDERERS["html"].render(result))
    assert page.external == []
    assert page.scripts == 1
    assert [r["data-name"] for r in page.rows] == sorted(p.ref.name for p in result.graph.packages())
    scores = {r["data-name"]: int(str(r["data-score"])) for r in page.rows}
    assert scores == {ref.name: s.score for ref, s in result.scores.items()}


def test_html_escapes_untrusted_text() -> None:
    """A finding message is untrusted (it quotes package metadata): hand-made hostile text stays text."""
    result = real_audit("pipfile")
    victim = next(f for f in result.findings if f.package is not None)
    hostile = Finding(
        rule=victim.rule,
        action=victim.action,
        package=victim.package,
        message='<script>alert("x")</script><img src=x onerror=alert(1)>',
        evidence={"html": "</pre><script>alert(2)</script>"},
    )
    html = RENDERERS["html"].render(replace(result, findings=(hostile, *result.findings)))
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
