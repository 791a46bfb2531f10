"""The console entry leaves with os._exit: every byte of output and the exit code must survive it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from supplychain.cli import main


def entry(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "supplychain", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
        check=False,
    )


def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    return int(done.value.code or 0), capsys.readouterr().out


LOCK = str(Path(__file__).parent / "fixtures" / "inputs" / "locks" / "nnsight" / "uv.lock")


@pytest.mark.parametrize(
    "args",
    [
        ("policy", "show", "sl5"),
        ("tree", LOCK, "--format", "json", "--offline"),  # one big write: its tail stays buffered
    ],
)
def test_output_is_complete_and_the_code_kept(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    code, expected = in_process(capsys, *args)
    done = entry(*args)
    assert (done.returncode, done.stdout) == (code, expected)
    assert len(done.stdout) > 500


def test_bad_input_exits_2_with_its_message(tmp_path: Path) -> None:
    done = entry("tree", str(tmp_path / "missing.txt"))
    assert done.returncode == 2
    assert "missing.txt" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_closed_pipe_is_not_a_traceback() -> None:
    command = f"{sys.executable} -m supplychain policy show sl5 | head -c 10"
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout == 'level = "s'
    assert "Traceback" not in done.stderr


# A fresh interpreter reports which modules a command loaded: start-up cost is what it imports.
IMPORTED = """
import sys
from supplychain.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(" ".join(sorted(sys.modules)))
"""


def imported_by(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", IMPORTED, *args], capture_output=True, text=True, timeout=120, check=False
    )
    return set(done.stdout.split())


def test_version_imports_no_command_and_no_http_stack() -> None:
    loaded = imported_by("--version")
    assert "supplychain.cli" in loaded
    assert not {m for m in loaded if m.startswith(("supplychain.cli.audit", "supplychain.audit"))}
    assert not {"httpx", "networkx", "rich.progress"} & loaded


def test_an_offline_audit_of_a_clean_lock_loads_no_yaml_cvss_or_report_renderer(tmp_path: Path) -> None:
    loaded = imported_by("audit", LOCK, "--offline", "--quiet", "--policy", "sl3")  # provenance read
    assert "supplychain.audit" in loaded  # the audit ran
    unneeded = {"yaml", "cvss", "jinja2", "cyclonedx", "supplychain.report.html", "supplychain.report.sarif"}
    unneeded |= {"sigstore", "pypi_attestations"}  # nothing to verify: the provenance facts are cached
    assert not unneeded & loaded, unneeded & loaded
