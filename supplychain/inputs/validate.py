"""Checks every reader applies before returning: what parses but would crash a later stage is refused here.

A marker can parse and still be impossible to evaluate (``python_version ~= 'fred'``, a variable
the file's context does not define), a version can parse as a pattern and overflow as a number,
a name can be long enough to break every URL built from it, and a URL can carry a host no URL
parser accepts. Each of these is the user's file at fault: a located error (exit 2), never an
internal error mid-audit and never a silent pass.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar
from urllib.parse import urlsplit

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import Requirement
from packaging.version import Version

from supplychain.errors import InputError
from supplychain.model import DeclaredRequirement, Location, LockedSet, Origin, RequirementSet
from supplychain.target import Target
from supplychain.urls import SafeUrl, scrub

# No real project name comes near this (PyPI's longest are under 100 characters), while index and
# API URLs built from a longer one break HTTP clients' URL limits.
MAX_NAME_LENGTH = 200

InputT = TypeVar("InputT", LockedSet, RequirementSet)


@functools.cache
def _probe(lock_file: bool) -> dict[str, Any]:
    """A complete marker environment: evaluation fails on a marker's own values, not on the target's.

    Every marker variable has the same kind of value on every target (a version for the Python ones,
    a fixed string otherwise), so a marker that evaluates here evaluates on any target.
    """
    env: dict[str, Any] = {**Target.parse("3.12", "x86_64-manylinux_2_28").marker_environment, "extra": ""}
    if lock_file:
        env.update(extras=frozenset(), dependency_groups=frozenset())
    return env


def marker_problem(marker: Marker, *, lock_file: bool = False) -> str | None:
    """Why ``marker`` cannot be evaluated (None when it can); ``lock_file``: PEP 751's context."""
    try:
        if lock_file:
            marker.evaluate(_probe(True), context="lock_file")
        else:
            marker.evaluate(_probe(False))
    except KeyError as problem:  # UndefinedEnvironmentName
        return f"cannot be evaluated: {problem.args[0]!r} is not a marker variable in this file"
    except ValueError as problem:  # UndefinedComparison, or a number past int()'s digit limit
        return f"cannot be evaluated: {_first(problem)}"
    return None


def checked_marker(text: str | None, where: Location, what: str, *, lock_file: bool = False) -> str | None:
    """The marker, normalised by packaging, or None; one that cannot parse or evaluate is an input error."""
    if text is None or not text.strip():
        return None
    normalised, problem = _marker_verdict(text, lock_file)
    if normalised is None:
        raise InputError(f"{what}: invalid marker {text!r}: {problem}", location=where)
    return normalised


@functools.lru_cache(maxsize=8192)
def _marker_verdict(text: str, lock_file: bool) -> tuple[str | None, str | None]:
    """(normalised marker, None), or (None, why not): a lock repeats its markers hundreds of times."""
    try:
        parsed = Marker(text)
    except InvalidMarker as problem:
        return None, str(problem).splitlines()[0]
    unusable = marker_problem(parsed, lock_file=lock_file)
    return (None, unusable) if unusable is not None else (str(parsed), None)


def check_name(name: str, where: Location) -> None:
    """Refuse a name no installer accepts (too long, not PEP 508) before it reaches a URL or a report."""
    if len(name) > MAX_NAME_LENGTH:
        raise InputError(
            f"package name {name[:40]!r}… is {len(name)} characters long (at most {MAX_NAME_LENGTH})",
            location=where,
        )


def check_url(url: SafeUrl | None, where: Location, what: str) -> None:
    """A URL the standard parser splits (host brackets closed, port in range)."""
    if url is None:
        return
    try:
        _ = urlsplit(url.reveal()).port
    except ValueError as problem:
        shown = scrub(url.reveal())  # str(url) would split it, and fail the same way
        raise InputError(f"{what}: invalid URL {shown[:100]!r}: {problem}", location=where) from None


def check_requirement(requirement: Requirement, where: Location, what: str) -> None:
    """Name length, evaluable marker, and versions in the specifier that ``packaging`` can compare."""
    check_name(requirement.name, where)
    if requirement.marker is not None:
        reason = marker_problem(requirement.marker)
        if reason is not None:
            raise InputError(f"{what}: invalid marker {str(requirement.marker)!r}: {reason}", location=where)
    for clause in requirement.specifier:
        if clause.operator == "===":
            continue  # arbitrary equality compares strings
        try:
            Version(clause.version.removesuffix(".*"))
        except ValueError as problem:
            reason = _first(problem)
            raise InputError(
                f"{what}: invalid version in {str(clause)[:60]!r}: {reason}", location=where
            ) from None


def check_declared(declared: DeclaredRequirement) -> None:
    """Refuse a requirement no installer would accept: its version, markers and origin."""
    what = f"requirement {declared.name[:40]!r}"
    check_requirement(declared.requirement, declared.location, what)
    _check_origin(declared.origin, declared.location, what)


def checked(input_set: InputT) -> InputT:
    """``input_set`` after every check above; the first failure is raised, located."""
    file = Location(file=input_set.path)
    if isinstance(input_set, LockedSet):
        for package in input_set.packages:
            where = package.location or file
            what = f"package {package.ref.name[:40]!r}"
            check_name(package.ref.name, where)
            _check_origin(package.origin, where, what)
            checked_marker(package.marker, where, what)
            for dependency in package.dependencies or ():
                check_name(dependency.name, where)
                checked_marker(dependency.marker, where, f"{what} dependency {dependency.name[:40]!r}")
        for declared in input_set.roots:
            check_declared(declared)
    else:
        for declared in (*input_set.requirements, *input_set.constraints):
            check_declared(declared)
        for url in input_set.find_links:
            check_url(url, file, "find-links URL")
    for index_url in input_set.index_urls:  # last: packages name the line, these only the file
        check_url(index_url, file, "index URL")
    return input_set


def _check_origin(origin: Origin | None, where: Location, what: str) -> None:
    if origin is not None:
        check_url(origin.url, where, what)


def _first(problem: Exception) -> str:
    """The gist of a library's message: its first line, up to any advice after ';'."""
    return str(problem).splitlines()[0].split(";")[0]
