"""Where an installed environment keeps its distributions: the one answer for detection and reading.

Both purelib and platlib are searched (they differ on lib64 systems such as Fedora and RHEL), each
directory once however many names reach it (a venv's ``lib64`` is often a symlink to ``lib``).
"""

from __future__ import annotations

import sys
import sysconfig
from collections.abc import Iterable
from pathlib import Path

from supplychain.errors import InputError
from supplychain.model import Location

# Distribution records in a site-packages directory: PEP 376/627 ``*.dist-info`` directories and
# legacy ``*.egg-info`` ones (setuptools), or ``*.egg-info`` files (distutils, Debian's python3-*).
RECORD_SUFFIXES = (".dist-info", ".egg-info")
_VENV_LAYOUTS = (
    "lib/python*/site-packages",
    "lib64/python*/site-packages",
    "lib/pypy*/site-packages",
    "Lib/site-packages",
)


def running_prefix() -> Path:
    """The running interpreter's environment, as a path ``site_packages_of`` understands."""
    return Path(sys.prefix)


def running_site_packages() -> list[Path]:
    """The running interpreter's purelib and platlib, each once, those that exist."""
    paths = sysconfig.get_paths()
    return _unique(Path(paths[key]) for key in ("purelib", "platlib"))


def site_packages_of(path: Path) -> list[Path]:
    """The site-packages directories ``path`` stands for, searched in this order.

    The running interpreter's prefix → its purelib and platlib; a venv (has ``pyvenv.cfg``) → every
    site-packages it holds; any other directory is taken as a site-packages directory itself.
    """
    if _same(path, running_prefix()):
        return running_site_packages()
    if (path / "pyvenv.cfg").is_file():
        found = prefix_site_packages(path)
        if not found:
            raise InputError(
                "virtual environment has no site-packages directory", location=Location(file=str(path))
            )
        return found
    return [path]


def prefix_site_packages(prefix: Path) -> list[Path]:
    """Every site-packages directory under an environment's prefix (a venv's or a conda environment's)."""
    return _unique(sorted(found for layout in _VENV_LAYOUTS for found in prefix.glob(layout)))


def conda_prefix(directory: Path) -> Path | None:
    """The conda environment ``directory`` is (it holds ``conda-meta/``) or whose ``conda-meta`` it is."""
    if directory.name == "conda-meta" and directory.is_dir():
        return directory.parent
    return directory if (directory / "conda-meta").is_dir() else None


def is_environment(directory: Path) -> bool:
    """A virtual environment (``pyvenv.cfg``) or a site-packages directory (a distribution record in it)."""
    if (directory / "pyvenv.cfg").is_file():
        return True
    try:
        return any(child.suffix in RECORD_SUFFIXES for child in directory.iterdir())
    except OSError as problem:
        location = Location(file=str(directory))
        raise InputError(f"cannot list {directory}: {problem.strerror}", location=location) from None


def _same(first: Path, second: Path) -> bool:
    try:
        return first.resolve() == second.resolve()
    except OSError:
        return False


def _unique(paths: Iterable[Path]) -> list[Path]:
    """Existing directories in the given order, each once by its resolved location."""
    seen: set[Path] = set()
    kept: list[Path] = []
    for path in paths:
        resolved = path.resolve()
        if resolved in seen or not path.is_dir():
            continue
        seen.add(resolved)
        kept.append(path)
    return kept
