"""The terminal summary: verdict, counts, and the worst offenders first with rule, message and fix."""

from __future__ import annotations

from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from supplychain.model import Action, Finding, Verdict
from supplychain.policy.scoring import summary
from supplychain.result import AuditResult

_STYLE = {Verdict.PASSED: "bold green", Verdict.FAILED: "bold red", Verdict.INCOMPLETE: "bold yellow"}
MAX_ROWS = 40


def verdict_line(result: AuditResult) -> str:
    """One line a CI log greps: verdict, policy and counts."""
    counts = summary(result.scores, result.findings)
    return (
        f"{result.verdict.value.upper()}: policy {result.policy.name}, {counts['packages']} packages, "
        f"{counts['fail']} failing, {counts['warn']} warnings, {counts['unknown']} unknown"
    )


def _ordered(result: AuditResult) -> list[Finding]:
    """Failing first, then by the package's score (highest first), then rule and package."""

    def key(finding: Finding) -> tuple[int, int, str, str]:
        rank = 0 if finding.action is Action.FAIL and finding.suppressed_by is None else 1
        score = (
            result.scores[finding.package.name].score
            if finding.package and finding.package.name in result.scores
            else 0
        )
        return (rank, -score, str(finding.package or ""), finding.rule)

    return sorted(result.findings, key=key)


def render_terminal(
    result: AuditResult, *, stream: IO[str] | None = None, quiet: bool = False, width: int | None = None
) -> None:
    """Print the summary; colour only when ``stream`` is a TTY (rich's detection); ``quiet``: verdict only."""
    console = Console(file=stream, width=width, highlight=False, soft_wrap=False)
    if width is None and not console.is_terminal:
        console.width = 160  # logs and pipes: wide enough for the table to stay readable
    line = Text(verdict_line(result), style=_STYLE[result.verdict])
    if quiet:
        console.print(line)
        return
    findings = _ordered(result)
    if findings:
        table = Table(title="Findings (worst first)", show_lines=False, expand=False)
        for column in ("action", "package", "score", "rule", "message", "remediation"):
            table.add_column(column, overflow="fold")
        for finding in findings[:MAX_ROWS]:
            action = (
                finding.action.value
                if finding.suppressed_by is None
                else f"{finding.action.value} (suppressed)"
            )
            score = result.scores.get(finding.package.name) if finding.package else None
            table.add_row(  # Text cells: messages may hold brackets that rich would read as markup
                Text(action, style="red" if action == "fail" else "yellow"),
                Text(str(finding.package or "(environment)")),
                Text(str(score.score) if score else ""),
                Text(finding.rule),
                Text(finding.message),
                Text(finding.remediation or ""),
            )
        console.print(table)
        if len(findings) > MAX_ROWS:
            console.print(f"... and {len(findings) - MAX_ROWS} more findings (use --format json for all)")
    if result.unknowns:
        console.print(f"Unknown facts ({len(result.unknowns)}):")
        for unknown in result.unknowns[:MAX_ROWS]:
            console.print(Text(f"  {unknown.package} {unknown.fact}: {unknown.reason} [{unknown.source}]"))
    for title, entries in (
        ("Expired allowlist/exemption entries", result.expired_entries),
        ("Unused allowlist/exemption entries", result.unused_entries),
    ):
        if entries:
            console.print(f"{title}:")
            for entry in entries:
                console.print(Text(f"  {entry}"))
    console.print(Text(f"Allowlist: {result.allowlist or 'none'}"))
    if result.verdict is Verdict.INCOMPLETE:
        console.print(
            "Data the policy needs was unavailable: restore access (or refresh offline data) and rerun."
        )
    console.print(line)
