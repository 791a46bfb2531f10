"""The live display of a running audit on a terminal: one line per stage (``display.progress_for``)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

# stage name (as the pipeline reports it) -> what the display calls it and what it counts
STAGES = {
    "input": "reading the input",
    "resolve": "resolving: packages",
    "enrich": "collecting facts: package lookups",
    "policy": "evaluating the policy",
}


class _Count(MofNCompleteColumn):
    """``12/40``; ``12`` while the total is unknown (resolving); nothing for a stage that counts nothing."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text(str(int(task.completed)) if task.completed else "", style="progress.download")
        if not task.total:
            return Text("")
        return super().render(task)


class RichProgress:
    """One line per stage with its count and time, drawn while the audit runs and cleared after.

    The resolver calls ``advance`` from its worker thread; rich's Progress takes a lock per update.
    """

    def __init__(self, console: Console) -> None:
        self._display = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("{task.description}"),
            BarColumn(),
            _Count(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._tasks: dict[str, TaskID] = {}

    def stage(self, name: str, total: int | None = None) -> None:
        """Start ``name`` (ending the stages before it), or set its total when it is already running."""
        if name in self._tasks:
            if total is not None:
                self._display.update(self._tasks[name], total=total)
            return
        for task in self._tasks.values():
            self._finish(task)
        self._tasks[name] = self._display.add_task(STAGES.get(name, name), total=total)

    def advance(self, name: str, amount: int = 1) -> None:
        """Count ``amount`` more for ``name``, starting the stage if it was never announced."""
        if name not in self._tasks:
            self.stage(name)
        self._display.advance(self._tasks[name], amount)

    def warn(self, message: str) -> None:
        """Print above the live display, so the warning stays when the transient bars are cleared."""
        self._display.console.print(Text(f"warning: {message}"))

    def _finish(self, task: TaskID) -> None:
        state = next(each for each in self._display.tasks if each.id == task)
        if not state.finished:  # a stage without a total (input, resolve) ends at its count
            self._display.update(task, total=state.completed, completed=state.completed)

    def __enter__(self) -> RichProgress:
        self._display.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._display.stop()
