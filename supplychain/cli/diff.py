"""``supplychain diff OLD.json NEW.json``: what changed between two saved audit reports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from supplychain.cli import app
from supplychain.errors import UsageError
from supplychain.model import Verdict

FORMATS = ("text", "json", "markdown")
EXIT_CODES = {Verdict.PASSED: 0, Verdict.FAILED: 1, Verdict.INCOMPLETE: 3}


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The baseline JSON report.", show_default=False)],
    new: Annotated[Path, typer.Argument(help="The report to compare with it.", show_default=False)],
    output_format: Annotated[
        str, typer.Option("--format", help="text, json (the report's delta object) or markdown.")
    ] = "text",
    fail_on: Annotated[
        str,
        typer.Option("--fail-on", help="none: always exit 0; new: exit 1 when NEW has new failing findings."),
    ] = "none",
) -> None:
    """The delta of two reports: packages added, removed, changed; findings new and resolved."""
    from supplychain.baseline import compute_delta, verdict_on_new
    from supplychain.cli.baseline import load_report

    if output_format not in FORMATS:
        raise UsageError(f"--format {output_format!r}: not one of {', '.join(FORMATS)}")
    if fail_on not in ("none", "new"):
        raise UsageError(f"--fail-on {fail_on!r}: not one of none, new")
    delta = compute_delta(
        load_report(old), load_report(new), baseline=str(old), fail_on="new" if fail_on == "new" else "all"
    )
    if output_format == "json":
        from supplychain.report.json_report import dumps

        sys.stdout.write(dumps(delta.json()))
    elif output_format == "markdown":
        from supplychain.report.markdown import delta_lines
        from supplychain.urls import scrub

        sys.stdout.write(scrub("\n".join(delta_lines(delta)).rstrip("\n")) + "\n")
    else:
        from rich.console import Console

        from supplychain.report.terminal import print_delta

        print_delta(Console(file=sys.stdout, highlight=False, soft_wrap=False, width=160), delta)
    raise typer.Exit(EXIT_CODES[verdict_on_new(delta, Verdict.PASSED)])
