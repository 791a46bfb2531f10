"""The console entry run inside the test process: exit code and output, as a subprocess would give.

A subprocess per case cost 1.5-2 s of interpreter start and imports; the hostile-input corpora have
dozens of cases. A few tests keep a real subprocess to prove the console script path itself.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from unittest import mock

from supplychain.cli import main


def run_in_process(
    args: list[str], cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``supplychain ARGS`` in ``cwd``, as ``subprocess.run`` would report it; an escaping exception
    (what a real process would print as a traceback with exit 1) fails the test instead."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.chdir(cwd), mock.patch.dict(os.environ, env or {}):
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                main(args)
        except SystemExit as exited:
            code = exited.code if isinstance(exited.code, int) else (0 if exited.code is None else 1)
    return subprocess.CompletedProcess(["supplychain", *args], code, out.getvalue(), err.getvalue())


def run_subprocess(
    args: list[str], cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m supplychain ARGS`` in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "supplychain", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=False,
    )
