"""``supplychain audit`` end to end over loopback: recorded PyPI answers, an OSV emulator with real records.

Exit codes are checked through the console entry point; the clock is fixed at the recording time.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from supplychain.cli import audit as audit_cli
from supplychain.clock import FixedClock
from supplychain.datastore import DataStore
from tests.policy.recorded import FETCHED, POLICY
from tests.sources.pypi_support import PYPI_FIXTURES, point_endpoints
from tests.support.osv_api import OsvApi
from tests.support.server import ReplayServer
from tests.test_audit_cli import run

PINS = "requests==2.25.1\nurllib3==2.5.0\ncertifi==2025.8.3\nidna==3.10\n"


def _records() -> list[dict[str, object]]:
    records: list[dict[str, object]] = [
        yaml.load(io.StringIO(p.read_text()), Loader=yaml.BaseLoader)
        for p in sorted((POLICY / "advisories").glob("*.yaml"))
    ]
    records.append(json.loads((POLICY / "malicious" / "MAL-2022-7433.json").read_text()))
    return records


@pytest.fixture
def project(server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    server.mount("/", PYPI_FIXTURES)
    OsvApi(_records()).install(server)
    point_endpoints(monkeypatch, server)
    monkeypatch.setenv("SUPPLYCHAIN_OSV_URL", server.url + "/")
    monkeypatch.setattr(audit_cli, "clock_factory", lambda: FixedClock(FETCHED))
    data_dir = Path(__import__("os").environ["SUPPLYCHAIN_DATA_DIR"])
    DataStore(data_dir).import_path(PYPI_FIXTURES / "top-pypi-packages.subset.json")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text(PINS)
    return tmp_path


def test_sl1_passes_requests_and_its_dependencies(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["audit", "requirements.txt", "--no-deps", "--policy", "sl1"], capsys)
    assert code == 0, out + err
    assert out.splitlines()[-1].startswith("PASSED: policy sl1, 4 packages, 0 failing")
    # GHSA-j8r2-6x86-q33q's record gives no severity: counted as high, it warns at SL1 (and fails at SL2).
    assert "GHSA-j8r2-6x86-q33q (unknown) affects requests==2.25.1" in out


def test_sl2_fails_on_the_advisories_and_names_the_fix(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["audit", "requirements.txt", "--no-deps", "--policy", "sl2", "--quiet"], capsys)
    assert code == 1
    # GHSA-j8r2-6x86-q33q (CVE-2023-32681) is rated high by its record: it fails; the medium ones warn.
    assert out.startswith("FAILED: policy sl2, 4 packages, 1 failing")


def test_sl5_names_the_indie_maintained_package(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "requirements.txt").write_text(PINS + "six==1.17.0\n")
    # The recorded top-packages snapshot is from 2026-04-01; a user policy accepts data that old.
    (project / "ours.toml").write_text('extends = "sl5"\nmax_popularity_age_days = 365\n')
    code, out, err = run(
        ["audit", "requirements.txt", "--no-deps", "--policy", "ours.toml", "--format", "json"], capsys
    )
    assert code == 1, out + err
    indie = [f for f in json.loads(out)["findings"] if f["rule"] == "indie-maintained"]
    assert {(f["package"]["name"], f["action"]) for f in indie} == {("six", "fail"), ("idna", "fail")}
    six = next(f for f in indie if f["package"]["name"] == "six")
    assert six["message"].startswith("six has 1 maintainer(s) (gutworth) and no organisation")


def test_unreachable_advisories_exit_3_at_sl5_and_warn_at_sl2(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPPLYCHAIN_OSV_URL", "http://127.0.0.1:9/")  # discard port: refused
    code, out, _ = run(["audit", "requirements.txt", "--no-deps", "--policy", "sl5"], capsys)
    assert code == 3
    assert "requests==2.25.1 advisories:" in out
    assert out.splitlines()[-1].startswith("INCOMPLETE: policy sl5")
    code, out, _ = run(["audit", "requirements.txt", "--no-deps", "--policy", "sl2"], capsys)
    assert code == 0
    assert "requests==2.25.1 advisories:" in out
    assert out.splitlines()[-1].startswith("PASSED: policy sl2")


def test_only_malicious_data_is_not_vulnerability_data(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A data directory holding only malicious-package reports: requests 2.25.1 must not pass as clean."""
    DataStore(Path(__import__("os").environ["SUPPLYCHAIN_DATA_DIR"])).import_path(POLICY / "malicious")
    code, out, _ = run(
        ["audit", "requirements.txt", "--no-deps", "--policy", "sl2", "--format", "json"], capsys
    )
    document = json.loads(out)
    unknown = {(u["package"], u["fact"]): u["reason"] for u in document["unknowns"]}
    assert unknown[("requests==2.25.1", "advisories")].startswith("no vulnerability data")
    assert ("requests==2.25.1", "malicious_reports") not in unknown
    warned = [f for f in document["findings"] if f["rule"] == "data-unknown" and f["package"]]
    assert {f["action"] for f in warned} == {"warn"}  # SL2 warns; SL3 lists advisories in fail_facts
    assert code == 0


def test_sl5_does_not_pass_on_a_dataset_without_modified_dates(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Records without ``modified`` leave the dataset's age unknown: it was never stale, SL5 passed."""
    data_dir = Path(__import__("os").environ["SUPPLYCHAIN_DATA_DIR"])
    undated = project / "undated"
    undated.mkdir()
    for record in _records():
        (undated / f"{record['id']}.json").write_text(json.dumps({**record, "modified": None}))
    DataStore(data_dir).import_path(undated)
    (project / "ours.toml").write_text('extends = "sl5"\nmax_popularity_age_days = 365\n')
    code, out, _ = run(
        ["audit", "requirements.txt", "--no-deps", "--policy", "ours.toml", "--format", "json"], capsys
    )
    assert code == 3
    ages = [f["message"] for f in json.loads(out)["findings"] if f["rule"] == "data-unknown"]
    assert ages == [
        "dataset advisories has no dates, so its age is unknown (policy maximum 2, max_advisory_age_days)",
        "dataset malicious has no dates, so its age is unknown (policy maximum 2, max_advisory_age_days)",
    ]


def test_json_format_prints_findings_and_verdict(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["audit", "requirements.txt", "--no-deps", "--policy", "sl2", "--format", "json"], capsys
    )
    assert code == 1
    document = json.loads(out)
    assert document["verdict"] == "failed"
    rules = {(f["rule"], f["package"]["name"]) for f in document["findings"] if f["action"] == "fail"}
    assert rules == {("vulnerability", "requests")}


def test_output_dir_writes_reports_and_prints_the_summary(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "audit",
        "requirements.txt",
        "--no-deps",
        "--policy",
        "sl1",
        "--format",
        "json",
        "--format",
        "sarif",
    ]
    code, out, err = run([*args, "--output", "reports"], capsys)
    assert code == 0, err
    assert sorted(p.name for p in (project / "reports").iterdir()) == [
        "supplychain.json",
        "supplychain.sarif",
    ]
    assert out.splitlines()[-1].startswith("PASSED: policy sl1")
    document = json.loads((project / "reports" / "supplychain.json").read_text())
    assert document["verdict"] == "passed"
