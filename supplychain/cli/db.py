"""``supplychain db update|status``: install and inspect the offline advisory and popularity data."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from supplychain.cli import app
from supplychain.cli.common import TargetFlags, run_with_http
from supplychain.clock import SystemClock
from supplychain.errors import AdvisoryDataError, DataUnavailableError, FetchError, UsageError
from supplychain.net.http import Http
from supplychain.policy.typosquat import prepare_index
from supplychain.sources.datastore import DataStore

db_app = typer.Typer(help="Offline data: OSV advisories, malicious-package reports, top packages.")
app.add_typer(db_app, name="db")

_MAX_DOWNLOAD = 1024 * 1024 * 1024  # OSV's PyPI all.zip is tens of MB; 1 GiB is a bomb guard


class StatusFormat(StrEnum):
    """What ``db status`` prints: text for people, JSON for scripts."""

    TEXT = "text"
    JSON = "json"


@db_app.command("update")
def update(
    sources: Annotated[
        list[Path] | None,
        typer.Option(
            "--from",
            metavar="PATH",
            help="Import a local OSV archive/directory or top-packages JSON; repeatable.",
        ),
    ] = None,
) -> None:
    """Download OSV's PyPI database and the top-packages dataset, or import local files (air-gapped)."""
    config = TargetFlags().config()
    store = DataStore(config.data_dir)
    if sources:
        for source in sources:
            written = store.import_path(source, now=SystemClock().now())
            typer.echo(f"imported {source}: {', '.join(written)}")
        prepare_index(config.data_dir)  # what audits derive from the data, computed once here
        return
    if config.offline:
        raise UsageError("db update needs the network; use --from PATH on an air-gapped machine")

    async def download(http: Http) -> None:
        try:
            archive = await http.get(config.endpoints.osv_database, max_bytes=_MAX_DOWNLOAD)
            top = await http.get(config.endpoints.top_packages)
        except FetchError as error:
            raise DataUnavailableError(f"download failed: {error.reason}") from None  # exit 3, not bad input
        config.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=config.data_dir, suffix=".zip") as temp:
            temp.write(archive.content)
            temp.flush()
            try:
                written = store.import_path(Path(temp.name), now=SystemClock().now())
            except AdvisoryDataError as error:  # name what was downloaded, not the deleted temp file
                source = config.endpoints.osv_database.public
                raise AdvisoryDataError(error.message.replace(temp.name, source)) from None
        store.write_top_packages(top.json(), origin=config.endpoints.top_packages.public)
        prepare_index(config.data_dir)
        typer.echo(f"updated {', '.join([*written, 'top-packages'])} in {config.data_dir}")

    run_with_http(config, download)


def _age(as_of: datetime | None, now: datetime) -> int | None:
    return None if as_of is None else (now - as_of).days


@db_app.command("status")
def status(
    output_format: Annotated[
        StatusFormat, typer.Option("--format", help="text or json.")
    ] = StatusFormat.TEXT,
) -> None:
    """Each dataset's path, as-of date, age in days and record count."""
    config = TargetFlags(offline=True).config()
    now = SystemClock().now()
    rows = DataStore(config.data_dir).status()
    if output_format is StatusFormat.JSON:
        document = {
            "data_dir": str(config.data_dir),
            "datasets": [
                {
                    "name": row.name,
                    "path": str(row.path),
                    "as_of": row.as_of.isoformat() if row.as_of else None,
                    "age_days": _age(row.as_of, now),
                    "records": row.records,
                }
                for row in rows
            ],
        }
        typer.echo(json.dumps(document, indent=2, sort_keys=True))
        return
    if not rows:
        typer.echo(f"no data in {config.data_dir}: run `supplychain db update`")
        return
    for row in rows:
        as_of = row.as_of.date().isoformat() if row.as_of else "unknown"
        age = _age(row.as_of, now)
        typer.echo(f"{row.name:<13} {row.records:>7} records  as of {as_of} ({age} days)  {row.path}")
