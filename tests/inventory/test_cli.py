"""``supplychain inventory …`` end to end on a real uv.lock, on both backends, plus the inventory source."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supplychain.audit import source_settings
from supplychain.cli import app, main
from supplychain.cli import inventory as inventory_cli
from supplychain.clock import FixedClock
from supplychain.config import TargetFlags
from supplychain.inventory.store import EnvironmentRecord, InventoryStore, RecordedPackage
from supplychain.model import InternalUsage, Known, Origin, OriginKind, PackageRef, ResolvedPackage, Unknown
from supplychain.net.http import HttpSettings, build_http
from supplychain.progress import NullProgress
from supplychain.sources import SourceContext
from supplychain.sources.datastore import DataStore
from supplychain.sources.inventory import InventorySource

LOCK = Path(__file__).parents[1] / "fixtures" / "inputs" / "locks" / "nnsight" / "uv.lock"
WHEN = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def fails(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run through ``main``, which turns the tool's errors into exit codes and one line on stderr."""
    monkeypatch.setattr(inventory_cli, "CLOCK", FixedClock(WHEN))
    with pytest.raises(SystemExit) as exited:
        main(["inventory", *args])
    return int(exited.value.code or 0), capsys.readouterr().err


def invoke(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(inventory_cli, "CLOCK", FixedClock(WHEN))
    result = CliRunner().invoke(app, ["inventory", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_record_then_query_a_real_lock(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = invoke(
        monkeypatch,
        "record",
        str(LOCK),
        "--env",
        "eval-cluster",
        "--team",
        "alignment",
        "--offline",
        "--db",
        db_url,
        "--format",
        "json",
    )
    assert code == 0, out
    recorded = json.loads(out)
    assert recorded["environment"] == "eval-cluster"
    assert recorded["packages"] > 70  # nnsight's resolved set for the running target

    code, out = invoke(monkeypatch, "who-uses", "NumPy==2.2.6", "--db", db_url, "--format", "json")
    assert code == 0, out
    assert json.loads(out)["uses"] == [
        {
            "environment": "eval-cluster",
            "team": "alignment",
            "package": "numpy",
            "version": "2.2.6",
            "since": WHEN.isoformat(),
            "recorded_at": WHEN.isoformat(),
        }
    ]
    code, out = invoke(monkeypatch, "usage", "numpy", "--db", db_url)
    assert (code, out) == (0, "numpy: 1 environments, 1 teams\n")


ADVISORIES = Path(__file__).parents[1] / "fixtures" / "osv" / "records" / "pypa"


def test_affected_answers_from_todays_advisory_data_not_from_the_record(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The incident question: an advisory published after the environment was recorded (here the
    record had no advisory data at all) still finds the environment holding an affected version."""
    code, out = invoke(
        monkeypatch,
        "record",
        str(LOCK),
        "--env",
        "eval-cluster",
        "--team",
        "alignment",
        "--offline",
        "--db",
        db_url,
    )
    assert code == 0, out
    code, out = fails(monkeypatch, capsys, "affected", "GHSA-69w3-r845-3855", "--db", db_url)
    assert code == 3, out  # no advisory data: nobody can be said to be unaffected
    assert "db update" in out

    DataStore(Path(os.environ["SUPPLYCHAIN_DATA_DIR"])).import_path(ADVISORIES)
    code, out = invoke(monkeypatch, "affected", "ghsa-69w3-r845-3855", "--db", db_url, "--format", "json")
    assert code == 0, out
    answer = json.loads(out)
    assert [(u["environment"], u["package"], u["version"], u["advisory"]) for u in answer["affected"]] == [
        ("eval-cluster", "transformers", "4.57.6", "GHSA-69w3-r845-3855")  # PYSEC-2026-2288: fixed in 5.0.0
    ]
    code, out = invoke(monkeypatch, "affected", "PYSEC-2025-214", "--db", db_url)  # fixed in 4.53.0
    assert code == 0, out
    assert out.startswith("no recorded environment has PYSEC-2025-214\n")


def test_affected_with_an_unknown_advisory_id_is_an_error_not_nobody(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    DataStore(Path(os.environ["SUPPLYCHAIN_DATA_DIR"])).import_path(ADVISORIES)
    code, out = fails(monkeypatch, capsys, "affected", "GHSA-0000-0000-0000", "--db", db_url)
    assert code == 2, out
    assert "GHSA-0000-0000-0000: no such advisory" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["who-uses", "numpy>=1"], "error: 'numpy>=1': give NAME or NAME==VERSION\n"),
        (
            ["usage", "numpy", "--db", "mysql://x/y"],
            "error: --db 'mysql://x/y': use sqlite:///PATH or postgresql://…\n",
        ),
    ],
)
def test_bad_spec_and_bad_url_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["inventory", *args])
    assert exited.value.code == 2
    assert capsys.readouterr().err == message


def _internal(name: str) -> ResolvedPackage:
    return ResolvedPackage(ref=PackageRef.of(name, "0.4.0"), origin=Origin(kind=OriginKind.INDEX))


def test_inventory_source_counts_internal_packages_only(db_url: str, tmp_path: Path) -> None:
    with InventoryStore(db_url) as store:
        for env, team in (("a", "alignment"), ("b", "alignment"), ("c", "evals")):
            store.record(
                EnvironmentRecord(
                    name=env,
                    team=team,
                    recorded_at=WHEN,
                    input_path="uv.lock",
                    verdict="passed",
                    packages=(RecordedPackage(name="acme-tokenizer", version="0.4.0"),),
                )
            )
    (tmp_path / "supplychain.toml").write_text(f'internal-patterns = ["acme-*"]\ninventory-db = "{db_url}"\n')
    given = source_settings(TargetFlags(offline=True).config(cwd=tmp_path))

    async def collect() -> dict[PackageRef, object]:
        http = build_http(HttpSettings.for_config(given))
        try:
            context = SourceContext(http=http, config=given, clock=FixedClock(WHEN), progress=NullProgress())
            return dict(
                await InventorySource().collect([_internal("acme-tokenizer"), _internal("numpy")], context)
            )
        finally:
            await http.aclose()

    patches = asyncio.run(collect())
    assert list(patches) == [PackageRef.of("acme-tokenizer", "0.4.0")]  # numpy is public: not answered here
    signal = patches[PackageRef.of("acme-tokenizer", "0.4.0")]["internal_usage"]  # type: ignore[index]
    assert signal == Known(value=InternalUsage(environments=3, teams=2), source="inventory", fetched_at=WHEN)


def test_inventory_source_without_database_is_unknown_and_creates_none(tmp_path: Path) -> None:
    """The default database before anything was recorded: usage is unknown, and the audit (a reader)
    does not create an empty one that would later read as "used by 0 environments"."""
    (tmp_path / "supplychain.toml").write_text('internal-patterns = ["acme-*"]\n')
    given = source_settings(TargetFlags(offline=True).config(cwd=tmp_path))
    default = Path(os.environ["SUPPLYCHAIN_DATA_DIR"]) / "inventory.sqlite3"
    assert given.inventory_db == f"sqlite:///{default}"

    async def collect() -> object:
        http = build_http(HttpSettings.for_config(given))
        try:
            context = SourceContext(http=http, config=given, clock=FixedClock(WHEN), progress=NullProgress())
            return await InventorySource().collect([_internal("acme-tokenizer")], context)
        finally:
            await http.aclose()

    patches = asyncio.run(collect())
    assert patches == {
        PackageRef.of("acme-tokenizer", "0.4.0"): {
            "internal_usage": Unknown(
                reason=f"no inventory at {default}: record environments with `supplychain inventory record`",
                source="inventory",
            )
        }
    }
    assert not default.exists()
