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
