"""The allowlist file: the CONTRACTS.md format round-trips sorted, every problem reported, atomic writes."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from supplychain.allowlist import edits
from supplychain.allowlist.reader import load_allowlist, loads_allowlist, read_allowlist
from supplychain.allowlist.writer import dumps_allowlist
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


def test_an_approval_waiving_unknown_facts_round_trips() -> None:
    text = CONTRACT_EXAMPLE.replace(
        'waive = ["indie-maintained"]', 'waive = ["data-unknown", "indie-maintained"]\nfacts = ["provenance"]'
    )
    parsed = loads_allowlist(text, "allowlist.toml", TODAY)
    assert parsed.approvals[0].facts == ("provenance",)
    assert loads_allowlist(dumps_allowlist(parsed), "allowlist.toml", TODAY) == parsed


OTHER_TEAM = """\
version = 1

[[approve]]
name = "attrs"
versions = ["25.3.0"]
reviewer = "carol"
reason = "their review"
expires = 2027-01-01
criteria = ["safe-to-run", "safe-to-deploy"]

[[approve]]
name = "six"
versions = ["1.17.0"]
reviewer = "carol"
reason = "a lighter review"
expires = 2027-01-01
"""


def test_audit_and_curation_read_identical_entries(tmp_path: Path) -> None:
    """One reader: the audit applies exactly the entries curation reads and rewrites, lines included."""
    (tmp_path / "other-team").mkdir()
    (tmp_path / "other-team" / "allowlist.toml").write_text(OTHER_TEAM)
    path = tmp_path / "ours" / "allowlist.toml"
    path.parent.mkdir()
    path.write_text(CONTRACT_EXAMPLE)
    audited, curated = load_allowlist(path, TODAY), read_allowlist(path, TODAY)
    for kind in ("approvals", "trusts", "baselines", "imports"):
        audit_entries, curation_entries = getattr(audited, kind), getattr(curated, kind)
        assert audit_entries == curation_entries
        assert [e.line for e in audit_entries] == [e.line for e in curation_entries]
    assert [e.line for e in curated.approvals + curated.trusts] == [3, 14]
    (other,) = audited.imported
    assert other.path == str(path.parent / "../other-team/allowlist.toml")
    assert [a.name for a in other.approvals] == ["attrs"]  # only approvals with the import's criteria
    assert curated.imported == ()  # what curation edits: the file as written

    edits.update(path, TODAY, edits.add_import("../other-team/allowlist.toml", ["safe-to-deploy"]))
    rewritten = read_allowlist(path, TODAY)
    assert [a.name for f in load_allowlist(path, TODAY).imported for a in f.approvals] == ["attrs"]
    assert (rewritten.approvals, rewritten.trusts, rewritten.baselines) == (
        curated.approvals,
        curated.trusts,
        curated.baselines,
    )


def test_a_missing_import_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.toml"
    path.write_text('version = 1\n\n[[import]]\npath = "nowhere/allowlist.toml"\n')
    expected = (
        f"{path}:3: import nowhere/allowlist.toml: {tmp_path / 'nowhere' / 'allowlist.toml'} does not exist"
    )
    with pytest.raises(PolicyError) as caught:
        load_allowlist(path, TODAY)
    assert caught.value.diagnostics() == expected


def test_versions_and_publishers_are_read_canonical_and_written_back_so() -> None:
    text = CONTRACT_EXAMPLE.replace('"2.3.1"', '"2.3.1.0", "v2.2-post1"').replace(
        "github:pytorch/pytorch", "GitHub:PyTorch/PyTorch"
    )
    parsed = loads_allowlist(text, "allowlist.toml", TODAY)
    assert [str(v) for v in parsed.approvals[0].versions] == ["2.2.post1", "2.3.1.0"]
    assert parsed.trusts[0].publisher == "github:pytorch/pytorch"
    written = dumps_allowlist(parsed)
    assert 'versions = [\n    "2.2.post1",\n    "2.3.1.0",\n]' in written
    assert 'publisher = "github:pytorch/pytorch"' in written


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
        "allowlist.toml:3: approve[0].expires: 2028-06-01 is more than one year after 2026-06-01\n"
        "allowlist.toml:11: trust[0].publisher: give exactly one of publisher, organization or account"
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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["allowlist.toml"]  # no temp file, no lock file
    assert [a.name for a in read_allowlist(path, TODAY).approvals] == ["numpy"]


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
