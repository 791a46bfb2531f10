"""The terminal summary: worst offenders first, plain text off a TTY, short with --quiet."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest

from supplychain.model import Action, Finding, Unknown, Verdict
from supplychain.report import terminal
from supplychain.report.terminal import MAX_ROWS, render_terminal, verdict_line
from supplychain.result import AuditResult
from tests.test_audit_levels import PYCRYPTO, REQUESTS_SET, SIX, audit


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_summary_lists_failures_first_without_colour_off_a_tty(tmp_path: Path) -> None:
    result = audit(tmp_path, "sl4", (*REQUESTS_SET, SIX, PYCRYPTO))
    stream = io.StringIO()
    render_terminal(result, stream=stream)
    text = stream.getvalue()
    assert "\x1b[" not in text
    rows = [line for line in text.splitlines() if line.startswith("│ ") and line.split("│")[1].strip()]
    actions = [row.split("│")[1].strip() for row in rows]
    assert actions == sorted(actions, key=lambda a: a != "fail")  # every fail before any warn
    top = max(result.scores.values(), key=lambda s: s.score)
    assert rows[0].split("│")[2].strip() == str(top.ref)  # the highest score leads
    assert rows[0].split("│")[3].strip() == str(top.score)
    assert text.splitlines()[-1].startswith("FAILED: policy sl4, 6 packages, ")


def test_quiet_prints_only_the_verdict_line_and_colour_on_a_tty(tmp_path: Path) -> None:
    result = audit(tmp_path, "sl1", REQUESTS_SET)
    stream = io.StringIO()
    render_terminal(result, stream=stream, quiet=True)
    assert stream.getvalue() == "PASSED: policy sl1, 4 packages, 0 failing, 4 warnings, 0 unknown\n"
    tty = _Tty()
    render_terminal(result, stream=tty, quiet=True)
    assert tty.getvalue().startswith("\x1b[")


def _with_old_dataset(result: AuditResult) -> AuditResult:
    """``result`` plus the environment finding an advisory database 132 days old gives (as in helm)."""
    aged = Finding(
        rule="data-unknown",
        action=Action.FAIL,
        package=None,
        message="dataset osv is 132 days old (policy maximum 7)",
        evidence={"dataset": "osv", "as_of": "2026-07-17T12:00:00+00:00"},
        remediation="supplychain db update",
    )
    return replace(result, findings=(*result.findings, aged), verdict=Verdict.INCOMPLETE)


def test_verdict_line_counts_the_unknown_facts_it_lists(tmp_path: Path) -> None:
    """The verdict said 14 unknown over a list of 11: it counted data-unknown findings, the list facts."""
    down = Unknown(reason="https://pypi.org/pypi/requests/json: connection failed", source="pypi")
    gone = {"maintainers": down, "organization": down, "advisories": Unknown(reason="OSV down", source="osv")}
    result = _with_old_dataset(audit(tmp_path, "sl5", REQUESTS_SET, change=gone))
    stream = io.StringIO()
    render_terminal(result, stream=stream)
    lines = stream.getvalue().splitlines()
    listed = len(result.unknowns)
    assert listed == 12  # three facts of four packages
    assert f"Unknown facts ({listed}), by source and reason:" in lines
    assert lines[-1].endswith(f", {listed} unknown")
    groups = lines[lines.index(f"Unknown facts ({listed}), by source and reason:") + 1 :][:2]
    assert groups == [  # blocking first, then the largest; each URL cut to its origin
        "  fail  maintainers and organization unknown for 4 packages [pypi]: "
        "https://pypi.org: connection failed",
        "  fail  advisories unknown for 4 packages [osv]: OSV down",
    ]


def test_environment_findings_lead_and_are_never_cut_by_the_row_cap(tmp_path: Path) -> None:
    """Dataset age sorted last and fell under the 40-row cap: the terminal never said the data was old."""
    result = audit(tmp_path, "sl5", (*REQUESTS_SET, SIX, PYCRYPTO))
    result = _with_old_dataset(replace(result, findings=result.findings * 3))  # 60+ rows
    assert len(result.findings) > MAX_ROWS
    stream = io.StringIO()
    render_terminal(result, stream=stream)
    rows = [line.split("│") for line in stream.getvalue().splitlines() if line.startswith("│ ")]
    assert len(rows) == MAX_ROWS
    assert [cell.strip() for cell in rows[0][1:5]] == ["fail", "(environment)", "", "data-unknown"]
    assert rows[0][5].strip() == "dataset osv is 132 days old (policy maximum 7)"


def test_table_fits_80_columns_with_whole_words_and_one_line_per_finding_in_logs(tmp_path: Path) -> None:
    """At 80 columns helm's table ran to 670 lines, folding words; now messages are cut, not folded."""
    result = audit(tmp_path, "sl5", (*REQUESTS_SET, SIX, PYCRYPTO))
    narrow = io.StringIO()
    render_terminal(result, stream=narrow, width=80)
    lines = narrow.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    for finding in result.findings:
        text = f"      {finding.message}"
        shown = text if len(text) <= 80 else text[:79] + "…"
        assert shown in lines, shown  # the message whole, or cut once with an ellipsis
    assert len(lines) <= 3 * len(result.findings) + 3
    log = io.StringIO()
    render_terminal(result, stream=log)  # not a TTY: 160 columns
    rows = [line for line in log.getvalue().splitlines() if line.startswith("│ ")]
    assert len(rows) == len(result.findings)  # one line each, however long the message
    assert max(len(line) for line in log.getvalue().splitlines()) <= 160


def test_quiet_names_the_failing_packages_with_their_rules_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pre-commit hook printed the verdict and nothing to act on."""
    result = audit(tmp_path, "sl4", (*REQUESTS_SET, SIX, PYCRYPTO))
    monkeypatch.setattr(terminal, "QUIET_ROWS", 3)
    stream = io.StringIO()
    render_terminal(result, stream=stream, quiet=True)
    assert stream.getvalue().splitlines() == [
        verdict_line(result),
        "  requests==2.25.1: no-provenance, vulnerability (4)",
        "  pycrypto==2.6.1: abandoned, build-from-source, license, no-provenance",
        "  idna==3.10: indie-maintained, no-provenance",
        "  ... and 3 more (run without --quiet for details)",
    ]
