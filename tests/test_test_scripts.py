"""scripts/test-services says what it installs and why before installing, and never blocks the suite.

It runs against a fake file system (``SUPPLYCHAIN_TEST_SYSROOT``) with ``PATH`` holding only stub
``id`` and ``apt-get`` commands, so no test can reach the real package manager.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SERVICES = ROOT / "scripts" / "test-services"
BASH = shutil.which("bash") or "/bin/bash"
WHY = [
    "scripts/test-services: missing system packages some tests need:",
    "scripts/test-services:   chromium: tests/report/test_html_chromium.py renders the HTML report headless",
    "scripts/test-services:   postgresql: tests/inventory run the inventory against a real PostgreSQL server",
]


def _stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(0o755)


def services(
    tmp_path: Path, *, uid: int, apt_status: int = 0, have: tuple[str, ...] = (), **env: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the script as user ``uid`` on a system holding ``have``; also return the apt-get calls."""
    sysroot, stubs, calls = tmp_path / "root", tmp_path / "bin", tmp_path / "apt-calls"
    for directory in (sysroot, stubs):
        directory.mkdir(exist_ok=True)
    for path in have:
        (sysroot / path).parent.mkdir(parents=True, exist_ok=True)
        (sysroot / path).write_text("")
        (sysroot / path).chmod(0o755)
    _stub(stubs, "id", f'[ "$1" = -u ] && echo {uid}')
    # what the user sees before apt-get runs is on stderr already: apt-get marks its turn there too
    _stub(stubs, "apt-get", f'echo "apt-get $*" >> {calls}; echo "<apt-get $1>" >&2; exit {apt_status}')
    done = subprocess.run(
        [BASH, str(SERVICES)],
        env={"PATH": str(stubs), "SUPPLYCHAIN_TEST_SYSROOT": str(sysroot), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done, calls.read_text().splitlines() if calls.exists() else []


def test_nothing_missing_installs_nothing_and_says_nothing(tmp_path: Path) -> None:
    done, calls = services(tmp_path, uid=0, have=("usr/bin/chromium", "usr/lib/postgresql/17/bin/initdb"))
    assert (done.returncode, done.stdout, done.stderr, calls) == (0, "", "", [])


def test_as_root_it_says_what_and_why_before_installing(tmp_path: Path) -> None:
    done, calls = services(tmp_path, uid=0)
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        *WHY,
        "scripts/test-services: installing them system-wide now: "
        "apt-get install --no-install-recommends chromium postgresql",
        "scripts/test-services: (set SUPPLYCHAIN_TEST_NO_INSTALL=1 to skip this and those tests instead)",
        "<apt-get update>",
        "<apt-get install>",
        "scripts/test-services: installed chromium postgresql",
    ]
    assert calls == [
        "apt-get update -qq",
        "apt-get install -y -qq --no-install-recommends chromium postgresql",
    ]


def test_only_what_is_missing_is_installed(tmp_path: Path) -> None:
    done, calls = services(tmp_path, uid=0, have=("usr/lib/postgresql/15/bin/initdb",))
    assert done.returncode == 0
    assert calls[-1] == "apt-get install -y -qq --no-install-recommends chromium"
    assert "postgresql" not in done.stderr


@pytest.mark.parametrize(
    ("uid", "env", "reason"),
    [
        (
            1000,
            {},
            "not installing them: that needs root and apt-get (Debian); their tests will be skipped.",
        ),
        (
            0,
            {"SUPPLYCHAIN_TEST_NO_INSTALL": "1"},
            "not installing them (SUPPLYCHAIN_TEST_NO_INSTALL=1); their tests will be skipped",
        ),
    ],
)
def test_where_it_cannot_or_must_not_install_it_says_so_and_succeeds(
    tmp_path: Path, uid: int, env: dict[str, str], reason: str
) -> None:
    done, calls = services(tmp_path, uid=uid, **env)
    assert (done.returncode, calls) == (0, [])
    lines = done.stderr.splitlines()
    assert lines[:3] == WHY
    assert lines[3] == f"scripts/test-services: {reason}"


def test_a_failed_installation_is_reported_and_the_suite_goes_on(tmp_path: Path) -> None:
    done, _ = services(tmp_path, uid=0, apt_status=100)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "scripts/test-services: apt-get failed; the tests that need chromium postgresql will be skipped"
    )
    # scripts/test carries on past a failure here (CI runs it through .ci/run on a clean clone)
    test_script = (ROOT / "scripts" / "test").read_text().splitlines()
    (call,) = [line for line in test_script if "scripts/test-services" in line and not line.startswith("#")]
    assert call.startswith("bash scripts/test-services || ")
    assert "bash scripts/test" in (ROOT / ".ci" / "run").read_text()
