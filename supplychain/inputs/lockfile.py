"""Shared edge helpers for the lock-file readers: located errors, typed getters, hashes, roots."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidName, NormalizedName, canonicalize_name

from supplychain.errors import InputError
from supplychain.files import read_capped
from supplychain.inputs.validate import check_name
from supplychain.locate import line_of
from supplychain.model import DeclaredRequirement, Location, PackageRef, normalize
from supplychain.tomlfile import MAX_TOML_BYTES, load_toml, loads_toml_cached

_HEX = re.compile(r"^[0-9a-fA-F]+$")


def load_lock(path: Path) -> tuple[str, dict[str, Any]]:
    """Text and parsed TOML of a lock; a file cut short is located at its last line, not nowhere."""
    file = str(path)
    try:
        data = read_capped(path, MAX_TOML_BYTES)
        if data is None:
            raise InputError(f"file is larger than {MAX_TOML_BYTES} bytes", location=at(file, None))
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text (binary file?)", location=at(file, None)) from None
    except OSError as problem:
        raise InputError(f"cannot read: {problem.strerror}", location=at(file, None)) from None
    try:
        return text, loads_toml_cached(text, file)
    except InputError as problem:
        if problem.location is None or problem.location.line is not None:
            raise
        # tomllib reports "(at end of document)" without a line: the document's last line it is
        raise InputError(problem.message, location=at(file, text.rstrip("\n").count("\n") + 1)) from None


def at(file: str, line: int | None) -> Location:
    """A location in a user's file, for errors and findings."""
    return Location(file=file, line=line)


def need_str(entry: Mapping[str, Any], key: str, where: Location, what: str) -> str:
    """A required non-empty string field; its absence is the user's malformed file (exit 2)."""
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{what} has no {key!r} string", location=where)
    return value


def opt_str(entry: Mapping[str, Any], key: str, where: Location, what: str) -> str | None:
    """An optional string field; a value of another type is a malformed file (exit 2)."""
    value = entry.get(key)
    if value is not None and not isinstance(value, str):
        raise InputError(f"{what}: {key!r} must be a string, not {type(value).__name__}", location=where)
    return value


def need_list(entry: Mapping[str, Any], key: str, where: Location, what: str) -> list[Any]:
    """An array field (absent: empty); another type is a malformed file (exit 2)."""
    value = entry.get(key, [])
    if not isinstance(value, list):
        raise InputError(f"{what}: {key!r} must be an array, not {type(value).__name__}", location=where)
    return value


def need_table(entry: Mapping[str, Any], key: str, where: Location, what: str) -> dict[str, Any]:
    """A table field (absent: empty); another type is a malformed file (exit 2)."""
    value = entry.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"{what}: {key!r} must be a table, not {type(value).__name__}", location=where)
    return value


def package_ref(name: str, version: str, where: Location) -> PackageRef:
    """A validated PackageRef; a name PEP 508 or a version PEP 440 cannot parse is a located input error.

    The name is checked here because it later becomes part of index and API URLs: ``-`` or ``../x``
    from a lock file must be refused, not queried.
    """
    valid_name(name, where)
    try:
        return PackageRef.of(name, version)
    except ValueError:  # InvalidVersion, or an integer past int()'s 4,300-digit limit
        shown = version if len(version) <= 60 else f"{version[:60]}…"
        raise InputError(f"package {name!r} has an invalid version {shown!r}", location=where) from None


def valid_name(name: str, where: Location) -> NormalizedName:
    """``name`` PEP 503-normalised; one PEP 508 forbids (``-``, ``../x``) or absurdly long is refused."""
    check_name(name, where)
    try:
        return canonicalize_name(name, validate=True)
    except InvalidName:
        raise InputError(f"invalid package name {name!r}", location=where) from None


def marker(text: str | None, where: Location, what: str) -> str | None:
    """The marker, normalised by packaging, or None; an unparsable marker is an input error."""
    if text is None or not text.strip():
        return None
    try:
        return _normalized_marker(text)
    except InvalidMarker as problem:
        reason = str(problem).splitlines()[0]
        raise InputError(f"{what}: invalid marker {text!r}: {reason}", location=where) from None


