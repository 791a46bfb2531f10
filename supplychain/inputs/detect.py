"""Choose the reader for a path (by name, then by content) and read it: the one entry point to ``inputs``.

With no path, the project in the working directory is read (a lock file first, since it is what gets
installed), else the running interpreter's own environment (a conda one with its ``conda-meta``).
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from supplychain.errors import InputError, UsageError
from supplychain.inputs import INPUTS, InputOptions, reader
from supplychain.inputs.site_packages import conda_prefix, is_environment, running_prefix
from supplychain.model import InputSet, Location

# Project files in the order a project directory is read: what is installed beats what is declared.
PROJECT_FILES: tuple[tuple[str, str], ...] = (
    ("uv.lock", "uv-lock"),
    ("pylock.toml", "pylock"),
    ("poetry.lock", "poetry-lock"),
    ("pdm.lock", "pdm-lock"),
    ("Pipfile.lock", "pipfile-lock"),
    ("conda-lock.yml", "conda-lock"),
    ("pyproject.toml", "pyproject"),
    ("requirements.txt", "requirements"),
    ("environment.yml", "environment-yml"),
    ("environment.yaml", "environment-yml"),
)
# File-name patterns → reader id; matched case-sensitively against the name only, first match wins.
_NAME_PATTERNS: tuple[tuple[str, str], ...] = (
    *((name, input_id) for name, input_id in PROJECT_FILES if name != "requirements.txt"),
    ("pylock.*.toml", "pylock"),
    ("conda-lock.yaml", "conda-lock"),
    ("*.conda-lock.yml", "conda-lock"),
    ("*requirements*.txt", "requirements"),
    ("*.in", "requirements"),
)
_DIRECTORY_INPUTS = ("installed", "conda-meta")  # read a directory, never a file in it
_NOT_INPUTS = frozenset({"MANIFEST.in", "setup.py", "setup.cfg"})  # look like inputs by name, never are
_SNIFF_ORDER: tuple[str, ...] = (
    "pyproject",
    "requirements",
    *(input_id for input_id in INPUTS if input_id not in {"pyproject", "requirements"}),
)


def load_input(path: Path | None, *, input_format: str | None, options: InputOptions) -> InputSet:
    """Read ``path`` with ``input_format`` or the detected reader; None: the cwd project, else this env."""
    if input_format is not None and input_format not in INPUTS:
        raise UsageError(f"--input-format {input_format!r} is not one of: {', '.join(INPUTS)}")
    if path is None:
        path, kind = _default_input(Path.cwd(), input_format)
        return reader(kind).read(path, options)
    try:
        exists = path.exists()
    except OSError as problem:  # e.g. permission denied on a parent directory
        raise InputError(
            f"cannot read {path}: {problem.strerror}", location=Location(file=str(path))
        ) from None
    if not exists:
        raise InputError(f"{path} does not exist", location=Location(file=str(path)))
    if path.is_dir() and input_format is None and not _environment(path):
        found = _project_file(path)
        if found is not None:
            path, input_format = found
    elif path.is_dir() and input_format not in (None, *_DIRECTORY_INPUTS):
        path = _file_in(path, input_format)
    return reader(input_format or detect_kind(path)).read(path, options)


def detect_kind(path: Path) -> str:
    """The INPUTS id for an existing ``path``; InputError when no reader recognises it."""
    if path.is_dir():
        if conda_prefix(path) is not None:  # before "installed": its site-packages is only part of it
            return "conda-meta"
        if is_environment(path):
            return "installed"
        found = _project_file(path)
        if found is None:
            raise InputError(
                f"{path} is a directory with no lock file, pyproject.toml or requirements.txt, "
                "and is not a virtual environment, conda environment or site-packages",
                location=Location(file=str(path)),
            )
        return found[1]
    if path.name in _NOT_INPUTS:
        raise _unknown(path)
    for pattern, input_id in _NAME_PATTERNS:
        if fnmatch.fnmatchcase(path.name, pattern) or fnmatch.fnmatchcase(path.name.lower(), pattern):
            return input_id
    # Text formats first: their sniffers reject lock files (``[[package]]``, JSON), and asking them
    # first keeps the lock readers' imports off the common path.
    for input_id in sorted(set(INPUTS) - set(_DIRECTORY_INPUTS), key=_SNIFF_ORDER.index):
        if reader(input_id).detect(path):
            return input_id
    raise _unknown(path)


def _environment(path: Path) -> bool:
    """An installed environment (conda, virtual, or a site-packages directory), not a project."""
    return conda_prefix(path) is not None or is_environment(path)


def _unknown(path: Path) -> InputError:
    return InputError(
        f"cannot tell what kind of input {path.name} is; use --input-format one of: {', '.join(INPUTS)}",
        location=Location(file=str(path)),
    )


def project_file(directory: Path) -> Path | None:
    """The project file an audit of ``directory`` reads (a lock before its pyproject.toml), if any."""
    found = _project_file(directory)
    return found[0] if found is not None else None


def _project_file(directory: Path) -> tuple[Path, str] | None:
    for name, input_id in PROJECT_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate, input_id
    pylocks = sorted(directory.glob("pylock.*.toml"))
    return (pylocks[0], "pylock") if pylocks else None


def _file_in(directory: Path, input_format: str | None) -> Path:
    """A directory given with ``--input-format``: that format's usual file name inside it."""
    names = [name for name, input_id in PROJECT_FILES if input_id == input_format]
    for name in names:
        if (directory / name).is_file():
            return directory / name
    if input_format == "pylock" and (pylocks := sorted(directory.glob("pylock.*.toml"))):
        return pylocks[0]
    expected = names[0] if names else "a file"
    raise InputError(
        f"{directory} is a directory; --input-format {input_format} needs {expected} in it",
        location=Location(file=str(directory)),
    )


def _default_input(cwd: Path, input_format: str | None) -> tuple[Path, str]:
    """No path given: the working directory's project files, else the running environment."""
    if input_format == "installed":
        return running_prefix(), "installed"
    if input_format is not None:
        return _file_in(cwd, input_format), input_format
    prefix = running_prefix()  # an activated conda environment is read with its conda-meta records
    return _project_file(cwd) or (prefix, "conda-meta" if conda_prefix(prefix) is not None else "installed")
