"""``inventory record`` and ``audit`` share one inventory: the default one, or ``inventory-db`` once.

Before, ``record`` wrote the data dir's SQLite file while ``audit`` read only a configured
``inventory-db``: ``low-use-internal`` silently became unknown unless the database was set twice.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supplychain.cli import inventory as inventory_cli
from supplychain.clock import FixedClock
from supplychain.inventory.store import InventoryStore
from tests.test_audit_cli import run

LOCK = Path(__file__).parents[1] / "fixtures" / "inputs" / "locks" / "nnsight" / "uv.lock"
WHEN = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _record(env: str, team: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["inventory", "record", "uv.lock", "--env", env, "--team", team, "--offline"]
    code, out, err = run(args, capsys)
    assert code == 0, out + err


def _usage(capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, object], str]:
    """accelerate's internal_usage fact and the inventory the JSON report names, from an offline audit."""
    code, out, err = run(["audit", "uv.lock", "--offline", "--format", "json"], capsys)
    assert code in {1, 3}, out + err  # offline with a cold cache: incomplete, which is fine here
    document = json.loads(out)
    (package,) = [p for p in document["packages"] if p["name"] == "accelerate"]
    return package["facts"]["internal_usage"], document["inventory"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(inventory_cli, "CLOCK", FixedClock(WHEN))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "uv.lock").write_bytes(LOCK.read_bytes())
    (tmp_path / "supplychain.toml").write_text('internal-patterns = ["accelerate"]\n')
    return tmp_path


def test_audit_reads_the_default_inventory_record_wrote(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    default = Path(os.environ["SUPPLYCHAIN_DATA_DIR"]) / "inventory.sqlite3"
    _record("eval-cluster", "alignment", capsys)
    _record("train-cluster", "pretraining", capsys)
    assert default.is_file()
    usage, inventory = _usage(capsys)
    assert usage["value"] == {"environments": 2, "teams": 2}
    assert usage["source"] == "inventory"
    assert inventory == f"sqlite:///{default}"
    _code, out, _ = run(["audit", "uv.lock", "--offline"], capsys)
    assert f"Inventory: sqlite:///{default}" in out.splitlines()


def test_inventory_db_is_configured_once_for_both(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A relative ``sqlite:///`` path is the configuration file's neighbour, wherever the command runs."""
    (project / "supplychain.toml").write_text(
        'internal-patterns = ["accelerate"]\ninventory-db = "sqlite:///inventory/ours.sqlite3"\n'
    )
    (project / "inventory").mkdir()
    _record("eval-cluster", "alignment", capsys)
    ours = project / "inventory" / "ours.sqlite3"
    with InventoryStore(f"sqlite:///{ours}") as store:
        assert store.usage("accelerate") == (1, 1)
    assert not (Path(os.environ["SUPPLYCHAIN_DATA_DIR"]) / "inventory.sqlite3").exists()
    usage, inventory = _usage(capsys)
    assert usage["value"] == {"environments": 1, "teams": 1}
    assert inventory == f"sqlite:///{ours}"


def test_an_audit_without_internal_packages_names_no_inventory(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "supplychain.toml").write_text("")
    _code, out, _ = run(["audit", "uv.lock", "--offline", "--format", "json"], capsys)
    assert json.loads(out)["inventory"] is None
