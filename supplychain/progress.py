"""Progress reporting as a delegate with no-op defaults; the CLI plugs in rich, tests record events."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
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
    def stage(self, name: str, total: int | None = None) -> None:
        return None

    def advance(self, name: str, amount: int = 1) -> None:
        return None

    def warn(self, message: str) -> None:
        return None


class RecordingProgress:
    """Keeps every event, for tests and for the warnings section of reports."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, int | None]] = []
        self.warnings: list[str] = []

    def stage(self, name: str, total: int | None = None) -> None:
        self.events.append(("stage", name, total))

    def advance(self, name: str, amount: int = 1) -> None:
        self.events.append(("advance", name, amount))

    def warn(self, message: str) -> None:
        self.warnings.append(message)
