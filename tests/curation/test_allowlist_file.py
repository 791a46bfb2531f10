"""The allowlist file: the CONTRACTS.md format round-trips sorted, every problem reported, atomic writes."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from supplychain.curation import edits
from supplychain.curation.allowlist_file import dumps_allowlist, loads_allowlist, read_allowlist
from supplychain.curation.atomic import write_atomic
from supplychain.errors import PolicyError, UsageError
from supplychain.model import PackageRef

TODAY = date(2026, 11, 26)
CONTRACT_EXAMPLE = """\
version = 1

[[approve]]
name = "NumPy"
versions = ["2.3.1"]
hashes = ["sha256:aa"]
reviewer = "alice"
reason = "reviewed"
expires = 2027-06-01
approved = 2026-06-01
criteria = ["safe-to-run"]
waive = ["indie-maintained"]

[[trust]]
publisher = "github:pytorch/pytorch"
workflow = "release.yml"
packages = ["torch"]
reviewer = "bob"
reason = "upstream release workflow"
expires = 2027-03-01

[[baseline]]
name = "requests"
versions = ["2.32.3"]
hashes = []
recorded = 2026-11-26
expires = 2027-11-26
reason = "baseline at adoption"

[[import]]
path = "../other-team/allowlist.toml"
criteria = ["safe-to-run"]
"""


def test_contract_example_round_trips_to_identical_sorted_text() -> None:
    parsed = loads_allowlist(CONTRACT_EXAMPLE, "allowlist.toml", TODAY)
    assert parsed.approvals[0].name == "numpy"
    text = dumps_allowlist(parsed)
    assert loads_allowlist(text, "allowlist.toml", TODAY) == parsed
    assert dumps_allowlist(loads_allowlist(text, "allowlist.toml", TODAY)) == text


def test_h6_reader_accepts_what_curation_writes(tmp_path: Path) -> None:
    """The policy engine reads the same file: everything ``allowlist`` writes must load there."""
    reader = pytest.importorskip("supplychain.policy.allowlist")
    path = tmp_path / "allowlist.toml"
    edits.update(
        path,
        TODAY,
        edits.approve(
            [PackageRef.of("numpy", "2.3.1")],
            hashes={},
            reviewer="alice",
            reason="ok",
            expires=date(2027, 6, 1),
            today=TODAY,
            criteria=["safe-to-run"],
        ),
    )
    edits.update(
        path,
        TODAY,
        edits.trust(
            publisher="github:pytorch/pytorch",
            organization=None,
            workflow=None,
            packages=["torch"],
            reviewer="bob",
            reason="ok",
            expires=date(2027, 3, 1),
            today=TODAY,
        ),
    )
    loaded = reader.load_allowlist(path, TODAY)
    assert [a.name for a in loaded.approvals] == ["numpy"]


def test_every_problem_is_reported_with_its_line() -> None:
    bad = """\
version = 1

[[approve]]
name = "numpy"
versions = ["2.3.1"]
reviewer = "alice"
reason = "r"
expires = 2028-06-01
approved = 2026-06-01

[[trust]]
publisher = "github:a/b"
organization = "acme"
packages = ["x"]
reviewer = "bob"
reason = "r"
expires = 2027-01-01
"""
    with pytest.raises(PolicyError) as raised:
        loads_allowlist(bad, "allowlist.toml", TODAY)
    assert raised.value.diagnostics() == (
        "allowlist.toml:3: approve[0]: expires 2028-06-01 is more than one year after 2026-06-01\n"
        "allowlist.toml:11: trust[0]: give exactly one of publisher or organization"
    )


def test_expiry_over_a_year_is_refused_at_write_time() -> None:
    with pytest.raises(UsageError, match="more than one year"):
        edits.approve(
            [PackageRef.of("numpy", "2.3.1")],
            hashes={},
            reviewer="a",
            reason="r",
            expires=date(2028, 1, 1),
            today=TODAY,
        )


def test_interrupted_write_leaves_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "allowlist.toml"
    edits.update(
        path,
        TODAY,
        edits.approve(
            [PackageRef.of("numpy", "2.3.1")],
            hashes={},
            reviewer="a",
            reason="r",
            expires=date(2027, 6, 1),
            today=TODAY,
        ),
    )
    before = path.read_bytes()

    def crash(source: str, target: str) -> None:
        raise KeyboardInterrupt  # the process dies between writing the temp file and the rename

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        edits.update(
            path,
            TODAY,
            edits.approve(
                [PackageRef.of("torch", "2.9.0")],
                hashes={},
                reviewer="a",
                reason="r",
                expires=date(2027, 6, 1),
                today=TODAY,
            ),
        )
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["allowlist.toml", "allowlist.toml.lock"]
    assert [a.name for a in read_allowlist(path, TODAY).approvals] == ["numpy"]


def test_write_atomic_replaces_whole_content(tmp_path: Path) -> None:
    path = tmp_path / "file.toml"
    write_atomic(path, "a" * 10_000)
    write_atomic(path, "b")
    assert path.read_text() == "b"


def test_entries_are_sorted_by_name_then_version(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    for spec in ("zstandard==0.25.0", "numpy==2.3.1", "numpy==2.10.0", "numpy==2.2.6"):
        edits.update(
            path,
            TODAY,
            edits.approve(
                [edits.parse_pin(spec)],
                hashes={},
                reviewer="a",
                reason="r",
                expires=date(2027, 6, 1),
                today=TODAY,
            ),
        )
    text = path.read_text()
    order = [text.index(f'"{version}"') for version in ("2.2.6", "2.3.1", "2.10.0", "0.25.0")]
    assert order == sorted(order)
    assert text.index('name = "numpy"') < text.index('name = "zstandard"')


def test_concurrent_writers_lose_no_entry(tmp_path: Path) -> None:
    """Read-modify-write cycles serialise on the lock file, so every approval survives."""
    import threading

    path = tmp_path / "allowlist.toml"

    def approve(index: int) -> None:
        edits.update(
            path,
            TODAY,
            edits.approve(
                [PackageRef.of(f"pkg-{index}", "1.0")],
                hashes={},
                reviewer="a",
                reason="r",
                expires=date(2027, 6, 1),
                today=TODAY,
            ),
        )

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.name for a in read_allowlist(path, TODAY).approvals) == sorted(
        f"pkg-{i}" for i in range(12)
    )
