"""What a running audit shows on stderr: rich progress on a terminal, warnings only elsewhere.

A cold audit of a large lock takes a minute or more; without a display it looked hung. Logs, pipes
and ``--quiet`` (the pre-commit hook) get no display: only warnings, as they happen.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console

from supplychain.progress import NullProgress

if TYPE_CHECKING:
    from supplychain.cli.live_progress import RichProgress


class StderrProgress(NullProgress):
    """Warnings go to stderr as they happen; stages and counts stay quiet (logs, pipes, --quiet)."""

    def warn(self, message: str) -> None:
        """``warning: …`` on stderr at once, so a log shows it next to what caused it."""
        sys.stderr.write(f"warning: {message}\n")

    def __enter__(self) -> StderrProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        return None


def progress_for(*, quiet: bool, console: Console | None = None) -> RichProgress | StderrProgress:
    """Rich progress when stderr is an interactive terminal and the run is not ``--quiet``."""
    console = console or Console(stderr=True, highlight=False)
    if quiet or not console.is_terminal or console.is_dumb_terminal:
        return StderrProgress()
    from supplychain.cli.live_progress import RichProgress  # rich's live display: a person is watching

    return RichProgress(console)
