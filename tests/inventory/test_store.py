"""The same inventory behaviour on SQLite and PostgreSQL: record, who-uses, usage, affected, migrations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supplychain.errors import UsageError
from supplychain.inventory.schema import LATEST
from supplychain.inventory.store import (
    EnvironmentRecord,
    InventoryStore,
    InventoryUnavailable,
    RecordedPackage,
)

DAY1 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
DAY2 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
# Hand-made records; the advisory ids are the real PyYAML 5.3.1 advisory group (GHSA + CVE + PYSEC).
PYYAML_ADVISORY = ("GHSA-8q59-q68h-6hv4", ("CVE-2020-14343", "PYSEC-2021-142"))


def env(
    name: str, team: str, when: datetime, *packages: RecordedPackage, verdict: str = "passed"
) -> EnvironmentRecord:
    return EnvironmentRecord(
        name=name, team=team, recorded_at=when, input_path="uv.lock", verdict=verdict, packages=packages
    )


def pkg(name: str, version: str, *advisories: tuple[str, tuple[str, ...]]) -> RecordedPackage:
    return RecordedPackage(
        name=name, version=version, hashes=(f"sha256:{name}{version}",), advisories=advisories
    )


@pytest.fixture
def store(db_url: str) -> Iterator[InventoryStore]:
    opened = InventoryStore(db_url)
    opened.record(
        env("eval-cluster", "alignment", DAY1, pkg("pyyaml", "5.3.1", PYYAML_ADVISORY), pkg("numpy", "2.3.1"))
    )
    opened.record(env("train", "pretraining", DAY1, pkg("pyyaml", "6.0.3"), pkg("numpy", "2.3.1")))
    opened.record(env("notebooks", "alignment", DAY2, pkg("numpy", "2.2.6"), pkg("acme-tokenizer", "0.4.0")))
    yield opened
    opened.close()


def test_who_uses_lists_environments_teams_and_since(store: InventoryStore) -> None:
    uses = store.who_uses("numpy")
    assert [(u.environment, u.team, u.version, u.since) for u in uses] == [
        ("eval-cluster", "alignment", "2.3.1", DAY1.isoformat()),
        ("notebooks", "alignment", "2.2.6", DAY2.isoformat()),
        ("train", "pretraining", "2.3.1", DAY1.isoformat()),
    ]


def test_who_uses_one_version(store: InventoryStore) -> None:
    assert [u.environment for u in store.who_uses("pyyaml", "5.3.1")] == ["eval-cluster"]
    assert store.who_uses("pyyaml", "9.9") == ()


def test_usage_counts_distinct_environments_and_teams(store: InventoryStore) -> None:
    assert store.usage("numpy") == (3, 2)
    assert store.usage("acme-tokenizer") == (1, 1)
    assert store.usage("never-recorded") == (0, 0)


@pytest.mark.parametrize("asked", ["GHSA-8q59-q68h-6hv4", "CVE-2020-14343", "PYSEC-2021-142"])
def test_affected_matches_the_id_and_every_alias(store: InventoryStore, asked: str) -> None:
    hit = store.affected(asked)
    assert [(u.environment, u.package, u.version, u.advisory) for u in hit] == [
        ("eval-cluster", "pyyaml", "5.3.1", "GHSA-8q59-q68h-6hv4")
    ]


def test_rerecording_replaces_the_set_and_keeps_since_for_unchanged_versions(store: InventoryStore) -> None:
    store.record(
        env(
            "eval-cluster", "alignment", DAY2, pkg("pyyaml", "6.0.3"), pkg("numpy", "2.3.1"), verdict="failed"
        )
    )
    assert store.affected("CVE-2020-14343") == ()  # upgraded away from the affected version
    numpy = [u for u in store.who_uses("numpy", "2.3.1") if u.environment == "eval-cluster"]
    assert [(u.since, u.recorded_at) for u in numpy] == [(DAY1.isoformat(), DAY2.isoformat())]
    assert [(u.environment, u.since) for u in store.who_uses("pyyaml", "6.0.3")] == [
        ("eval-cluster", DAY2.isoformat()),
        ("train", DAY1.isoformat()),
    ]
    assert store.usage("numpy") == (3, 2)  # still three environments, not four records


def test_migrations_apply_once_and_reopening_is_idempotent(db_url: str) -> None:
    with InventoryStore(db_url) as first:
        assert first.schema_version() == LATEST
    with InventoryStore(db_url) as second:
        assert second.migrate() == LATEST
        assert second.schema_version() == LATEST


def test_a_new_sqlite_inventory_is_private(tmp_path: Path) -> None:
    InventoryStore(f"sqlite:///{tmp_path / 'inv' / 'inventory.sqlite3'}").close()
    assert (tmp_path / "inv").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "inv" / "inventory.sqlite3").stat().st_mode & 0o777 == 0o600


def test_unknown_scheme_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="use sqlite:///PATH or postgresql"):
        InventoryStore("mysql://db.example/inventory")


def test_unreachable_postgres_is_unavailable_with_the_password_masked() -> None:
    with pytest.raises(InventoryUnavailable) as raised:
        InventoryStore("postgresql://ci:hunter2@127.0.0.1:1/inventory")
    assert "hunter2" not in raised.value.diagnostics()
    assert raised.value.exit_code == 3


def test_concurrent_first_records_of_one_environment_make_one_row(db_url: str) -> None:
    """Many CI jobs write to one database: racing first records must not duplicate the environment."""
    import threading

    InventoryStore(db_url).close()  # migrate once, as a deployment would
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def job(index: int) -> None:
        try:
            with InventoryStore(db_url) as mine:
                barrier.wait()
                mine.record(env("shared-ci", f"team-{index}", DAY1, pkg("numpy", f"2.{index}.0")))
        except BaseException as problem:
            failures.append(problem)

    threads = [threading.Thread(target=job, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with InventoryStore(db_url) as store:
        uses = store.who_uses("numpy")
        assert len(uses) == 1  # the last writer's set, one environment row
        assert store.usage("numpy") == (1, 1)
