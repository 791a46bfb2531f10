"""The issue's scripted walk-through on a real uv.lock, through the CLI, with PyPI replayed locally.

The "before" lock is the real nnsight uv.lock with two packages moved back one real release
(certifi 2026.10.19.post1 -> 2026.10.18, urllib3 2.8.0 -> 2.7.0; a hand edit, hashes included);
the real lock is then the "bump". PyPI answers are recorded (tests/fixtures/curation/record.py).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supplychain.cli import allowlist as allowlist_cli
from supplychain.cli import app
from supplychain.clock import FixedClock
from supplychain.errors import UsageError
from tests.support.server import ReplayServer

FIXTURES = Path(__file__).parents[1] / "fixtures"
REAL_LOCK = FIXTURES / "inputs" / "locks" / "nnsight" / "uv.lock"
REPLAY = FIXTURES / "curation"
DAY0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
AFTER_EXPIRY = datetime(2027, 12, 1, 12, 0, tzinfo=UTC)


def _move_back(text: str, name: str, new: str, old: str, old_hashes: dict[str, str]) -> str:
    """Rewrite one [[package]] block of a uv.lock to an older release (version, file names, hashes)."""
    start = text.index(f'\n[[package]]\nname = "{name}"\nversion = "{new}"')
    end = text.index("\n[[package]]", start + 1)
    block = text[start:end].replace(new, old)
    for filename, digest in old_hashes.items():
        block = re.sub(rf'({re.escape(filename)}", hash = "sha256:)[0-9a-f]+', rf"\g<1>{digest}", block)
    return text[:start] + block + text[end:]


def _old_hashes(name: str, version: str) -> dict[str, str]:
    project = json.loads((REPLAY / "pypi" / name / "json").read_text())
    return {f["filename"]: f["digests"]["sha256"] for f in project["releases"][version]}


@pytest.fixture
def project(tmp_path: Path, server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    text = REAL_LOCK.read_text()
    text = _move_back(text, "certifi", "2026.10.19.post1", "2026.10.18", _old_hashes("certifi", "2026.10.18"))
    text = _move_back(text, "urllib3", "2.8.0", "2.7.0", _old_hashes("urllib3", "2.7.0"))
    (tmp_path / "before").mkdir()
    (tmp_path / "before" / "uv.lock").write_text(text)
    (tmp_path / "after").mkdir()
    (tmp_path / "after" / "uv.lock").write_text(REAL_LOCK.read_text())
    server.mount("/pypi/", REPLAY / "pypi")
    server.mount("/packages/", REPLAY / "packages")
    monkeypatch.setenv("SUPPLYCHAIN_PYPI_URL", server.url + "/")
    monkeypatch.setenv("SUPPLYCHAIN_INTEGRITY_URL", server.url + "/")
    monkeypatch.setenv("SUPPLYCHAIN_INDEX_URL", server.url + "/simple/")  # no pages: provenance unknown
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(clock_at: datetime, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(allowlist_cli, "CLOCK", FixedClock(clock_at))
    result = CliRunner().invoke(app, ["allowlist", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_init_bump_propose_approve_trust_expire(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run(DAY0, monkeypatch, "init", "before/uv.lock")
    assert code == 0, out
    code, out = run(DAY0, monkeypatch, "check", "before/uv.lock")
    assert code == 0, out

    code, out = run(DAY0, monkeypatch, "propose", "after/uv.lock", "--format", "json")
    assert code == 0, out
    reviews = json.loads(out)["reviews"]
    assert sorted((r["package"], r["kind"], r["base"]) for r in reviews) == [
        ("certifi==2026.10.19.post1", "delta", "2026.10.18"),
        ("urllib3==2.8.0", "delta", "2.7.0"),
    ]
    urllib3 = next(r for r in reviews if r["package"] == "urllib3==2.8.0")
    certifi = next(r for r in reviews if r["package"] == "certifi==2026.10.19.post1")
    assert {
        "kind": "files",
        "detail": "distributions ['sdist', 'wheel'] -> ['wheel']",
        "loud": False,
    } in certifi["changes"]  # the recorded 2026.10.19.post1 release ships no sdist
    assert reviews[0]["package"] == "certifi==2026.10.19.post1"  # riskier change first
    kinds = {c["kind"] for c in urllib3["changes"]}
    assert "size" in kinds or "size-jump" in kinds  # recorded file sizes differ between the releases

    code, out = run(
        DAY0,
        monkeypatch,
        "approve",
        "urllib3==2.8.0",
        "--reviewer",
        "alice",
        "--reason",
        "delta reviewed",
        "--expires",
        "2027-06-01",
        "--input",
        "after/uv.lock",
    )
    assert code == 0, out
    code, out = run(DAY0, monkeypatch, "check", "after/uv.lock", "--format", "json")
    assert code == 1, out
    report = json.loads(out)
    assert [c["package"] for c in report["not_covered"]] == ["certifi==2026.10.19.post1"]

    code, out = run(
        DAY0,
        monkeypatch,
        "trust",
        "--organization",
        "certifi",
        "--package",
        "certifi",
        "--reviewer",
        "bob",
        "--expires",
        "2027-03-01",
    )
    assert code == 0, out
    code, out = run(DAY0, monkeypatch, "check", "after/uv.lock", "--format", "json")
    assert code == 0, out
    covered = {c["package"]: c["by"] for c in json.loads(out)["covered"]}
    assert covered["certifi==2026.10.19.post1"] == "trust organization:certifi (certifi)"
    assert covered["urllib3==2.8.0"] == "approve urllib3==2.8.0"

    code, out = run(AFTER_EXPIRY, monkeypatch, "check", "after/uv.lock", "--format", "json")
    assert code == 1, out
    report = json.loads(out)
    assert len(report["not_covered"]) == len(covered)  # every package: all entries expired
    assert "trust organization:certifi (certifi)" in report["expired_entries"]

    written = (project / "allowlist.toml").read_text()
    assert written.index('name = "urllib3"') < written.index("[[trust]]") < written.index("[[baseline]]")
    # the approval pinned the lock's hashes for urllib3 2.8.0 (its real sdist digest)
    assert (
        "sha256:63bf2ead4c879426ebf22ef2a781eeb4aa3b4ae798a0435506f8687fd5bb9b63"
        in written.split("[[trust]]")[0]
    )


def test_diff_lists_the_two_bumps_with_evidence(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run(DAY0, monkeypatch, "diff", "before/uv.lock", "after/uv.lock", "--format", "json")
    assert code == 0, out
    result = json.loads(out)
    assert (result["added"], result["removed"]) == ([], [])
    assert [(b["package"], b["base"]) for b in result["bumped"]] == [
        ("certifi==2026.10.19.post1", "2026.10.18"),
        ("urllib3==2.8.0", "2.7.0"),
    ]


def test_prune_drops_expired_and_unused_entries(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(DAY0, monkeypatch, "init", "before/uv.lock")[0] == 0
    assert (
        run(
            DAY0,
            monkeypatch,
            "approve",
            "urllib3==2.8.0",
            "--reviewer",
            "a",
            "--reason",
            "r",
            "--expires",
            "2027-01-31",
        )[0]
        == 0
    )
    code, out = run(DAY0, monkeypatch, "check", "after/uv.lock", "--format", "json")
    unused = json.loads(out)["unused_entries"]
    assert unused == ["baseline certifi==2026.10.18", "baseline urllib3==2.7.0"]
    assert json.loads(out)["expiring_soon"] == []
    code, out = run(
        datetime(2027, 1, 10, tzinfo=UTC), monkeypatch, "check", "after/uv.lock", "--format", "json"
    )
    assert json.loads(out)["expiring_soon"] == [{"entry": "approve urllib3==2.8.0", "expires": "2027-01-31"}]
    code, out = run(
        datetime(2027, 2, 1, tzinfo=UTC), monkeypatch, "prune", "after/uv.lock", "--format", "json"
    )
    assert code == 0, out
    assert json.loads(out)["removed"] == [
        "approve urllib3==2.8.0",
        "baseline certifi==2026.10.18",
        "baseline urllib3==2.7.0",
    ]
    assert "urllib3" not in (project / "allowlist.toml").read_text().split("[[baseline]]")[0]


def test_import_is_explicit_filtered_by_criteria_and_not_transitive(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other, third = project / "other", project / "third"
    other.mkdir()
    third.mkdir()
    (third / "allowlist.toml").write_text(
        'version = 1\n[[approve]]\nname = "certifi"\nversions = ["2026.10.19.post1"]\nreviewer = "z"\n'
        'reason = "r"\nexpires = 2027-06-01\ncriteria = ["safe-to-run"]\n'
    )
    (other / "allowlist.toml").write_text(
        'version = 1\n[[approve]]\nname = "urllib3"\nversions = ["2.8.0"]\nreviewer = "o"\nreason = "r"\n'
        'expires = 2027-06-01\ncriteria = ["safe-to-deploy", "safe-to-run"]\n'
        '[[approve]]\nname = "certifi"\nversions = ["2026.10.19.post1"]\nreviewer = "o"\nreason = "r"\n'
        "expires = 2027-06-01\n"
        '[[import]]\npath = "../third/allowlist.toml"\n'
    )
    assert run(DAY0, monkeypatch, "init", "before/uv.lock")[0] == 0
    code, out = run(DAY0, monkeypatch, "import", "other/allowlist.toml", "--only-criteria", "safe-to-run")
    assert (code, out) == (0, "imported other/allowlist.toml: 1 approvals count here\n")
    code, out = run(DAY0, monkeypatch, "check", "after/uv.lock", "--format", "json")
    report = json.loads(out)
    covered = {c["package"]: c["by"] for c in report["covered"]}
    assert covered["urllib3==2.8.0"] == "approve urllib3==2.8.0 (imported)"
    # certifi: approved there without the criterion, and by a third team they import: neither counts
    assert [c["package"] for c in report["not_covered"]] == ["certifi==2026.10.19.post1"]
    assert code == 1


def test_approve_records_the_publisher_it_is_given(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["approve", "urllib3==2.8.0", "--reviewer", "a", "--reason", "r", "--expires", "2027-01-31"]
    code, out = run(DAY0, monkeypatch, *args, "--publisher", "github:urllib3/urllib3@publish.yml#pypi")
    assert code == 0, out
    assert 'publishers = [\n    "github:urllib3/urllib3@publish.yml#pypi",\n]' in (
        project / "allowlist.toml"
    ).read_text()
    with pytest.raises(UsageError, match="--publisher 'urllib3/urllib3' must be kind:repository"):
        run(DAY0, monkeypatch, *args, "--publisher", "urllib3/urllib3")  # the CLI maps it to exit 2
