"""``supplychain allowlist …``: keep the security team's approvals fast to review and safe to write."""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from supplychain.allowlist import edits
from supplychain.allowlist.entries import Allowlist
from supplychain.allowlist.reader import load_allowlist, read_allowlist
from supplychain.allowlist.release_facts import ReleaseFacts, ReleaseFetcher
from supplychain.allowlist.review import (
    CheckReport,
    Diff,
    Fetch,
    Review,
    audit_facts,
    check,
    diff,
    propose,
    verified_publishers,
)
from supplychain.cli import app
from supplychain.cli.common import PathArg, TargetFlags, run_with_http, target_options
from supplychain.clock import Clock, SystemClock
from supplychain.config import DEFAULT_ALLOWLIST, AuditConfig
from supplychain.dates import parse_date
from supplychain.errors import UsageError
from supplychain.model import JSON, PackageRef, ResolvedPackage, Signal, Unknown
from supplychain.net.http import Http
from supplychain.progress import NullProgress
from supplychain.sources import SourceContext
from supplychain.sources.scope import INTERNAL, is_internal

allowlist_app = typer.Typer(help="Curate the allowlist: approvals, trusted publishers, baselines, imports.")
app.add_typer(allowlist_app, name="allowlist")

CLOCK: Clock = SystemClock()  # tests replace this with a FixedClock


class OutputFormat(StrEnum):
    """What ``allowlist`` commands print: text for people, JSON for scripts."""

    TEXT = "text"
    JSON = "json"


AllowlistOpt = Annotated[
    Path | None,
    typer.Option("--allowlist", help="The allowlist file (default: allowlist.toml or the config)."),
]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="text or json.")]
ExpiresOpt = Annotated[str, typer.Option("--expires", help="Expiry date YYYY-MM-DD, at most one year away.")]


def _today() -> date:
    return CLOCK.now().date()


def _allowlist_path(config: AuditConfig) -> Path:
    return config.allowlist or DEFAULT_ALLOWLIST


def _exists(path: Path) -> Path:
    if not path.exists():
        raise UsageError(f"{path} does not exist; start with `supplychain allowlist init`")
    return path


def _applied(config: AuditConfig) -> tuple[Allowlist, date]:
    """The allowlist as the audit applies it (its imports included), and the day it was read for."""
    today = _today()
    return load_allowlist(_exists(_allowlist_path(config)), today), today


def _context(config: AuditConfig, http: Http) -> SourceContext:
    from supplychain.audit import source_settings

    return SourceContext(http=http, config=source_settings(config), clock=CLOCK, progress=NullProgress())


def _public_releases(context: SourceContext, packages: Sequence[ResolvedPackage]) -> Fetch:
    """Release facts from PyPI's JSON and Integrity APIs, which are never asked about an internal name."""
    fetch = ReleaseFetcher(context.http, context.config.endpoints, CLOCK.now())
    ours = frozenset(p.ref.name for p in packages if is_internal(p, context))

    async def public_only(ref: PackageRef) -> Signal[ReleaseFacts]:
        if ref.name in ours:
            return Unknown(reason="internal package: PyPI is not asked about internal names", source=INTERNAL)
        return await fetch(ref)

    return public_only


def _day(value: str) -> date:
    try:
        return parse_date(value)
    except ValueError:
        raise UsageError(f"--expires {value!r} is not a date YYYY-MM-DD") from None


def _emit(document: dict[str, JSON], text: list[str], output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(document, indent=2, sort_keys=True))
    else:
        for line in text:
            typer.echo(line)


async def _packages(config: AuditConfig, http: Http) -> tuple[ResolvedPackage, ...]:
    """Every package of the input for the target, sorted by name, with the hashes the input pinned."""
    from supplychain.audit import read_graph

    return tuple((await read_graph(config, http, NullProgress())).graph.packages())


@allowlist_app.command("init")
@target_options()
def init_command(
    *,
    path: PathArg = None,
    flags: TargetFlags,
    allowlist: AllowlistOpt = None,
    output: FormatOpt = OutputFormat.TEXT,
) -> None:
    """Start green: record today's resolved set as baseline entries (expiring in one year)."""
    config = flags.config(path, allowlist=allowlist)
    packages = run_with_http(config, lambda http: _packages(config, http))
    target = _allowlist_path(config)
    today = _today()
    before = len(edits.load_or_empty(target, today).baselines)
    written = edits.update(target, today, edits.baseline(packages, today))
    added = len(written.baselines) - before
    _emit(
        {"allowlist": str(target), "baselines_added": added, "packages": len(packages)},
        [f"{target}: {added} baseline entries added for {len(packages)} packages"],
        output,
    )


