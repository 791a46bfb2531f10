"""The terminal summary: worst offenders first, plain text off a TTY, one line with --quiet."""

from __future__ import annotations

import io
from pathlib import Path

from supplychain.report.terminal import render_terminal
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
