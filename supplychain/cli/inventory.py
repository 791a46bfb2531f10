"""``supplychain inventory …``: record audited environments, then ask who uses what and who is affected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from packaging.utils import canonicalize_name

from supplychain import config as settings
from supplychain.cli import app
from supplychain.cli.common import PathArg, TargetFlags, run_with_http, target_options
from supplychain.clock import Clock, SystemClock
from supplychain.config import AuditConfig
from supplychain.errors import UsageError
from supplychain.inventory.store import EnvironmentRecord, InventoryStore, RecordedPackage, Use
from supplychain.net.http import Http
from supplychain.progress import NullProgress

inventory_app = typer.Typer(help="The organisation's inventory of audited environments.")
app.add_typer(inventory_app, name="inventory")

CLOCK: Clock = SystemClock()  # tests replace this with a FixedClock

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="sqlite:///PATH or postgresql://… (default: the data dir's SQLite)."),
]
FormatOpt = Annotated[str, typer.Option("--format", help="text or json.")]


def database_url(flag: str | None, cwd: Path | None = None) -> str:
    """``--db`` over ``inventory-db`` over the data dir's SQLite file: the database ``audit`` reads."""
    return settings.inventory_db(flag, cwd)


def _check_format(output: str) -> None:
    if output not in {"text", "json"}:
        raise UsageError(f"--format {output!r}: use text or json")


async def _record(config: AuditConfig, http: Http) -> tuple[str, tuple[RecordedPackage, ...]]:
    """The audit's verdict and, per package, the advisories known when it was recorded."""
    from supplychain.audit import run_audit

    result = await run_audit(config, CLOCK, http, NullProgress())
    packages = []
    for package in result.graph.packages():
        facts = result.facts.get(package.ref)
        advisories: tuple[tuple[str, tuple[str, ...]], ...] = ()
        if facts is not None:
            advisories = tuple((a.id, tuple(a.aliases)) for a in facts.known_advisories())
        packages.append(
            _recorded(package.ref.name, str(package.ref.version), package.origin.hashes, advisories)
        )
    return str(result.verdict), tuple(packages)


def _recorded(
    name: str, version: str, hashes: tuple[str, ...], advisories: tuple[tuple[str, tuple[str, ...]], ...]
) -> RecordedPackage:
    return RecordedPackage(name=name, version=version, hashes=hashes, advisories=advisories)


@inventory_app.command("record")
@target_options()
def record_command(
    *,
    path: PathArg = None,
    env: Annotated[str, typer.Option("--env", help="Environment name, e.g. eval-cluster.")],
    team: Annotated[str, typer.Option("--team", help="Owning team.")],
    flags: TargetFlags,
    db: DbOpt = None,
    output: FormatOpt = "text",
) -> None:
    """Record an environment's resolved set (and audit verdict) in the inventory."""
    _check_format(output)
    config = flags.config(path)
    verdict, packages = run_with_http(config, lambda http: _record(config, http))
    record = EnvironmentRecord(
        name=env,
        team=team,
        recorded_at=CLOCK.now(),
        input_path=str(path or "."),
        verdict=verdict,
        packages=packages,
    )
    with InventoryStore(database_url(db)) as store:
        store.record(record)
    document = {"environment": env, "team": team, "packages": len(packages), "verdict": verdict}
    _emit(
        document,
        [f"recorded {env} ({team}): {len(packages)} packages, verdict {verdict}"],
        output,
    )


def _emit(document: dict[str, Any], lines: list[str], output: str) -> None:
    if output == "json":
        typer.echo(json.dumps(document, indent=2, sort_keys=True))
    else:
        for line in lines:
            typer.echo(line)


def _uses(uses: tuple[Use, ...]) -> list[dict[str, Any]]:
    return [
        {
            "environment": u.environment,
            "team": u.team,
            "package": u.package,
            "version": u.version,
            "since": u.since,
            "recorded_at": u.recorded_at,
            **({"advisory": u.advisory} if u.advisory else {}),
        }
        for u in sorted(uses)
    ]


@inventory_app.command("who-uses")
def who_uses_command(
    *,
    spec: Annotated[str, typer.Argument(help="NAME or NAME==VERSION.")],
    db: DbOpt = None,
    output: FormatOpt = "text",
) -> None:
    """Which environments and teams use a package (or one version of it), and since when."""
    _check_format(output)
    name, _, version = spec.partition("==")
    if not name.strip() or (spec.count("=") not in {0, 2}):
        raise UsageError(f"{spec!r}: give NAME or NAME==VERSION")
    with InventoryStore(database_url(db)) as store:
        uses = store.who_uses(canonicalize_name(name.strip()), version.strip() or None)
    lines = [f"{u.environment} ({u.team}): {u.package}=={u.version} since {u.since}" for u in sorted(uses)]
    _emit({"package": spec, "uses": _uses(uses)}, lines or [f"no recorded environment uses {spec}"], output)


@inventory_app.command("usage")
def usage_command(
    *,
    name: Annotated[str, typer.Argument(help="Package name.")],
    db: DbOpt = None,
    output: FormatOpt = "text",
) -> None:
    """Distinct environments and teams using any version of a package."""
    _check_format(output)
    with InventoryStore(database_url(db)) as store:
        environments, teams = store.usage(canonicalize_name(name))
    _emit(
        {"package": canonicalize_name(name), "environments": environments, "teams": teams},
        [f"{canonicalize_name(name)}: {environments} environments, {teams} teams"],
        output,
    )


@inventory_app.command("affected")
def affected_command(
    *,
    advisory: Annotated[str, typer.Argument(help="Advisory id or any alias (GHSA, CVE, PYSEC, MAL).")],
    db: DbOpt = None,
    output: FormatOpt = "text",
) -> None:
    """Incident response: every environment holding a version an advisory affected when recorded."""
    _check_format(output)
    with InventoryStore(database_url(db)) as store:
        uses = store.affected(advisory.strip())
    lines = [f"{u.environment} ({u.team}): {u.package}=={u.version} [{u.advisory}]" for u in sorted(uses)]
    _emit(
        {"advisory": advisory, "affected": _uses(uses)},
        lines or [f"no recorded environment has {advisory}"],
        output,
    )
