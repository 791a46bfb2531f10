"""Input formats: each reader turns one kind of file into a RequirementSet or a LockedSet, running nothing.

Readers are registered by a stable id and imported lazily, so start-up pays only for the one used.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from supplychain.model import InputSet
from supplychain.target import Target


@dataclass(frozen=True, slots=True, kw_only=True)
class InputOptions:
    """What selects the requirements within a file: target markers, extras and groups."""

    target: Target
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


class InputReader(Protocol):
    id: str

    def detect(self, path: Path) -> bool:
        """Is ``path`` (an existing file or directory) of this reader's kind? Cheap: name and sniffing."""
        ...

    def read(self, path: Path, options: InputOptions) -> InputSet:
        """Parse ``path``; malformed content raises InputError with file and line."""
        ...


# id -> "module:Class"; order is detection order (most specific first).
_READERS: dict[str, str] = {
    "uv-lock": "supplychain.inputs.uv_lock:UvLockInput",
    "poetry-lock": "supplychain.inputs.poetry_lock:PoetryLockInput",
    "pdm-lock": "supplychain.inputs.pdm_lock:PdmLockInput",
    "pipfile-lock": "supplychain.inputs.pipfile_lock:PipfileLockInput",
    "pylock": "supplychain.inputs.pylock:PylockInput",
    "pyproject": "supplychain.inputs.pyproject:PyprojectInput",
    "requirements": "supplychain.inputs.requirements_txt:RequirementsTxtInput",
    "installed": "supplychain.inputs.installed:InstalledEnvInput",
}
INPUTS: tuple[str, ...] = tuple(_READERS)


def reader(input_id: str) -> InputReader:
    module, _, cls = _READERS[input_id].partition(":")
    reader_class: type[InputReader] = getattr(importlib.import_module(module), cls)
    return reader_class()
