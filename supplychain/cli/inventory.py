"""``supplychain inventory …``: record audited environments, then ask who uses what and who is affected."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion

from supplychain import config as settings
from supplychain.cli import app
from supplychain.cli.common import PathArg, TargetFlags, run_with_http, target_options
from supplychain.clock import Clock, SystemClock
from supplychain.config import AuditConfig
from supplychain.errors import DataUnavailableError, UsageError
from supplychain.inventory.store import EnvironmentRecord, InventoryStore, RecordedPackage, Use
from supplychain.model import PackageRef
from supplychain.net.http import Http
from supplychain.progress import NullProgress
from supplychain.sources.datastore import DataStore
from supplychain.sources.osv import match_records
from supplychain.sources.osv_records import OsvRecord

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
            _recorded(package.ref.name, str(package.ref.version), package.origin.file_hashes, advisories)
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


def _affected_today(store: InventoryStore, records: list[OsvRecord]) -> tuple[list[Use], list[Use]]:
    """Recorded uses today's ``records`` affect, and uses whose recorded version cannot be compared."""
    names = sorted({e.name for r in records for e in r.affected if e.ecosystem == "PyPI"})
    affected: list[Use] = []
    unreadable: list[Use] = []
    for name in names:
        for use in store.who_uses(name):
            try:
                ref = PackageRef.of(use.package, use.version)
            except InvalidVersion:
                unreadable.append(use)
                continue
            matched = match_records(ref, records, source="advisory data")
            if matched:
                affected.append(replace(use, advisory=matched[0].id))
    return affected, unreadable


@inventory_app.command("affected")
def affected_command(
    *,
    advisory: Annotated[str, typer.Argument(help="Advisory id or any alias (GHSA, CVE, PYSEC, MAL).")],
    db: DbOpt = None,
    output: FormatOpt = "text",
) -> None:
    """Incident response: every recorded environment holding a version the advisory affects, by
    today's advisory data (``db update`` first), not by what was known when it was recorded."""
    _check_format(output)
    wanted = advisory.strip()
    data = DataStore(TargetFlags(offline=True).config().data_dir)
    if not data.has_advisories():
        raise DataUnavailableError(
            "no advisory data to answer from: run `supplychain db update` (or `db update --from PATH`)"
        )
    records = data.find_records(wanted)
    as_of = data.advisories_as_of()
    dated = f"advisory data as of {as_of.date().isoformat()}" if as_of else "advisory data of unknown date"
    with InventoryStore(database_url(db)) as store:
        if not records:
            recorded = store.affected(wanted)
            if not recorded:
                raise UsageError(
                    f"{wanted}: no such advisory in the {dated}, nor in any recorded environment "
                    "(check the id; `supplychain db update` fetches newer advisories)"
                )
            affected, unreadable = list(recorded), list[Use]()
            basis = f"not in the {dated}: as recorded with each environment"
        else:
            affected, unreadable = _affected_today(store, records)
            basis = dated
    withdrawn = bool(records) and all(r.withdrawn for r in records)
    lines = [f"{u.environment} ({u.team}): {u.package}=={u.version} [{u.advisory}]" for u in sorted(affected)]
    lines += [
        f"{u.environment} ({u.team}): {u.package}=={u.version}: version not comparable, check by hand"
        for u in sorted(unreadable)
    ]
    if not lines:
        note = " (the advisory is withdrawn)" if withdrawn else ""
        lines = [f"no recorded environment has {wanted}{note}"]
    _emit(
        {
            "advisory": wanted,
            "basis": basis,
            "withdrawn": withdrawn,
            "affected": _uses(tuple(affected)),
            "version_not_comparable": _uses(tuple(unreadable)),
        },
        [*lines, f"({basis})"],
        output,
    )
