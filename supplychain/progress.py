"""Progress reporting as a delegate with no-op defaults; the CLI plugs in rich, tests record events."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """What the core reports to while it runs; the core only calls it, so a UI or a test can listen."""

    def stage(self, name: str, total: int | None = None) -> None:
        """A pipeline stage starts; ``total`` items when known."""
        ...

    def advance(self, name: str, amount: int = 1) -> None:
        """``amount`` more items of stage ``name`` are done."""
        ...

    def warn(self, message: str) -> None:
        """Something the user should know that does not stop the run."""
        ...


class NullProgress:
    """The default listener: ignores every event, so library callers need no UI."""

    def stage(self, name: str, total: int | None = None) -> None:
        """Ignored."""

    def advance(self, name: str, amount: int = 1) -> None:
        """Ignored."""

    def warn(self, message: str) -> None:
        """Ignored; a caller that must not lose warnings passes RecordingProgress instead."""


class RecordingProgress:
    """Keeps every event, for tests and for the warnings section of reports."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, int | None]] = []
        self.warnings: list[str] = []

    def stage(self, name: str, total: int | None = None) -> None:
        """Record the start as ``("stage", name, total)``."""
        self.events.append(("stage", name, total))

    def advance(self, name: str, amount: int = 1) -> None:
        """Record the step as ``("advance", name, amount)``."""
        self.events.append(("advance", name, amount))

    def warn(self, message: str) -> None:
        """Keep the warning, in order, for the report's warnings section."""
        self.warnings.append(message)
