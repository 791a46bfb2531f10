"""The terminal summary: verdict, counts, and the worst offenders first with rule, message and fix.

Environment-level findings (dataset age, scope) lead, so the row cap never hides them; unknown and
stale facts are grouped by source and reason rather than listed per package; the output ends with
the one command that fills in what stayed unknown, then the verdict line.
"""

from __future__ import annotations

from collections import Counter
from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from supplychain.baseline import Delta, change_line, finding_lines, summary_line
from supplychain.model import Action, Finding, Verdict
from supplychain.report.common import counts, effective
from supplychain.report.unknowns import (
    UnknownGroup,
    group_unknowns,
    is_fact_finding,
    next_step,
    stale_fact_findings,
)
from supplychain.result import AuditResult

_STYLE = {Verdict.PASSED: "bold green", Verdict.FAILED: "bold red", Verdict.INCOMPLETE: "bold yellow"}
_ACTION_STYLE = {Action.FAIL: "red", Action.WARN: "yellow", Action.OFF: "dim"}
MAX_ROWS = 40
QUIET_ROWS = 10
_NAMED = 3  # a group of this many packages or fewer names them


def verdict_line(result: AuditResult) -> str:
    """One line a CI log greps: verdict, policy and counts (``report.common.counts``, as every report)."""
    total = counts(result)
    return (
        f"{result.verdict.value.upper()}: policy {result.policy.name}, {total['packages']} packages, "
        f"{total['fail']} failing, {total['warn']} warnings, {total['unknown']} unknown"
    )


def _ordered(result: AuditResult) -> list[Finding]:
    """Environment-level first, then failing, then by the package's score (highest first), rule, package."""

    def key(finding: Finding) -> tuple[int, int, int, str, str]:
        rank = 0 if effective(finding) is Action.FAIL else 1
        score = (
            result.scores[finding.package].score
            if finding.package and finding.package in result.scores
            else 0
        )
        return (finding.package is not None, rank, -score, str(finding.package or ""), finding.rule)

    return sorted((f for f in result.findings if not is_fact_finding(f)), key=key)


def render_terminal(
    result: AuditResult, *, stream: IO[str] | None = None, quiet: bool = False, width: int | None = None
) -> None:
    """Print the summary; colour only when ``stream`` is a TTY (rich's detection).

    ``quiet`` (the pre-commit hook): the verdict line, the failing packages with their rules, and the
    command that completes an incomplete run; nothing else.
    """
    console = Console(file=stream, width=width, highlight=False, soft_wrap=False)
    if width is None and not console.is_terminal:
        console.width = 160  # logs and pipes: wide enough for the table to stay readable
    line = Text(verdict_line(result), style=_STYLE[result.verdict])
    if quiet:
        console.print(line)
        _print_quiet(console, result)
        print_delta(console, result.delta, quiet=True)
        return
    findings = _ordered(result)
    if findings:
        _print_findings(console, result, findings[:MAX_ROWS])
        if len(findings) > MAX_ROWS:
            console.print(f"... and {len(findings) - MAX_ROWS} more findings (use --format json for all)")
    groups = group_unknowns(result)
    if groups:
        console.print(f"Unknown facts ({counts(result)['unknown']}), by source and reason:")
        for group in groups[:MAX_ROWS]:
            console.print(_group_line(group))
        if len(groups) > MAX_ROWS:
            console.print(f"  ... and {len(groups) - MAX_ROWS} more reasons (use --format json for all)")
    stale = stale_fact_findings(result)
    if stale:
        worst = Action.FAIL if any(effective(f) is Action.FAIL for f in stale) else Action.WARN
        console.print(
            Text.assemble(
                "Stale data: ",
                (worst.value, _ACTION_STYLE[worst]),
                f"  cached index facts older than the policy allows for {_packages(stale)}",
            )
        )
    _print_notes(console, result)
    _print_next_step(console, result)
    print_delta(console, result.delta)
    console.print(line)


def _print_notes(console: Console, result: AuditResult) -> None:
    """Allowlist entries to tidy, then what was audited (the scope) and from which lists."""
    for title, entries in (
        ("Expired allowlist/exemption entries", result.expired_entries),
        ("Unused allowlist/exemption entries", result.unused_entries),
    ):
        if entries:
            console.print(f"{title}:")
            for entry in entries:
                console.print(Text(f"  {entry}"))
    for label, value in (
        ("Scope", result.scope.get("text")),
        ("Allowlist", result.allowlist or "none"),
        ("Inventory", result.inventory),
    ):
        if value is not None:
            console.print(Text(f"{label}: {value}"))


def print_delta(console: Console, delta: Delta | None, *, quiet: bool = False) -> None:
    """The short delta section: package changes, then new and resolved findings, each capped."""
    if delta is None:
        return
    console.print(Text("Changes " + summary_line(delta)), soft_wrap=True)  # a long baseline path stays whole
    if quiet:
        return
    for mark, changes in (("+", delta.added), ("-", delta.removed), ("~", delta.changed)):
        for change in changes[:MAX_ROWS]:
            console.print(Text(f"  {mark} {change_line(change)}"), soft_wrap=True)  # URLs stay whole
    for title, findings in (("new", delta.new_findings), ("resolved", delta.resolved_findings)):
        lines = finding_lines(findings)
        for text in lines[:MAX_ROWS]:
            console.print(Text(f"  {title}  {text}"), soft_wrap=True)
        if len(lines) > MAX_ROWS:
            console.print(
                f"  ... and {len(lines) - MAX_ROWS} more {title} findings (use --format json for all)"
            )