@functools.lru_cache(maxsize=4096)
def _normalized_marker(text: str) -> str:
    """packaging's spelling of a marker: a lock repeats a few dozen markers over thousands of edges."""
    return str(Marker(text))


def requirement(text: str, where: Location, what: str) -> Requirement:
    """A PEP 508 requirement; an invalid one is the user's error with file and line, not a crash."""
    try:
        return Requirement(text)
    except InvalidRequirement as problem:
        reason = str(problem).splitlines()[0]
        raise InputError(f"{what}: invalid requirement {text!r}: {reason}", location=where) from None


def digest(text: object, where: Location, what: str) -> str:
    """``algorithm:hex`` with a lower-case algorithm; anything else is an input error."""
    if not isinstance(text, str):
        raise InputError(f"{what}: a hash must be a string", location=where)
    algorithm, sep, value = text.partition(":")
    if not sep:
        algorithm, sep, value = text.partition("=")
    if not sep or not algorithm or not _HEX.match(value):
        raise InputError(f"{what}: hash {text!r} is not 'algorithm:hex'", location=where)
    return f"{algorithm.lower()}:{value.lower()}"


def sorted_hashes(hashes: Iterable[str]) -> tuple[str, ...]:
    """Hashes in one order without repeats, so equal locks compare equal."""
    return tuple(sorted(set(hashes)))


def and_marker(first: str | None, second: str | None) -> str | None:
    """Both markers must hold (a dependency's marker within its parent's)."""
    if not first:
        return second
    if not second:
        return first
    return f"({first}) and ({second})"


def roots_from_pyproject(
    lock_path: Path, extras: tuple[str, ...] | None, groups: tuple[str, ...] | None
) -> tuple[DeclaredRequirement, ...] | None:
    """The names a sibling pyproject.toml declares (PEP 621, PEP 735, Poetry, PDM); None without one.

    ``extras`` / ``groups`` None: every one the pyproject declares (a lock's universal scope).

    Only names and extras matter: the lock already decided versions, so specifiers are not re-checked.
    """
    pyproject = lock_path.parent / "pyproject.toml"
    if not pyproject.is_file():
        return None
    data = load_toml(pyproject)
    text = pyproject.read_text(encoding="utf-8")
    file = str(pyproject)
    found: list[DeclaredRequirement] = []

    def add(spec: str) -> None:
        try:
            parsed = Requirement(spec)
        except InvalidRequirement:
            return  # the pyproject reader reports these; here only names are wanted
        location = Location(file=file, line=line_of(text, spec))
        found.append(DeclaredRequirement(requirement=parsed, location=location))

    project = data.get("project", {})
    if isinstance(project, dict):
        for spec in _strings(project.get("dependencies")):
            add(spec)
        optional = project.get("optional-dependencies", {})
        if isinstance(optional, dict):
            for extra in sorted(optional) if extras is None else extras:
                for spec in _strings(optional.get(extra)):
                    add(spec)
    dependency_groups = data.get("dependency-groups", {})
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    pdm_dev = tool.get("pdm", {}).get("dev-dependencies", {}) if isinstance(tool.get("pdm"), dict) else {}
    for table in (dependency_groups, pdm_dev):
        if isinstance(table, dict):
            for group in sorted(table) if groups is None else groups:
                for spec in _strings(table.get(group)):
                    add(spec)
    for name in _poetry_names(tool.get("poetry", {}), groups):
        add(name)
    return tuple(found)


def _poetry_names(poetry: object, groups: tuple[str, ...] | None) -> list[str]:
    """Names under Poetry's dependency tables (main, non-optional or selected groups, legacy dev)."""
    if not isinstance(poetry, dict):
        return []
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    poetry_groups = poetry.get("group", {})
    if isinstance(poetry_groups, dict):
        tables += [
            group.get("dependencies", {})
            for name, group in poetry_groups.items()
            if isinstance(group, dict)
            and (groups is None or name in groups or not group.get("optional", False))
        ]
    return [
        name for table in tables if isinstance(table, dict) for name in table if normalize(name) != "python"
    ]


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
