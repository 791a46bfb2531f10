"""Input formats: each reader turns one kind of file into a RequirementSet or a LockedSet, running nothing.

Readers are registered by a stable id and imported lazily, so start-up pays only for the one used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from supplychain.model import InputSet
from supplychain.target import Scope, Target


@dataclass(frozen=True, slots=True, kw_only=True)
class InputOptions:
    """What selects the requirements within a file: target markers, extras and groups."""

    target: Target
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    # What a lock reader selects; None: exactly ``target``, ``extras`` and ``groups``. Requirement
    # inputs ignore it: they are resolved for the one target.
    scope: Scope | None = None

    @property
    def lock_scope(self) -> Scope:
        """The scope a lock reader selects packages by."""
        return self.scope or Scope(self.target, extras=self.extras, groups=self.groups)


class InputReader(Protocol):
    """One input format: recognise a file of its kind, and read it into declared requirements."""

    id: str

    def detect(self, path: Path) -> bool:
        """Is ``path`` (an existing file or directory) of this reader's kind? Cheap: name and sniffing."""
        ...

    def read(self, path: Path, options: InputOptions) -> InputSet:
        """Parse ``path``; malformed content raises InputError with file and line."""
        ...


def _uv_lock() -> type[InputReader]:
    from supplychain.inputs.uv_lock import UvLockInput

    return UvLockInput


def _poetry_lock() -> type[InputReader]:
    from supplychain.inputs.poetry_lock import PoetryLockInput

    return PoetryLockInput


def _pdm_lock() -> type[InputReader]:
    from supplychain.inputs.pdm_lock import PdmLockInput

    return PdmLockInput


def _pipfile_lock() -> type[InputReader]:
    from supplychain.inputs.pipfile_lock import PipfileLockInput

    return PipfileLockInput


def _pylock() -> type[InputReader]:
    from supplychain.inputs.pylock import PylockInput

    return PylockInput


def _conda_lock() -> type[InputReader]:
    from supplychain.inputs.conda_lock import CondaLockInput

    return CondaLockInput


def _environment_yml() -> type[InputReader]:
    from supplychain.inputs.environment_yml import EnvironmentYmlInput

    return EnvironmentYmlInput


def _conda_meta() -> type[InputReader]:
    from supplychain.inputs.conda_meta import CondaMetaInput

    return CondaMetaInput


def _pyproject() -> type[InputReader]:
    from supplychain.inputs.pyproject import PyprojectInput

    return PyprojectInput


def _requirements_txt() -> type[InputReader]:
    from supplychain.inputs.requirements_txt import RequirementsTxtInput

    return RequirementsTxtInput


def _installed() -> type[InputReader]:
    from supplychain.inputs.installed import InstalledEnvInput

    return InstalledEnvInput


# id -> the reader's class, imported on first use; order is detection order (most specific first).
INPUTS: Mapping[str, Callable[[], type[InputReader]]] = {
    "uv-lock": _uv_lock,
    "poetry-lock": _poetry_lock,
    "pdm-lock": _pdm_lock,
    "pipfile-lock": _pipfile_lock,
    "pylock": _pylock,
    "conda-lock": _conda_lock,
    "pyproject": _pyproject,
    "requirements": _requirements_txt,
    "environment-yml": _environment_yml,
    "conda-meta": _conda_meta,
    "installed": _installed,
}


def reader(input_id: str) -> InputReader:
    """A reader of the kind registered as ``input_id`` (one of ``INPUTS``)."""
    return INPUTS[input_id]()()
