"""``supplychain audit`` end to end over loopback: recorded PyPI answers, an OSV emulator with real records.

Exit codes are checked through the console entry point; the clock is fixed at the recording time.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
import yaml
from rich.console import Console

from supplychain.cli import allowlist as allowlist_cli
from supplychain.cli import audit as audit_cli
from supplychain.cli.display import StderrProgress, progress_for
from supplychain.clock import FixedClock
from supplychain.progress import RecordingProgress
from supplychain.sources.datastore import DataStore
from tests.policy.recorded import FETCHED, POLICY
from tests.resolve.support import HandIndex
from tests.sources.pypi_support import PYPI_FIXTURES, point_endpoints
from tests.support.osv_api import OsvApi
from tests.support.pep740 import serve_pep740_pages
from tests.support.server import ReplayServer
from tests.test_audit_cli import run

T = TypeVar("T")
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
    # a PEP 740 index that says these files carry no provenance (all were uploaded before attestations)
    serve_pep740_pages(server, lambda _project, _filename: None)
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
    # Failed, not incomplete: the pages are served at API 1.4 (PEP 740 provenance and PEP 792 status).
    assert code == 1, out + err
    indie = [f for f in json.loads(out)["findings"] if f["rule"] == "indie-maintained"]
    # certifi: organisation certifi with one listed account, a warning (organisation teams are hidden)
    assert {(f["package"]["name"], f["action"]) for f in indie} == {
        ("six", "fail"),
        ("idna", "fail"),
        ("certifi", "warn"),
    }
    six = next(f for f in indie if f["package"]["name"] == "six")
    assert six["message"].startswith("six: 1 PyPI account(s) (gutworth) and no organisation")


def test_unreachable_advisories_exit_3_at_sl5_and_warn_at_sl2(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPPLYCHAIN_OSV_URL", "http://127.0.0.1:9/")  # discard port: refused
    code, out, _ = run(["audit", "requirements.txt", "--no-deps", "--policy", "sl5"], capsys)
    assert code == 3
    # One line for the four packages, the URL cut to its origin.
    grouped = "advisories and malicious_reports unknown for 4 packages [osv]: OSV querybatch failed: "
    grouped += "http://127.0.0.1:9: "
    grouped += "connection failed"
    assert f"  fail  {grouped}" in out.splitlines()
    assert "restore access to http://127.0.0.1:9 and rerun" in out
    assert out.splitlines()[-1].startswith("INCOMPLETE: policy sl5")
    code, out, _ = run(["audit", "requirements.txt", "--no-deps", "--policy", "sl2"], capsys)
    assert code == 0
    # The second audit does not knock again: the refused host is remembered for a few minutes.
    remembered = grouped.replace("connection failed", "host unreachable (remembered since ")
    assert any(line.startswith(f"  warn  {remembered}") for line in out.splitlines()), out
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
    findings = json.loads(out)["findings"]
    ages = [f["message"] for f in findings if f["rule"] == "data-unknown" and f["package"] is None]
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



def test_first_offline_run_groups_unknowns_by_reason_and_ends_with_the_next_step(
    project: Path, server: ReplayServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fresh cache, offline: one line per source and reason (not per package), then what to run."""
    code, out, _ = run(["audit", "requirements.txt", "--no-deps", "--offline"], capsys)
    assert code == 3
    lines = out.splitlines()
    at = lines.index("Unknown facts (48), by source and reason:")
    miss = f"{server.url}: not in the cache (--offline)"
    assert lines[at + 1 :] == [
        "  fail  advisories and malicious_reports unknown for 4 packages [osv]: "
        "no advisory data: run `supplychain db update`",
        "  warn  first_release, latest_release, license and 4 more unknown for 4 packages [pypi]: " + miss,
        f"  warn  has_wheel and project_status unknown for 4 packages [simple]: {miss}",
        f"  warn  provenance unknown for 4 packages [integrity]: {miss}",
        "Scope: the file's pins as written (--no-deps): every pin, markers not evaluated",
        "Allowlist: none",
        "Next step: run `supplychain db update`, then `supplychain audit` once online "
        "(it fills the cache --offline reads)",
        "INCOMPLETE: policy sl3, 4 packages, 12 failing, 41 warnings, 48 unknown",
    ]
    # The dataset's age is an environment finding: the table's first row, before any package.
    assert "│ warn   │ (environment)     │       │ data-unknown │ dataset top-packages is" in lines[4]
    code, out, _ = run(["audit", "requirements.txt", "--no-deps", "--offline", "--quiet"], capsys)
    assert (code, out.splitlines()) == (
        3,
        [
            "INCOMPLETE: policy sl3, 4 packages, 12 failing, 41 warnings, 48 unknown",
            "  certifi==2025.8.3: unpinned",
            "  idna==3.10: unpinned",
            "  requests==2.25.1: unpinned",
            "  urllib3==2.5.0: unpinned",
            "Next step: run `supplychain db update`, then `supplychain audit` once online "
            "(it fills the cache --offline reads)",
        ],
    )


