"""``supplychain audit``: run the pipeline, print or write the reports, exit 0/1/2/3."""

from __future__ import annotations

import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from supplychain.cli import app
from supplychain.cli.common import PathArg, TargetFlags, run_with_http, target_options
from supplychain.clock import Clock, SystemClock
from supplychain.errors import UsageError
from supplychain.model import Verdict
from supplychain.progress import Progress

if TYPE_CHECKING:
    from supplychain.report import Renderer

EXIT_CODES = {Verdict.PASSED: 0, Verdict.FAILED: 1, Verdict.INCOMPLETE: 3}


def clock_factory() -> Clock:
    """The clock the command uses; tests replace it with a FixedClock."""
    return SystemClock()


def progress_factory(quiet: bool) -> AbstractContextManager[Progress]:
    """The progress display the command uses; tests replace it with a recording one."""
    from supplychain.cli.display import progress_for  # rich's progress: only when a run starts

    return progress_for(quiet=quiet)


@app.command()
@target_options()
def audit(
    *,
    path: PathArg = None,
    policy: Annotated[
        str | None, typer.Option("--policy", help="sl1..sl5 or a policy file (default: sl3).")
    ] = None,
    allowlist: Annotated[Path | None, typer.Option("--allowlist", help="Allowlist TOML file.")] = None,
    exemptions: Annotated[Path | None, typer.Option("--exemptions", help="Exemptions TOML file.")] = None,
    formats: Annotated[
        list[str] | None,
        typer.Option("--format", help="Report format (json, sarif, cyclonedx, markdown, html); repeatable."),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", help="Directory for report files.")] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            help="Print the verdict line, the failing packages and, when incomplete, the command "
            "that completes the run; no progress.",
        ),
    ] = False,
    flags: TargetFlags,
) -> None:
    """Audit an environment against a policy. Exit 0 passed, 1 failed, 2 bad input, 3 data unavailable."""
    from supplychain.audit import load_lists, run_audit
    from supplychain.report.terminal import render_terminal

    config = flags.config(
        path, policy=policy, allowlist=allowlist, exemptions=exemptions, formats=formats, output=output
    )
    renderers = _renderers(config.formats)
    clock = clock_factory()
    lists = load_lists(config, clock)  # a malformed policy/allowlist fails before any network traffic
    started = time.monotonic()
    with progress_factory(quiet) as progress:
        result = run_with_http(config, lambda http: run_audit(config, clock, http, progress, lists=lists))
    if len(config.formats) == 1 and output is None:
        sys.stdout.write(renderers[config.formats[0]].render(result))
    else:
        if config.formats:
            from supplychain.report import write_reports

            for written in write_reports(result, list(config.formats), config.output_dir):
                sys.stderr.write(f"wrote {written}\n")
        render_terminal(result, stream=sys.stdout, quiet=quiet)
    if not quiet:
        took = time.monotonic() - started
        sys.stderr.write(f"audited {len(result.graph)} packages in {took:.1f} s\n")
    raise typer.Exit(EXIT_CODES[result.verdict])


def _renderers(formats: tuple[str, ...]) -> dict[str, Renderer]:
    if not formats:
        return {}
    from supplychain.report import RENDERERS

    unknown = sorted(set(formats) - set(RENDERERS))
    if unknown:
        raise UsageError(f"--format {', '.join(unknown)}: not one of {', '.join(sorted(RENDERERS))}")
    return dict(RENDERERS)
