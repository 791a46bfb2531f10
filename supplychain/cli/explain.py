"""``supplychain explain NAME[==VERSION]``: every fact about one package, its source and its age."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote

import typer
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from supplychain.cli import app
from supplychain.cli.common import Offline, TargetFlags, run_with_http
from supplychain.clock import Clock, SystemClock
from supplychain.config import AuditConfig
from supplychain.errors import DataUnavailableError, FetchError, HttpStatusError, UsageError
from supplychain.model import (
    FACT_NAMES,
    Known,
    Maintainer,
    Origin,
    OriginKind,
    PackageFacts,
    PackageRef,
    Provenance,
    ResolvedPackage,
    Unknown,
    Yank,
)
from supplychain.net.http import Http
from supplychain.net.pypi_json import fetch_document
from supplychain.net.shape import ShapeError
from supplychain.progress import NullProgress
from supplychain.report.facts_json import facts_json, iso, value_json
from supplychain.resolve.graph import ROOT, DependencyGraph, Edge
from supplychain.sources import SourceContext
from supplychain.sources.enrich import SOURCES, collect_facts
from supplychain.sources.pypi_json import latest_version_of


class ExplainFormat(StrEnum):
    """The ``explain --format`` choices; each value is what the user types."""

    TEXT = "text"
    JSON = "json"


def parse_target(text: str) -> tuple[str, Version | None]:
    """``NAME`` or ``NAME==VERSION``; anything else is a usage error."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        raise UsageError(f"{text!r} is not NAME or NAME==VERSION ({error})") from None
    specs = list(requirement.specifier)
    if requirement.url or requirement.marker or requirement.extras:
        raise UsageError(f"{text!r}: give NAME or NAME==VERSION only")
    if not specs:
        return requirement.name, None
    if len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
        raise UsageError(f"{text!r}: only an exact ==VERSION can be explained")
    return requirement.name, Version(specs[0].version)


async def latest_version(name: str, config: AuditConfig, http: Http) -> Version:
    """PyPI's newest release not yanked, for ``explain NAME``; failing is exit 3: nothing to fall back on."""
    url = f"{config.endpoints.pypi.reveal()}pypi/{quote(name)}/json"
    try:
        document = await fetch_document(http, url)
        return Version(latest_version_of(document))
    except HttpStatusError as error:
        if error.status == 404:
            raise DataUnavailableError(
                f"{name}: not found on PyPI", hint="pass NAME==VERSION to explain a specific version"
            ) from None
        raise DataUnavailableError(f"{name}: no version given and {error.reason}") from None
    except (FetchError, ShapeError) as error:
        raise DataUnavailableError(
            f"{name}: no version given and PyPI's answer was unusable ({error})"
        ) from None


async def explain_package(
    name: str,
    version: Version | None,
    *,
    config: AuditConfig,
    http: Http,
    clock: Clock,
    sources: list[str] | None,
) -> PackageFacts:
    """The facts of one version (the latest when None), from the audit's own sources over a one-node graph."""
    from supplychain.audit import source_settings

    default_index = config.index_urls[0] if config.index_urls else config.endpoints.index
    if version is None and config.internal.is_internal(name, default_index):
        raise UsageError(f"{name} is internal: give NAME==VERSION (PyPI is not asked about internal names)")
    chosen = await latest_version(name, config, http) if version is None else version
    ref = PackageRef.of(name, chosen)
    graph = DependencyGraph()
    graph.add_package(ResolvedPackage(ref=ref, origin=Origin(kind=OriginKind.INDEX)))
    graph.add_edge(ROOT, ref.name, Edge(specifier=f"=={chosen}"))
    context = SourceContext(http=http, config=source_settings(config), clock=clock, progress=NullProgress())
    return (await collect_facts(graph, context, sources=sources))[ref]


def age(moment: datetime, now: datetime) -> str:
    """``3 h ago`` style; future times (clock skew) read as ``just now``."""
    delta = now - moment
    if delta < timedelta(minutes=1):
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if delta.total_seconds() >= size:
            return f"{int(delta.total_seconds() // size)} {unit} ago"
    return "just now"  # pragma: no cover - the loop always answers for delta >= 1 min


def show(value: object, now: datetime) -> str:  # noqa: PLR0911 - one return per value type
    """A fact value for people: names with roles, dates with their age, yes/no with the reason."""
    match value:
        case datetime():
            return f"{value.date().isoformat()} ({age(value, now)})"
        case Yank(yanked=True, reason=reason):
            return f"yanked: {reason}" if reason else "yanked (no reason given)"
        case Yank():
            return "not yanked"
        case Provenance(attested=attested, publishers=publishers, files_checked=files):
            who = ", ".join(f"{p.identity} ({p.workflow or 'any workflow'})" for p in publishers)
            state = "not attested"
            if attested:
                state = "attested, verified" if value.verified else "attested, NOT verified"
            why = f" ({'; '.join(value.problems)})" if value.problems else ""
            return f"{state}{why}, {files} file(s) checked" + (f"; {who}" if who else "")
        case tuple() if value and all(isinstance(item, Maintainer) for item in value):
            return ", ".join(f"{m.user} ({m.role.value})" for m in value if isinstance(m, Maintainer))
        case bool():
            return "yes" if value else "no"
        case None:
            return "none"
    rendered = value_json(value)
    return rendered if isinstance(rendered, str) else json.dumps(rendered, sort_keys=True)


def render_text(facts: PackageFacts, now: datetime) -> Panel:
    """One row per fact in FACT_NAMES order, with source and age; an unknown shows its reason."""
    table = Table(show_header=True, header_style="bold", expand=True)
    table.add_column("fact", style="cyan", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("source", no_wrap=True)
    table.add_column("age", no_wrap=True)
    for name in FACT_NAMES:
        match getattr(facts, name):
            case Known(value=value, source=source, fetched_at=fetched_at):
                table.add_row(name, show(value, now), source, age(fetched_at, now))
            case Unknown(reason=reason, source=source):
                table.add_row(name, Text(f"unknown: {reason}", style="yellow italic"), source, "")
    return Panel(table, title=f"[bold]{facts.ref}[/bold]", subtitle=f"as of {iso(now)}")


def explain_document(facts: PackageFacts) -> dict[str, object]:
    """``explain --format json``: name and version, then the facts as the JSON reports write them."""
    return {"name": facts.ref.name, "version": str(facts.ref.version), **facts_json(facts)}


@app.command()
def explain(
    package: Annotated[str, typer.Argument(help="NAME or NAME==VERSION (default: the latest release).")],
    output_format: Annotated[
        ExplainFormat, typer.Option("--format", help="text or json.")
    ] = ExplainFormat.TEXT,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help=f"Only these fact sources; repeatable ({', '.join(SOURCES)})."),
    ] = None,
    offline: Offline = False,
) -> None:
    """Every fact about one package: value, source and age; unknowns with their reason."""
    name, version = parse_target(package)
    for chosen in source or ():
        if chosen not in SOURCES:
            raise UsageError(f"--source {chosen!r}: not one of {', '.join(SOURCES)}")
    config = TargetFlags(no_deps=True, offline=offline).config()
    clock = SystemClock()
    facts = run_with_http(
        config,
        lambda http: explain_package(name, version, config=config, http=http, clock=clock, sources=source),
    )
    if output_format is ExplainFormat.JSON:
        typer.echo(json.dumps(explain_document(facts), indent=2, sort_keys=True))
        return
    Console(soft_wrap=False).print(render_text(facts, clock.now()))