def test_quiet_names_what_fails_and_the_fix_for_an_incomplete_run(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pre-commit hook's output: the verdict, the failing packages and rules, the one command."""
    code, out, _ = run(["audit", "requirements.txt", "--no-deps", "--policy", "sl2", "--quiet"], capsys)
    assert (code, out.splitlines()[1:]) == (1, ["  requests==2.25.1: vulnerability"])
    code, out, _ = run(["audit", "requirements.txt", "--no-deps", "--policy", "sl5", "--quiet"], capsys)
    assert code == 3
    assert out.splitlines()[1] == (
        "  (environment) data-unknown: dataset top-packages is 239 days old "
        "(policy maximum 45, max_popularity_age_days)"
    )
    assert out.splitlines()[2] == (
        "  requests==2.25.1: no-provenance, not-allowlisted, unpinned, vulnerability (4)"
    )
    assert out.splitlines()[-1] == "Next step: run `supplychain db update`"


def _recording(monkeypatch: pytest.MonkeyPatch) -> RecordingProgress:
    recorder = RecordingProgress()
    monkeypatch.setattr(audit_cli, "progress_factory", lambda quiet: contextlib.nullcontext(recorder))
    return recorder


def test_progress_events_follow_the_pipeline_and_count_packages(
    project: Path, server: ReplayServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stages in order; resolve counts packages resolved, enrich counts package lookups to its total."""
    index = HandIndex(server)  # resolved, not --no-deps: app-lib needs shared, which needs leaf
    index.wheel("app-lib", "1.0", ["shared>=1"])
    index.wheel("shared", "1.5", ["leaf"])
    index.wheel("leaf", "0.1")
    (project / "requirements.txt").write_text("app-lib>=1\n")
    recorder = _recording(monkeypatch)
    code, out, err = run(["audit", "requirements.txt", "--policy", "sl1"], capsys)
    assert code in {0, 1}, out + err  # the hand-made packages' facts are unknown: what passes is moot
    assert ", 3 packages, " in out.splitlines()[-1]
    stages = [name for kind, name, _ in recorder.events if kind == "stage"]
    assert list(dict.fromkeys(stages)) == ["input", "resolve", "enrich", "policy"]
    resolved = [n for kind, name, n in recorder.events if (kind, name) == ("advance", "resolve")]
    assert sum(n or 0 for n in resolved) == 3
    (total,) = [n for kind, name, n in recorder.events if (kind, name) == ("stage", "enrich")]
    advanced = [n for kind, name, n in recorder.events if (kind, name) == ("advance", "enrich")]
    assert total == sum(n or 0 for n in advanced) == 3 * 6  # three packages asked of six sources
    assert recorder.events[-1] == ("stage", "policy", None)


def test_no_progress_off_a_terminal_and_nothing_but_the_summary_with_quiet(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Logs and pipes get one line with the time taken; --quiet (pre-commit) not even that."""
    code, _, err = run(["audit", "requirements.txt", "--no-deps", "--policy", "sl1"], capsys)
    assert code == 0
    assert re.fullmatch(r"audited 4 packages in \d+\.\d s\n", err), err
    code, _, err = run(["audit", "requirements.txt", "--no-deps", "--policy", "sl1", "--quiet"], capsys)
    assert (code, err) == (0, "")


def test_a_terminal_shows_the_stages_while_the_audit_runs(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    assert isinstance(progress_for(quiet=True, console=terminal), StderrProgress)
    assert isinstance(progress_for(quiet=False, console=Console(file=io.StringIO())), StderrProgress)
    monkeypatch.setattr(
        audit_cli, "progress_factory", lambda quiet: progress_for(quiet=quiet, console=terminal)
    )
    code, out, _ = run(["audit", "requirements.txt", "--no-deps", "--policy", "sl1"], capsys)
    assert code == 0
    shown = screen.getvalue()
    for label in ("reading the input", "resolving: packages", "collecting facts: package lookups"):
        assert label in shown
    assert "\x1b[" not in out  # the display went to its own stream, the summary stays plain
def test_the_policy_and_allowlist_are_read_once_per_audit(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "allowlist.toml").write_text("version = 1\n")
    read: list[str] = []

    def counted(load: Callable[..., T]) -> Callable[..., T]:
        def wrapper(*args: object) -> T:
            read.append(load.__name__)
            return load(*args)

        return wrapper

    import supplychain.allowlist.reader as reader
    import supplychain.policy.loader as loader

    # Patched where they live: supplychain.audit imports them when it reads the lists.
    monkeypatch.setattr(loader, "load_policy", counted(loader.load_policy))
    monkeypatch.setattr(reader, "load_allowlist", counted(reader.load_allowlist))
    args = ["audit", "requirements.txt", "--no-deps", "--policy", "sl1", "--allowlist", "allowlist.toml"]
    code, out, err = run(args, capsys)
    assert code == 0, out + err
    assert sorted(read) == ["load_allowlist", "load_policy"]


def _not_allowlisted(out: str) -> set[str]:
    document = json.loads(out)
    return {f["package"]["name"] for f in document["findings"] if f["rule"] == "not-allowlisted"}


def test_audit_reads_the_allowlist_that_allowlist_init_wrote_and_names_it(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: ``allowlist init`` writes ./allowlist.toml; a later ``audit`` must read it and say so."""
    audit = ["audit", "requirements.txt", "--no-deps", "--policy", "sl4"]
    code, out, err = run([*audit, "--format", "json"], capsys)
    assert json.loads(out)["allowlist"] is None, err
    assert _not_allowlisted(out) == {"requests", "urllib3", "certifi", "idna"}
    assert "Allowlist: none" in run(audit, capsys)[1].splitlines()

    monkeypatch.setattr(allowlist_cli, "CLOCK", FixedClock(FETCHED))
    code, out, err = run(["allowlist", "init", "requirements.txt", "--no-deps"], capsys)
    assert (code, out) == (0, "allowlist.toml: 4 baseline entries added for 4 packages\n"), err

    code, out, err = run([*audit, "--format", "json"], capsys)
    assert json.loads(out)["allowlist"] == "allowlist.toml", err
    assert _not_allowlisted(out) == set()
    assert "Allowlist: allowlist.toml" in run(audit, capsys)[1].splitlines()