def _review_lines(review: Review) -> list[str]:
    base = f" (delta from {review.base})" if review.base is not None else " (full review)"
    lines = [f"{review.ref}{base}  risk {review.risk}"]
    if review.unknown:
        lines.append(f"    ? facts unknown: {review.unknown}")
    lines += [f"    {'!!' if c.loud else '- '} {c.kind}: {c.detail}" for c in review.changes]
    return lines


@allowlist_app.command("propose")
@target_options()
def propose_command(
    *,
    path: PathArg = None,
    flags: TargetFlags,
    allowlist: AllowlistOpt = None,
    output: FormatOpt = OutputFormat.TEXT,
) -> None:
    """What needs review now, riskiest first; new versions of approved packages as delta reviews."""
    config = flags.config(path, allowlist=allowlist)
    current, today = _applied(config)

    async def job(http: Http) -> tuple[Review, ...]:
        packages = await _packages(config, http)
        context = _context(config, http)
        fetch = _public_releases(context, packages)
        return await propose(packages, current, today, fetch, audit_facts(context, current))

    reviews = run_with_http(config, job)
    text = [line for review in reviews for line in _review_lines(review)] or ["nothing to review"]
    _emit({"reviews": [review.json() for review in reviews]}, text, output)


@allowlist_app.command("approve")
@target_options("input_format", "python_version", "platform", "no_deps", "offline")
def approve_command(
    *,
    specs: Annotated[list[str], typer.Argument(help="name==version, one or more.")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who reviewed it.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is acceptable.")],
    expires: ExpiresOpt,
    criteria: Annotated[
        list[str] | None, typer.Option("--criteria", help="e.g. safe-to-run; repeatable.")
    ] = None,
    waive: Annotated[list[str] | None, typer.Option("--waive", help="Rule id downgraded to warn.")] = None,
    hashes: Annotated[list[str] | None, typer.Option("--hash", help="sha256:… to pin; repeatable.")] = None,
    lock: Annotated[Path | None, typer.Option("--input", help="Pin the hashes this input records.")] = None,
    publisher: Annotated[
        list[str] | None,
        typer.Option(
            "--publisher",
            help="PEP 740 publisher to record, kind:repository[@workflow][#environment]; repeatable. "
            "With --input, the verified publishers are learned and recorded.",
        ),
    ] = None,
    flags: TargetFlags,
    allowlist: AllowlistOpt = None,
    output: FormatOpt = OutputFormat.TEXT,
) -> None:
    """Record a review of exact versions (with their file hashes and publishers when an input pins them)."""
    config = flags.config(lock, allowlist=allowlist)
    refs = [edits.parse_pin(spec) for spec in specs]
    pinned: dict[PackageRef, tuple[str, ...]] = {}
    publishers: dict[PackageRef, tuple[str, ...]] = {}
    if lock is not None:

        async def job(http: Http) -> tuple[tuple[ResolvedPackage, ...], dict[PackageRef, tuple[str, ...]]]:
            packages = await _packages(config, http)
            chosen = [p for p in packages if p.ref in refs]  # internal names are never asked (public_only)
            return packages, await verified_publishers(_context(config, http), chosen)

        packages, publishers = run_with_http(config, job)
        pinned = {p.ref: p.origin.file_hashes for p in packages if p.ref in refs}
    if publisher:
        for given in publisher:
            if ":" not in given:
                raise UsageError(f"--publisher {given!r} must be kind:repository, e.g. github:pypa/pip")
        publishers = {ref: tuple(sorted(set(publisher))) for ref in refs}
    if hashes:
        pinned = {ref: tuple(sorted(set(hashes) | set(pinned.get(ref, ())))) for ref in refs}
    edit = edits.approve(
        refs,
        hashes=pinned,
        reviewer=reviewer,
        reason=reason,
        expires=_day(expires),
        today=_today(),
        criteria=criteria or (),
        waive=waive or (),
        publishers=publishers,
    )
    edits.update(_allowlist_path(config), _today(), edit)
    _emit({"approved": [str(r) for r in refs]}, [f"approved {', '.join(map(str, refs))}"], output)


@allowlist_app.command("trust")
def trust_command(
    *,
    expires: ExpiresOpt,
    package: Annotated[list[str], typer.Option("--package", help="Package the trust covers; repeatable.")],
    publisher: Annotated[str | None, typer.Option("--publisher", help="PEP 740 kind:repository.")] = None,
    organization: Annotated[str | None, typer.Option("--organization", help="PyPI organisation.")] = None,
    account: Annotated[
        str | None,
        typer.Option("--account", help="A company's shared PyPI account (the only one with a role)."),
    ] = None,
    workflow: Annotated[str | None, typer.Option("--workflow", help="Only this workflow file.")] = None,
    reviewer: Annotated[str | None, typer.Option("--reviewer", help="Default: your login name.")] = None,
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    allowlist: AllowlistOpt = None,
    output: FormatOpt = OutputFormat.TEXT,
) -> None:
    """Trust a publisher identity, PyPI organisation or company account for new versions of the packages."""
    config = TargetFlags(offline=True).config(allowlist=allowlist)
    who = publisher or (f"account {account}" if account else f"organization {organization}")
    edit = edits.trust(
        publisher=publisher,
        organization=organization,
        account=account,
        workflow=workflow,
        packages=package,
        reviewer=reviewer or getpass.getuser(),
        reason=reason or f"trusted publisher {who}",
        expires=_day(expires),
        today=_today(),
    )
    edits.update(_allowlist_path(config), _today(), edit)
    _emit(
        {"trusted": who, "packages": list[JSON](sorted(package))},
        [f"trusted {who} for {', '.join(sorted(package))}"],
        output,
    )


def _check_lines(report: CheckReport) -> list[str]:
    lines = [
        f"not covered: {c.ref}" + (f" (expired: {'; '.join(report.expired_for(c))})" if c.expired else "")
        for c in report.uncovered
    ]
    lines += [f"expired: {label}" for label in report.expired]
    lines += [f"warning: {label} expires on {day}" for label, day in report.expiring]
    lines += [f"unused: {label}" for label in report.unused]
    verdict = "all covered" if report.passed else f"{len(report.uncovered)} not covered"
    return [*lines, f"{len(report.covered)} covered, {verdict}"]


@allowlist_app.command("check")
@target_options()
def check_command(
    *,
    path: PathArg = None,
    flags: TargetFlags,
    allowlist: AllowlistOpt = None,
    output: FormatOpt = OutputFormat.TEXT,
) -> None:
    """Exit 0 when every package is covered, 1 when not; list expired, expiring and unused entries."""
    config = flags.config(path, allowlist=allowlist)
    current, today = _applied(config)

    async def job(http: Http) -> CheckReport:
        packages = await _packages(config, http)
        return await check(packages, current, today, audit_facts(_context(config, http), current))

    report = run_with_http(config, job)
    _emit(report.json(), _check_lines(report), output)
    raise typer.Exit(0 if report.passed else 1)


@allowlist_app.command("diff")
@target_options()
def diff_command(
    *,
    old: Annotated[Path, typer.Argument(help="The input before the change.")],
    new: Annotated[Path, typer.Argument(help="The input after the change.")],
    flags: TargetFlags,
    output: FormatOpt = OutputFormat.TEXT,
) -> None:
    """Added, removed and bumped packages; for each bump: new maintainers, advisories, dependencies."""
    old_config, new_config = flags.config(old), flags.config(new)

    async def job(http: Http) -> Diff:
        before = await _packages(old_config, http)
        after = await _packages(new_config, http)
        return await diff(before, after, _public_releases(_context(new_config, http), (*before, *after)))

    result = run_with_http(new_config, job)
    text = [f"added: {r}" for r in result.added] + [f"removed: {r}" for r in result.removed]
    text += [line for review in result.bumped for line in _review_lines(review)]
    _emit(result.json(), text or ["no changes"], output)


@allowlist_app.command("prune")
@target_options()
def prune_command(
    *,
    path: PathArg = None,
    flags: TargetFlags,
    allowlist: AllowlistOpt = None,
    output: FormatOpt = OutputFormat.TEXT,
) -> None:
    """Drop expired entries and entries that match nothing in the environment."""
    config = flags.config(path, allowlist=allowlist)
    target = _allowlist_path(config)
    read_allowlist(_exists(target), _today())
    packages = run_with_http(config, lambda http: _packages(config, http))
    removed: list[str] = []
    edits.update(target, _today(), edits.prune(packages, _today(), removed))
    _emit(
        {"removed": list[JSON](sorted(removed))},
        [f"removed: {label}" for label in sorted(removed)] or ["nothing to prune"],
        output,
    )


@allowlist_app.command("import")
def import_command(
    *,
    other: Annotated[Path, typer.Argument(help="Another team's allowlist.toml.")],
    only_criteria: Annotated[list[str] | None, typer.Option("--only-criteria", help="Repeatable.")] = None,
    allowlist: AllowlistOpt = None,
    output: FormatOpt = OutputFormat.TEXT,
) -> None:
    """Count another team's approvals (with the given criteria) here; their imports are not followed."""
    config = TargetFlags(offline=True).config(allowlist=allowlist)
    target = _allowlist_path(config)
    theirs = read_allowlist(other, _today())  # refuse a malformed file before referencing it
    base = target.resolve().parent
    recorded = os.path.relpath(other.resolve(), base)
    edits.update(target, _today(), edits.add_import(recorded, only_criteria or ()))
    wanted = set(only_criteria or ())
    counted = [a for a in theirs.approvals if wanted <= set(a.criteria)]
    _emit(
        {"imported": recorded, "approvals": len(counted)},
        [f"imported {recorded}: {len(counted)} approvals count here"],
        output,
    )
