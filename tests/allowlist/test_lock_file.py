"""The allowlist's exclusive lock: no ``.lock`` file left behind, and removing it lets no second writer in."""

from __future__ import annotations

import fcntl
import threading
from datetime import date
from pathlib import Path

import pytest

from supplychain.allowlist import edits
from supplychain.files import exclusive
from supplychain.model import PackageRef

TODAY = date(2026, 11, 26)
WAIT = 30.0  # seconds: only reached when the code under test hangs


def _approve(path: Path, name: str) -> None:
    edits.update(
        path,
        TODAY,
        edits.approve(
            [PackageRef.of(name, "1.0")],
            hashes={},
            reviewer="a",
            reason="r",
            expires=date(2027, 6, 1),
            today=TODAY,
        ),
    )


def test_an_allowlist_write_leaves_no_lock_file(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    _approve(path, "six")
    _approve(path, "idna")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["allowlist.toml"]


def test_the_lock_file_is_removed_when_the_edit_fails(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    seen: list[str] = []

    def failing_edit() -> None:
        with exclusive(path):
            seen.extend(p.name for p in tmp_path.iterdir())
            raise RuntimeError("edit failed")

    with pytest.raises(RuntimeError, match="edit failed"):
        failing_edit()
    assert seen == ["allowlist.toml.lock"]
    assert list(tmp_path.iterdir()) == []


def test_concurrent_writers_leave_no_lock_file_and_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    threads = [threading.Thread(target=_approve, args=(path, f"pkg-{i}")) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    text = path.read_text()
    assert all(f'name = "pkg-{i}"' in text for i in range(12))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["allowlist.toml"]


def test_a_waiter_holding_the_removed_lock_file_does_not_get_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race that removing the lock file opens, forced step by step.

    B opens the lock file while A holds it; A finishes (removing the file) and C locks a new one;
    only then does B's lock call go through, on the removed file. B must notice and wait for C.
    """
    path = tmp_path / "allowlist.toml"
    real_flock = fcntl.flock
    b_opened, c_holds, b_progressed = threading.Event(), threading.Event(), threading.Event()
    b_inside = threading.Event()
    b_lock_calls = 0

    def flock(descriptor: int, operation: int) -> None:
        nonlocal b_lock_calls
        if threading.current_thread().name == "B" and operation == fcntl.LOCK_EX:
            b_lock_calls += 1
            if b_lock_calls == 1:
                b_opened.set()
                assert c_holds.wait(WAIT)
            else:
                b_progressed.set()  # B went back for the current lock file: it will wait for C
        real_flock(descriptor, operation)

    def writer_b() -> None:
        with exclusive(path):
            b_inside.set()
            b_progressed.set()

    monkeypatch.setattr(fcntl, "flock", flock)
    b = threading.Thread(target=writer_b, name="B")
    with exclusive(path):  # A
        b.start()
        assert b_opened.wait(WAIT)
    with exclusive(path):  # C
        c_holds.set()
        assert b_progressed.wait(WAIT)
        assert not b_inside.is_set()
    b.join(WAIT)
    assert b_inside.is_set()
    assert list(tmp_path.iterdir()) == []
