"""``supplychain audit``: run the pipeline, print or write the reports, exit 0/1/2/3."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from supplychain.cli import app
from supplychain.cli.common import (
    AllowlistOption,
    ExemptionsOption,
    PathArg,
    PolicyOption,
    TargetFlags,
    run_with_http,
    target_options,
)
from supplychain.clock import Clock, SystemClock
from supplychain.config import AuditConfig
from supplychain.errors import UsageError
from supplychain.model import JSON, Verdict
from supplychain.progress import Progress

if TYPE_CHECKING:
    from supplychain.net.http import Http
    from supplychain.report import Renderer
    from supplychain.result import AuditResult

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
    policy: PolicyOption = None,
    allowlist: AllowlistOption = None,
    exemptions: ExemptionsOption = None,
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
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            help="Compare with a previous JSON report, or with the input file as committed at this git "
            "ref (read with git show, no checkout); every format then carries the delta.",
        ),
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option("--fail-on", help="all: the verdict counts every failing finding; new: only new ones."),
    ] = "all",
    no_result_cache: Annotated[
        bool,
        typer.Option(
            "--no-result-cache",
            help="Audit again even when this same audit ran less than 5 minutes ago on unchanged "
            "files (its printed result is otherwise reused; see the README's Caches).",
        ),
    ] = False,
    flags: TargetFlags,
) -> None:
    """Audit an environment against a policy. Exit 0 passed, 1 failed, 2 bad input, 3 data unavailable."""
    del no_result_cache  # acted on before this command runs (supplychain.console)
    from supplychain.audit import load_lists, run_audit
    from supplychain.report.terminal import render_terminal

    config = flags.config(
        path, policy=policy, allowlist=allowlist, exemptions=exemptions, formats=formats, output=output
    )
    renderers = _renderers(config.formats)
    if fail_on not in ("all", "new"):
        raise UsageError(f"--fail-on {fail_on!r}: not one of all, new")
    if fail_on == "new" and baseline is None:
        raise UsageError("--fail-on new needs --baseline (a report or a git ref to compare with)")
    clock = clock_factory()
    lists = load_lists(config, clock)  # a malformed policy/allowlist fails before any network traffic
    started = time.monotonic()
    with ExitStack() as stack:
        against = _baseline(baseline, config, Path(stack.enter_context(tempfile.TemporaryDirectory())))
        progress = stack.enter_context(progress_factory(quiet))

        async def both(http: Http) -> tuple[AuditResult, AuditResult | None]:
            result = await run_audit(config, clock, http, progress, lists=lists)
            if against is None or against.config is None:
                return result, None
            return result, await run_audit(against.config, clock, http, progress, lists=lists)

        result, before = run_with_http(config, both)
    if against is not None:
        result = _with_delta(result, against, before, fail_on)
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


@dataclass(frozen=True, slots=True, kw_only=True)
class Against:
    """The baseline of a run: a saved report's document, or the config that audits a ref's input."""

    label: str
    document: dict[str, JSON] | None = None
    config: AuditConfig | None = None


def _baseline(baseline: str | None, config: AuditConfig, scratch: Path) -> Against | None:
    """Read the baseline before any network traffic, so a bad report or ref fails fast (exit 2)."""
    from supplychain.cli.baseline import baseline_input, load_report

    if baseline is None:
        return None
    if Path(baseline).is_file():
        return Against(label=baseline, document=load_report(Path(baseline)))
    path = config.input_path or Path()
    if path.is_dir():
        from supplychain.inputs.detect import project_file

        found = project_file(path)
        if found is None:
            raise UsageError(
                f"--baseline {baseline!r} is a git ref, and {path} has no project file to compare: "
                "name the input file (audit PATH --baseline REF)"
            )
        path = found
    copy, label = baseline_input(baseline, path, scratch)
    if copy is None:  # the file is new at that ref: everything in it is added
        return Against(label=label, document={"schema": "audit-1", "packages": [], "findings": []})
    return Against(label=label, config=replace(config, input_path=copy))


def _with_delta(
    result: AuditResult, against: Against, before: AuditResult | None, fail_on: str
) -> AuditResult:
    """The result with its delta, and with ``--fail-on new`` its verdict on the new findings only."""
    from supplychain.baseline import compute_delta, verdict_on_new

    old = against.document if before is None else report_json(before)
    delta = compute_delta(old or {}, report_json(result), baseline=against.label, fail_on=fail_on)
    return replace(result, delta=delta, verdict=verdict_on_new(delta, result.verdict))


def report_json(result: AuditResult) -> dict[str, JSON]:
    """The JSON report as a reader of the file sees it (scrubbed, plain), so both sides compare alike."""
    from supplychain.report.json_report import audit_document, dumps

    document: dict[str, JSON] = json.loads(dumps(audit_document(result)))
    return document


def _renderers(formats: tuple[str, ...]) -> dict[str, Renderer]:
    if not formats:
        return {}
    from supplychain.report import RENDERERS

    unknown = sorted(set(formats) - set(RENDERERS))
    if unknown:
        raise UsageError(f"--format {', '.join(unknown)}: not one of {', '.join(sorted(RENDERERS))}")
    return dict(RENDERERS)
