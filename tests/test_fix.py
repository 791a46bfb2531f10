"""``supplychain fix`` on recorded index data: a passing version per failing package, resolved together.

The environment pins the five packages of requests' real dependency tree. The index is the recorded
resolution index (``tests/fixtures/resolve``: real Simple pages and wheel METADATA), PyPI JSON comes
from ``tests/fixtures/pypi`` and advisories are the real requests records served by the OSV
emulator. One hand-made advisory, named as such, affects every idna version: no version can pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.resolve.support import HandIndex
from tests.resolve.test_resolve_recorded import serve_recorded
from tests.support.osv_api import OsvApi
from tests.support.server import ReplayServer, Reply
from tests.test_audit_baseline import replay_pypi
from tests.test_audit_cli import run
from tests.test_audit_e2e import _records

PINS = "requests==2.25.1\nurllib3==2.7.0\nidna==3.17\ncertifi==2026.5.20\ncharset-normalizer==3.4.7\n"
TARGET = ["--python-version", "3.11", "--platform", "x86_64-manylinux_2_28"]
HAND_MADE_IDNA = {  # hand-made: an advisory with no fixed version, so no idna version passes SL2
    "id": "HAND-2026-0001",
    "modified": "2026-11-20T00:00:00Z",
    "published": "2026-01-01T00:00:00Z",
    "summary": "hand-made advisory affecting every idna version",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "idna"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
        }
    ],
}


@pytest.fixture
def project(server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    serve_recorded(server)
    recorded = server.handlers.pop()

    def index_only(method: str, path: str, body: bytes) -> Reply | None:
        """The recorded index answers Simple pages and files; the JSON API comes from the PyPI fixtures."""
        return recorded(method, path, body) if path.startswith(("/simple/", "/files/")) else None

    server.handlers.append(index_only)
    replay_pypi(server, monkeypatch, tmp_path)
    (tmp_path / "requirements.txt").write_text(PINS)
    return tmp_path


def test_fix_proposes_a_passing_version_that_resolves_with_the_other_pins(
    project: Path, server: ReplayServer, capsys: pytest.CaptureFixture[str]
) -> None:
    OsvApi(_records()).install(server)
    code, out, err = run(
        ["audit", "requirements.txt", "--no-deps", "--policy", "sl2", *TARGET, "--quiet"], capsys
    )
    assert code == 1, out + err  # requests 2.25.1 fails SL2 on its advisories
    code, out, err = run(
        ["fix", "requirements.txt", "--no-deps", "--policy", "sl2", *TARGET, "--apply"], capsys
    )
    assert "  requests 2.25.1 -> 2.34.2" in out, out + err
    # GHSA-j8r2-6x86-q33q (PYSEC-2023-74) has no severity: high, it fails SL2; the medium ones only warn
    assert "      clears   vulnerability: GHSA-j8r2-6x86-q33q (unknown) affects requests==2.25.1" in out
    assert "remains" not in out
    assert "resolution: the environment resolves with these versions" in out
    assert "requirements.txt:1: requests==2.25.1 -> requests==2.34.2" in out
    assert code == 0, out + err
    assert (project / "requirements.txt").read_text() == PINS.replace("requests==2.25.1", "requests==2.34.2")
    code, out, _ = run(
        ["audit", "requirements.txt", "--no-deps", "--policy", "sl2", *TARGET, "--quiet"], capsys
    )
    assert code == 0, out  # the applied plan passes SL2


def test_a_package_with_no_passing_version_is_reported_as_such(
    project: Path, server: ReplayServer, capsys: pytest.CaptureFixture[str]
) -> None:
    OsvApi([*_records(), HAND_MADE_IDNA]).install(server)
    code, out, err = run(["fix", "requirements.txt", "--no-deps", "--policy", "sl2", *TARGET], capsys)
    assert code == 1, out + err
    assert "  idna 3.17 (no passing version)" in out
    assert "no passing version exists: the index offers no version newer than 3.17" in out
    assert "  requests 2.25.1 -> 2.34.2" in out  # the other fix still stands and resolves
    assert "resolution: the environment resolves with these versions" in out
    assert (project / "requirements.txt").read_text() == PINS  # without --apply nothing is written


def test_apply_on_a_lock_prints_the_lock_tool_command_and_leaves_the_lock_alone() -> None:
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    from supplychain.cli.fix import apply_plan
    from supplychain.fix import FixPlan, PackageFix

    fix = PackageFix(
        name=canonicalize_name("requests"),
        current=Version("2.25.1"),
        proposed=Version("2.34.2"),
        clears=(),
        remains=(),
        checked=(Version("2.34.2"),),
    )
    plan = FixPlan(
        input_kind="uv-lock", input_path="uv.lock", policy="sl2", fixes=(fix,), resolved=True, resolution=""
    )
    assert apply_plan(plan) == (
        "run, to update the lock with the tool that wrote it:\n  uv lock --upgrade-package requests==2.34.2\n"
    )


def _hand_made_advisory(record_id: str, name: str, fixed: str | None) -> dict[str, object]:
    events: list[dict[str, str]] = [{"introduced": "0"}, *([{"fixed": fixed}] if fixed else [])]
    return {
        "id": record_id,
        "modified": "2026-11-20T00:00:00Z",
        "published": "2026-01-01T00:00:00Z",
        "summary": f"hand-made advisory for {name}",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
    }


def test_an_upgrade_that_conflicts_with_another_pin_is_withdrawn_and_said_why(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hand-made index and advisories: alpha's fix needs beta>=2 while beta stays pinned at 1.0;
    every gamma version is affected, so gamma 1.1 is judged and still fails."""
    index = HandIndex(server)
    index.wheel("alpha", "1.0", ["beta"])
    index.wheel("alpha", "2.0", ["beta>=2"])
    index.wheel("beta", "1.0")
    index.wheel("beta", "2.0")
    index.wheel("gamma", "1.0")
    index.wheel("gamma", "1.1")
    OsvApi(
        [_hand_made_advisory("HAND-A", "alpha", "2.0"), _hand_made_advisory("HAND-G", "gamma", None)]
    ).install(server)
    replay_pypi(server, monkeypatch, tmp_path)
    (tmp_path / "requirements.txt").write_text("alpha==1.0\nbeta==1.0\ngamma==1.0\n")
    code, out, err = run(["fix", "requirements.txt", "--no-deps", "--policy", "sl2", "--apply"], capsys)
    assert code == 1, out + err
    assert "  alpha 1.0 (withdrawn: 2.0 passes but conflicts with another pin)" in out
    assert (
        "remains  vulnerability: HAND-A (unknown) affects alpha==1.0: hand-made advisory for alpha: " in out
    )
    assert ": alpha 2.0 conflicts with another pin: " in out
    assert "  gamma 1.0 (no passing version)" in out
    assert "no passing version exists: each of 1.1 still fails it or fails a new rule" in out
    assert "resolution failed: alpha 2.0 conflicts with another pin" in out
    assert (
        tmp_path / "requirements.txt"
    ).read_text() == "alpha==1.0\nbeta==1.0\ngamma==1.0\n"  # nothing to apply