_HEADERS = ("action", "package", "score", "rule", "message", "remediation")
_PACKAGE_WIDTH = 32  # longer names and versions are cut: the JSON report has them whole
_TEXT_WIDTH = 60  # message and remediation together; below this the findings are listed instead


def _cells(result: AuditResult, finding: Finding) -> tuple[str, str, str, str, str, str]:
    """action, package, score, rule, message, remediation: one line each (whitespace collapsed)."""
    action = finding.action.value if finding.suppressed_by is None else f"{finding.action.value} (suppressed)"
    score = result.scores.get(finding.package) if finding.package else None
    return (
        action,
        str(finding.package or "(environment)"),
        str(score.score) if score else "",
        finding.rule,
        " ".join(finding.message.split()),
        " ".join((finding.remediation or "").split()),
    )


def _print_findings(console: Console, result: AuditResult, findings: list[Finding]) -> None:
    """One table line per finding, message and remediation cut with an ellipsis to fit the width;
    on a terminal too narrow for that (80 columns), three lines per finding instead of a table."""
    rows = [_cells(result, finding) for finding in findings]
    widths = [
        max(len(header), *(min(len(row[index]), _PACKAGE_WIDTH) for row in rows))
        for index, header in enumerate(("action", "package", "score", "rule"))
    ]
    room = console.width - sum(widths) - 19  # 6 columns: 7 borders and 2 spaces of padding each
    if room < _TEXT_WIDTH:
        _print_list(console, rows)
        return
    widths += [room * 3 // 5, room - room * 3 // 5]
    table = Table(title="Findings (worst first)", show_lines=False, expand=False)
    for header, width in zip(_HEADERS, widths, strict=True):
        table.add_column(
            header,
            no_wrap=True,
            overflow="ellipsis",
            width=width,
            justify="right" if header == "score" else "left",
        )
    for row in rows:
        # Text cells: messages may hold brackets that rich would read as markup
        table.add_row(Text(row[0], style="red" if row[0] == "fail" else "yellow"), *map(Text, row[1:]))
    console.print(table)


def _print_list(console: Console, rows: list[tuple[str, str, str, str, str, str]]) -> None:
    console.print("Findings (worst first)")
    for action, package, score, rule, message, remediation in rows:
        head = Text.assemble(
            (f"{action:<4}", "red" if action == "fail" else "yellow"), f"  {package}  {rule}"
        )
        if score:
            head.append(f"  score {score}")
        for line in (head, Text(f"      {message}"), Text(f"      → {remediation}") if remediation else None):
            if line is not None:
                line.truncate(console.width, overflow="ellipsis")
                console.print(line, no_wrap=True)


def _group_line(group: UnknownGroup) -> Text:
    """``  fail  advisories unknown for 138 packages [osv]: no advisory data: run ...``."""
    named = len(group.packages) <= _NAMED
    which = ", ".join(group.packages) if named else f"{len(group.packages)} packages"
    facts = list(group.facts)
    if len(facts) > _NAMED + 1:
        facts[_NAMED:] = [f"{len(facts) - _NAMED} more"]
    listed = ", ".join(facts[:-1]) + " and " + facts[-1] if len(facts) > 1 else facts[0]
    return Text.assemble(
        "  ",
        (f"{group.action.value:<4}", _ACTION_STYLE[group.action]),
        f"  {listed} unknown for {which} [{group.source}]: {group.reason}",
    )


def _packages(findings: list[Finding]) -> str:
    names = sorted({str(f.package) for f in findings})
    return ", ".join(names) if len(names) <= _NAMED else f"{len(names)} packages"


def _print_next_step(console: Console, result: AuditResult) -> None:
    step = next_step(result)
    if step is not None:
        console.print(Text(step))
    elif result.verdict is Verdict.INCOMPLETE:
        console.print(
            "Data the policy needs was unavailable: restore access (or refresh offline data) and rerun."
        )


def _print_quiet(console: Console, result: AuditResult) -> None:
    """The failing packages with their failing rules (capped), then how to complete an incomplete run."""
    rows: dict[str, Counter[str]] = {}
    for finding in _ordered(result):
        if effective(finding) is not Action.FAIL:
            continue
        if finding.package is None:  # one line each: the message is what to act on
            rows[f"(environment) {finding.rule}: {' '.join(finding.message.split())}"] = Counter()
        else:
            rows.setdefault(str(finding.package), Counter())[finding.rule] += 1
    for where, rules in list(rows.items())[:QUIET_ROWS]:
        named = ", ".join(rule if n == 1 else f"{rule} ({n})" for rule, n in sorted(rules.items()))
        console.print(Text(f"  {where}: {named}" if named else f"  {where}"))
    if len(rows) > QUIET_ROWS:
        console.print(f"  ... and {len(rows) - QUIET_ROWS} more (run without --quiet for details)")
    if result.verdict is Verdict.INCOMPLETE:
        _print_next_step(console, result)
