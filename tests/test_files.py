"""supplychain.files: the one atomic writer, lock, private creation and capped read."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from supplychain.allowlist import edits
from supplychain.files import exclusive, private_file, read_capped, write_atomic
from supplychain.model import PackageRef


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_write_atomic_replaces_whole_content(tmp_path: Path) -> None:
    path = tmp_path / "file.toml"
    write_atomic(path, "a" * 10_000)
    write_atomic(path, b"b")
    assert path.read_text() == "b"
    assert [p.name for p in tmp_path.iterdir()] == ["file.toml"]


def test_an_ordinary_file_keeps_the_mode_of_the_one_it_replaces(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "allowlist.toml"
    path.write_text("old")
    path.chmod(0o640)
    write_atomic(path, "new")
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_new_allowlist_is_an_ordinary_file_under_the_umask(tmp_path: Path, umask_022: None) -> None:
    """Curation wrote a new allowlist 0600 (mkstemp's mode): one meant to be shared and committed."""
    path = tmp_path / "allowlist.toml"
    approve = edits.approve(
        [PackageRef.of("numpy", "2.3.1")],
        hashes={},
        reviewer="a",
        reason="r",
        expires=date(2027, 6, 1),
        today=date(2026, 11, 26),
    )
    edits.update(path, date(2026, 11, 26), approve)
    assert path.stat().st_mode & 0o777 == 0o644


def test_private_writes_make_a_private_directory_and_file(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "data" / "nested" / "records.jsonl"
    write_atomic(path, b"{}", private=True, durable=False)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "file.toml"
    path.write_text("old")

    def crash(source: str, target: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.toml"]


def test_private_file_tightens_a_cache_but_not_a_shared_inventory(tmp_path: Path) -> None:
    cache, inventory = tmp_path / "cache.sqlite", tmp_path / "inventory.sqlite3"
    for path in (cache, inventory):
        path.touch()
        path.chmod(0o644)
    private_file(cache)
    private_file(inventory, tighten=False)
    assert cache.stat().st_mode & 0o777 == 0o600
    assert inventory.stat().st_mode & 0o777 == 0o644
    created = tmp_path / "new" / "db.sqlite"
    private_file(created, tighten=False)
    assert created.stat().st_mode & 0o777 == 0o600
    assert created.parent.stat().st_mode & 0o777 == 0o700


def test_exclusive_serialises_holders(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    inside: list[str] = []
    entered = threading.Event()

    def other() -> None:
        with exclusive(path):
            inside.append("other")

    with exclusive(path):
        thread = threading.Thread(target=lambda: (entered.set(), other()))
        thread.start()
        entered.wait()
        thread.join(timeout=0.2)
        assert thread.is_alive()  # still waiting for the lock
        inside.append("first")
    thread.join()
    assert inside == ["first", "other"]


def test_read_capped_refuses_more_than_the_limit_and_devices(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes(b"12345")
    assert read_capped(path, 5) == b"12345"
    assert read_capped(path, 4) is None
    with pytest.raises(OSError, match="not a regular file"):
        read_capped(Path("/dev/zero"), 5)
