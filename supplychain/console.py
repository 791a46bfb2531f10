"""The console script: a kept result of the same audit when there is one, else the CLI.

Kept apart from ``supplychain.cli`` so that a reused result (``supplychain.result_cache``) is
printed before typer and the pipeline are imported.
"""

from __future__ import annotations

import contextlib
import os
import sys


def run() -> None:
    """``supplychain ...``: replay a kept audit result, or run the command (recording it if eligible)."""
    from supplychain import result_cache

    argv = sys.argv[1:]
    code = result_cache.replay(argv)
    if code is not None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BrokenPipeError, ValueError):
                stream.flush()
        os._exit(code)
    recorder = result_cache.record(argv)

    def finish(exit_code: int) -> None:
        result_cache.stop()
        if recorder is not None:
            recorder.finish(exit_code)

    from supplychain.cli import run as run_cli

    run_cli(on_exit=finish)
