"""``audit --baseline`` end to end: a real lock and a copy with three changes; every format carries the delta.

The lock is sam-starter-py's real Pipfile.lock (requests 2.25.1 with real advisories). The copy
makes three changes, each with real data: requests upgraded to 2.32.4 (its real hashes), which
fixes three of its four recorded advisories; termcolor 3.1.0 added (a real single-owner project,
recorded in ``tests/fixtures/baseline``); idna 2.10 moved to its real files.pythonhosted.org wheel
URL (a direct URL). Facts replay over loopback; the clock is fixed at the recording time.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest

from supplychain.cli import audit as audit_cli
from supplychain.clock import FixedClock
from supplychain.sources.datastore import DataStore
from tests.policy.recorded import FETCHED
from tests.sources.pypi_support import PYPI_FIXTURES, point_endpoints
from tests.support.osv_api import OsvApi
from tests.support.server import ReplayServer
from tests.test_audit_cli import run
from tests.test_audit_e2e import _records

FIXTURES = Path(__file__).parent / "fixtures"
LOCK = FIXTURES / "inputs" / "locks" / "sam-starter-py" / "Pipfile.lock"
SARIF_SCHEMA = FIXTURES / "report" / "sarif-schema-2.1.0.json"
AUDIT_SCHEMA = Path(__file__).parents[1] / "supplychain" / "report" / "schema" / "audit-1.schema.json"
IDNA_URL = (
    "https://files.pythonhosted.org/packages/a2/38/928ddce2273eaa564f6f50de919327bf3a00f091b5baba8dfa9460f3a8a8/"
    "idna-2.10-py2.py3-none-any.whl"
)
CHANGED = {"requests", "termcolor", "idna"}


def changed_lock() -> str:
    """The real lock with the three changes (real versions, hashes and URLs from the recorded pages)."""
    lock = json.loads(LOCK.read_text())
    lock["develop"]["requests"] = {
        "hashes": [
            "sha256:27babd3cda2a6d50b30443204ee89830707d396671944c998b5975b031ac2b2c",
            "sha256:27d0316682c8a29834d3264820024b62a36942083d52caf2f14c0591336d3422",
        ],
        "version": "==2.32.4",
    }
    lock["default"]["termcolor"] = {
        "hashes": [
            "sha256:591dd26b5c2ce03b9e43f391264626557873ce1d379019786f99b0c2bee140aa",
            "sha256:6a6dd7fbee581909eeec6a756cff1d7f7c376063b14e4a298dc4980309e55970",
        ],
        "version": "==3.1.0",
    }
    lock["develop"]["idna"] = {
        "file": IDNA_URL,
        "hashes": ["sha256:b97d804b1e9b523befed77c48dacec60e6dcb0b5391d57af6a65a312a90648c0"],
    }
    return json.dumps(lock, indent=4, sort_keys=True) + "\n"


def replay_pypi(server: ReplayServer, monkeypatch: pytest.MonkeyPatch, workdir: Path) -> None:
    """Every endpoint at the replay server (recorded PyPI JSON mounted), the recording's clock and
    top-packages snapshot, and ``workdir`` as the working directory."""
    server.mount("/", PYPI_FIXTURES)
    point_endpoints(monkeypatch, server)
    monkeypatch.setenv("SUPPLYCHAIN_OSV_URL", server.url + "/")
    monkeypatch.setattr(audit_cli, "clock_factory", lambda: FixedClock(FETCHED))
    DataStore(Path(os.environ["SUPPLYCHAIN_DATA_DIR"])).import_path(
        PYPI_FIXTURES / "top-pypi-packages.subset.json"
    )
    monkeypatch.chdir(workdir)


@pytest.fixture
def project(server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    replay_pypi(server, monkeypatch, tmp_path)
    server.mount("/", FIXTURES / "baseline" / "pypi")
    OsvApi(_records()).install(server)
    (tmp_path / "Pipfile.lock").write_text(LOCK.read_text())
    return tmp_path


def _name(finding: dict[str, object]) -> str:
    package = finding["package"]
    return str(package["name"]) if isinstance(package, dict) else ""


FIXED = {"PYSEC-2023-74", "PYSEC-2026-1873", "PYSEC-2026-1872"}  # by 2.32.4; PYSEC-2026-2275 stays


def _advisories(findings: list[dict[str, object]]) -> set[str]:
    """Every id (the advisory's and its aliases) of the vulnerability findings among ``findings``."""
    ids: set[str] = set()
    for finding in findings:
        evidence = finding["evidence"]
        if finding["rule"] == "vulnerability" and isinstance(evidence, dict):
            ids |= {evidence["advisory"], *evidence["aliases"]}
    return ids


def _assert_three_changes(delta: dict[str, object]) -> None:
    assert [c["name"] for c in delta["added"]] == ["termcolor"]  # type: ignore[index, union-attr]
    assert delta["removed"] == []
    changed = {c["name"]: c for c in delta["changed"]}  # type: ignore[index, union-attr]
    assert set(changed) == {"idna", "requests"}
    assert {"version", "hashes"} <= set(changed["requests"]["what"])
    assert changed["requests"]["before"]["version"] == "2.25.1"
    assert changed["requests"]["after"]["version"] == "2.32.4"
    assert "origin" in changed["idna"]["what"]
    assert "version" not in changed["idna"]["what"]
    assert changed["idna"]["after"]["origin"] == {"kind": "url", "url": IDNA_URL}
    new = delta["new_findings"]
    resolved = delta["resolved_findings"]
    assert {_name(f) for f in new} <= CHANGED  # type: ignore[union-attr, arg-type]
    assert {_name(f) for f in resolved} <= CHANGED  # type: ignore[union-attr, arg-type]
    new_rules = {(_name(f), f["rule"]) for f in new}  # type: ignore[union-attr, index]
    assert ("termcolor", "indie-maintained") in new_rules
    assert ("idna", "untrusted-source") in new_rules
    assert _advisories(resolved) >= FIXED  # type: ignore[arg-type]
    assert "PYSEC-2026-2275" not in _advisories(resolved)  # type: ignore[arg-type]
    assert not _advisories(new)  # type: ignore[arg-type]


def test_baseline_report_gives_exactly_the_three_changes_in_every_format(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["audit", "Pipfile.lock", "--policy", "sl3", "--format", "json", "--quiet"], capsys)
    assert code in (1, 3), err
    (project / "before.json").write_text(out)
    (project / "Pipfile.lock").write_text(changed_lock())
    formats = ["--format", "json", "--format", "markdown", "--format", "sarif", "--format", "html"]
    code, out, err = run(
        [
            "audit",
            "Pipfile.lock",
            "--policy",
            "sl3",
            "--baseline",
            "before.json",
            *formats,
            "--output",
            "out",
        ],
        capsys,
    )
    assert code in (1, 3), err
    report = json.loads((project / "out" / "supplychain.json").read_text())
    jsonschema.Draft202012Validator(json.loads(AUDIT_SCHEMA.read_text())).validate(report)
    delta = report["delta"]
    assert delta["baseline"] == "before.json"
    _assert_three_changes(delta)

    # terminal: the short delta section
    assert "Changes against before.json: 1 added, 0 removed, 2 changed;" in out
    assert "  + termcolor 3.1.0 (added)" in out
    assert "  ~ requests 2.25.1 -> 2.32.4 (version, hashes" in out
    assert f"  ~ idna 2.10, now from url {IDNA_URL}" in out

    markdown = (project / "out" / "supplychain.md").read_text()
    assert "### Packages" in markdown
    assert "- termcolor 3.1.0 (added)" in markdown
    assert "### New findings" in markdown
    assert "- `termcolor`" in markdown
    assert "`indie-maintained`" in markdown
    assert "### Resolved findings" in markdown
    assert "GHSA-j8r2-6x86-q33q" in markdown  # PYSEC-2023-74
    assert "| | package | rule |" not in markdown  # the pull-request comment lists the change, not all

    sarif = json.loads((project / "out" / "supplychain.sarif").read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    results = sarif["runs"][0]["results"]
    states = {r["baselineState"] for r in results}
    assert states == {"new", "unchanged", "absent"}
    absent = [r["properties"] for r in results if r["baselineState"] == "absent"]
    assert (
        _advisories([{"rule": "vulnerability", **p} for p in absent if "advisory" in p["evidence"]]) >= FIXED
    )
    new = [r for r in results if r["baselineState"] == "new"]
    assert {r["properties"]["package"] for r in new} <= CHANGED
    assert len(new) == len(delta["new_findings"])
    unchanged = [r for r in results if r["baselineState"] == "unchanged"]
    assert "PYSEC-2026-2275" in _advisories([{"rule": r["ruleId"], **r["properties"]} for r in unchanged])

    html = (project / "out" / "supplychain.html").read_text()
    assert '<section id="delta">' in html
    assert html.count('<span class="badge">NEW</span>') == 2 * len(delta["new_findings"])


def test_fail_on_new_ignores_what_the_baseline_already_had(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["audit", "Pipfile.lock", "--policy", "sl3", "--format", "json", "--quiet"], capsys)
    (project / "before.json").write_text(out)
    assert json.loads(out)["verdict"] != "passed"  # the real lock fails SL3 on its own
    on_new = [
        "audit",
        "Pipfile.lock",
        "--policy",
        "sl3",
        "--baseline",
        "before.json",
        "--fail-on",
        "new",
        "--quiet",
    ]
    code, out, _ = run(on_new, capsys)
    assert code == 0, out
    assert "0 new findings (0 failing)" in out
    (project / "Pipfile.lock").write_text(changed_lock())
    code, out, _ = run(on_new, capsys)
    assert code == 1, out  # the direct URL is a new failure


def _repository(directory: Path, committed: str) -> None:
    """A git repository in ``directory`` whose branch main has one commit holding file ``committed``."""
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    for args in (["init", "-q", "-b", "main"], ["add", committed], ["commit", "-q", "-m", committed]):
        subprocess.run(["git", *identity, *args], cwd=directory, check=True, capture_output=True)


def test_git_ref_baseline_reads_the_committed_lock_without_checkout(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _repository(project, "Pipfile.lock")
    (project / "Pipfile.lock").write_text(changed_lock())
    code, out, err = run(
        ["audit", "Pipfile.lock", "--policy", "sl3", "--baseline", "main", "--format", "json"], capsys
    )
    assert code in (1, 3), err
    delta = json.loads(out)["delta"]
    assert delta["baseline"] == "git main:Pipfile.lock"
    _assert_three_changes(delta)
    assert json.loads((project / "Pipfile.lock").read_text())["develop"]["requests"]["version"] == "==2.32.4"


def test_unknown_ref_is_a_usage_error_naming_it(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _repository(project, "Pipfile.lock")
    code, _, err = run(["audit", "Pipfile.lock", "--baseline", "no-such-ref"], capsys)
    assert code == 2
    assert f"--baseline 'no-such-ref': not an existing report file nor a commit of {project}" in err


def test_a_lock_new_at_the_ref_is_all_added_and_the_project_file_is_found(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "README").write_text("no lock yet\n")
    _repository(project, "README")
    code, out, err = run(["audit", "--policy", "sl3", "--baseline", "main", "--format", "json"], capsys)
    assert code in (1, 3), err
    delta = json.loads(out)["delta"]
    assert delta["baseline"] == "git main:Pipfile.lock (absent)"
    assert len(delta["added"]) == len(json.loads(out)["packages"])
    assert delta["resolved_findings"] == []


def test_a_json_file_that_is_not_a_report_is_an_input_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "other.json").write_text('{"schema": "something-else"}')
    code, _, err = run(["audit", "Pipfile.lock", "--baseline", "other.json"], capsys)
    assert code == 2
    assert "other.json: not a supplychain JSON report (schema audit-1)" in err
