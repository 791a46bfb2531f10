"""Markdown short enough for a pull-request comment or a CI job summary: verdict, failures, what to do."""

from __future__ import annotations

from supplychain.baseline import Delta, change_line, finding_lines, reasons, summary_line
from supplychain.baseline import failing as fails
from supplychain.model import Action, Finding
from supplychain.report.common import counts, effective
from supplychain.result import AuditResult
from supplychain.urls import scrub

MAX_ROWS = 30
_ICON = {"passed": "✅", "failed": "❌", "incomplete": "⚠️"}


def _cell(text: str | None) -> str:
    """One table cell: no newlines, pipes escaped, long text cut."""
    flat = " ".join((text or "").split()).replace("|", "\\|")
    return flat if len(flat) <= 160 else flat[:157] + "..."


def _ordered(result: AuditResult) -> list[Finding]:
    def key(finding: Finding) -> tuple[int, int, str, str]:
        ref = finding.package
        score = result.scores[ref].score if ref is not None and ref in result.scores else 0
        return (
            0 if effective(finding) is Action.FAIL else 1,
            -score,
            str(finding.package or ""),
            finding.rule,
        )

    return sorted((f for f in result.findings if effective(f) is not Action.OFF), key=key)


def _head(result: AuditResult) -> list[str]:
    """The verdict, the counts, the scope and (with a baseline) what the change brings."""
    total = counts(result)
    verdict = result.verdict.value
    lines = [
        f"## {_ICON[verdict]} supplychain: {verdict.upper()}",
        "",
        f"Policy **{result.policy.name}** · {total['packages']} packages · **{total['fail']} failing** · "
        f"{total['warn']} warnings · {total['unknown']} unknown facts · {total['suppressed']} suppressed",
        "",
    ]
    if result.scope:
        lines += [f"Scope: {result.scope['text']}", ""]
    if result.delta is not None:
        lines += delta_lines(result.delta)
    return lines


def render_markdown(result: AuditResult) -> str:
    """The Markdown report, short enough for a pull-request comment."""
    lines = _head(result)
    findings = _ordered(result)
    failing = [f for f in findings if effective(f) is Action.FAIL]
    shown = failing or findings
    if result.delta is not None:
        shown = []  # the pull-request comment: what this change brings; the full list is in the reports
        if failing:
            lines.append(
                f"All {len(failing)} failing findings of the environment: see the JSON or HTML report."
            )
    if shown:
        lines += ["| | package | rule | problem | what to do |", "|---|---|---|---|---|"]
        for finding in shown[:MAX_ROWS]:
            mark = "❌" if effective(finding) is Action.FAIL else "⚠️"
            lines.append(
                f"| {mark} | `{finding.package or '(environment)'}` | `{finding.rule}` | "
                f"{_cell(finding.message)} | {_cell(finding.remediation)} |"
            )
        if len(shown) > MAX_ROWS:
            lines.append(f"\n{len(shown) - MAX_ROWS} more; see the JSON or HTML report for all findings.")
        if failing and len(findings) > len(failing):
            lines.append(f"\nPlus {len(findings) - len(failing)} warnings (not listed here).")
    elif result.delta is None:
        lines.append("No findings.")
    notes = []
    if result.verdict.value == "incomplete":
        notes.append(
            "Data the policy needs was unavailable: restore access or refresh offline data, then rerun."
        )
    if result.expired_entries:
        notes.append(
            f"{len(result.expired_entries)} expired allowlist/exemption entries: renew or remove them."
        )
    if result.unused_entries:
        notes.append(f"{len(result.unused_entries)} allowlist/exemption entries match nothing.")
    if notes:
        lines += ["", *(f"- {note}" for note in notes)]
    return scrub("\n".join(lines)) + "\n"


def delta_lines(delta: Delta) -> list[str]:
    """What this change brings: package changes, then new findings grouped by package with their
    reasons and fixes, then what it resolved."""
    lines = [f"**Changes** {_cell(summary_line(delta))}", ""]
    changes = [*delta.added, *delta.removed, *delta.changed]
    if changes:
        lines += ["### Packages", ""]
        lines += _capped([f"- {_cell(change_line(change))}" for change in changes])
        lines.append("")
    if delta.new_findings:
        lines += ["### New findings", ""]
        for name, findings in reasons(delta).items():
            lines.append(f"- `{name or '(environment)'}`")
            for finding in findings[:MAX_ROWS]:
                mark = "❌" if fails(finding) else "⚠️"
                fix = finding.get("remediation")
                reason = f"{mark} `{finding.get('rule')}`: {_cell(str(finding.get('message')))}"
                lines.append(f"  - {reason}" + (f" Fix: {_cell(str(fix))}" if fix else ""))
        lines.append("")
    if delta.resolved_findings:
        lines += ["### Resolved findings", ""]
        lines += _capped([f"- ✅ {_cell(text)}" for text in finding_lines(delta.resolved_findings)])
        lines.append("")
    if delta.empty:
        lines += ["No package or finding changed against the baseline.", ""]
    return lines


class MarkdownRenderer:
    """The Markdown report format."""

    id = "markdown"
    extension = "md"

    def render(self, result: AuditResult) -> str:
        return render_markdown(result)


def _capped(rows: list[str]) -> list[str]:
    """At most ``MAX_ROWS`` list items, then one saying how many more: a comment stays short."""
    more = [f"- ... and {len(rows) - MAX_ROWS} more"] if len(rows) > MAX_ROWS else []
    return rows[:MAX_ROWS] + more
