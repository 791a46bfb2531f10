"""Direct references (URLs, VCS, local paths) → a named Requirement and its Origin, without any build.

A project name comes from ``#egg=``, a wheel or sdist file name, or a local directory's static
metadata (``pyproject.toml`` ``[project].name``, ``[tool.poetry].name``, ``setup.cfg``); when none
says it, the input is rejected rather than guessed, because finding out would mean running a build.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from supplychain.errors import InputError
from supplychain.model import Location, Origin, OriginKind
from supplychain.tomlfile import load_toml
from supplychain.urls import SafeUrl, scrub

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://|^file:", re.ASCII)
_VCS_SCHEMES = ("git+", "hg+", "svn+", "bzr+")
_FULL_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_EXTRAS = re.compile(r"^(?P<body>.+?)(?P<extras>\[[^\]]*\])?$", re.DOTALL)
_URL_MARKER = re.compile(r"\s*;\s")  # pip: after a URL a marker needs "; " since URLs may hold ';'


def is_url(text: str) -> bool:
    return bool(_URL.match(text))


def vcs_commit(url: str) -> str | None:
    """The revision after the last ``@`` of a VCS URL's path when it is a full commit hash."""
    path = urlsplit(url.partition("+")[2]).path
    _, at, revision = path.rpartition("@")
    return revision if at and _FULL_SHA.match(revision) else None


def _fragment_values(fragment: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        values[key] = unquote(value)
    return values


def _make(name: str, extras: str, url: str, marker: str | None, location: Location) -> Requirement:
    text = f"{name}{extras} @ {url}" + (f" ; {marker}" if marker else "")
    try:
        return Requirement(text)
    except InvalidRequirement as problem:
        reason = str(problem).splitlines()[0]
        raise InputError(f"invalid requirement {scrub(text)!r}: {reason}", location=location) from None


def url_requirement(
    text: str, location: Location, *, editable: bool, named: Requirement | None = None
) -> tuple[Requirement, Origin]:
    """A URL line (``git+https://…#egg=x``, ``https://…/x-1.0.whl``) or the URL of ``name @ url``."""
    url, marker = text, None
    if named is None and (split := _URL_MARKER.search(text)):
        url, marker = text[: split.start()].strip(), text[split.end() :].strip()
    base, _, fragment = url.partition("#")
    egg = _fragment_values(fragment).get("egg", "") if fragment else ""
    egg_match = _EXTRAS.match(egg) if egg else None
    name = named.name if named else (egg_match.group("body") if egg_match else None)
    extras = (egg_match.group("extras") or "") if egg_match else ""
    if name is None:
        name = _name_from_filename(unquote(urlsplit(base).path.rsplit("/", 1)[-1]))
    if name is None:
        raise InputError(
            f"cannot learn the project name of {SafeUrl(base)}: add '#egg=<name>' or write '<name> @ <url>'",
            location=location,
        )
    scheme = base.split(":", 1)[0].lower()
    if editable:
        kind = OriginKind.EDITABLE
    elif scheme.startswith(_VCS_SCHEMES):
        kind = OriginKind.VCS
    elif scheme == "file":
        kind = OriginKind.PATH
    else:
        kind = OriginKind.URL
    commit = vcs_commit(base) if scheme.startswith(_VCS_SCHEMES) else None
    requirement = named or _make(name, extras, url, marker, location)
    return requirement, Origin(kind=kind, url=SafeUrl(url), commit=commit)


def file_url_path(url: str) -> str:
    """The local path a ``file:`` URL names (relative when written ``file:./x``)."""
    return url2pathname(unquote(urlsplit(url).path))


def file_url_requirement(
    text: str, location: Location, *, base: Path, editable: bool
) -> tuple[Requirement, Origin]:
    """``file:`` URLs (``file:./pkg``, ``file:///abs/pkg#egg=x``) are local paths, read the same way."""
    url, marker = text, None
    if split := _URL_MARKER.search(text):
        url, marker = text[: split.start()].strip(), text[split.end() :].strip()
    address, hash_sign, fragment = url.partition("#")
    return local_requirement(
        file_url_path(address) + hash_sign + fragment,
        location,
        base=base,
        editable=editable,
        marker=marker or "",
    )


def local_requirement(
    text: str,
    location: Location,
    *,
    base: Path,
    editable: bool,
    marker: str | None = None,
    name: str | None = None,
    extras: str = "",
) -> tuple[Requirement, Origin]:
    """A local directory or archive path, relative to ``base`` (the directory of the naming file).

    ``name``/``extras`` are given when the declaring file states them (Poetry's ``path`` entries).
    """
    if marker is None and ";" in text:
        text, _, rest = text.partition(";")
        marker = rest.strip()
    marker = marker or None
    text, _, fragment = text.strip().partition("#")
    egg = _fragment_values(fragment).get("egg") if fragment else None
    egg_match = _EXTRAS.match(egg) if egg else None
    match = _EXTRAS.match(text.strip())
    if match is None:
        raise InputError("empty local path", location=location)
    extras = extras or match.group("extras") or (egg_match.group("extras") if egg_match else "") or ""
    egg = egg_match.group("body") if egg_match else None
    path = (base / Path(match.group("body"))).resolve()
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except OSError as problem:  # e.g. a name too long for the file system
        raise InputError(
            f"cannot use local path {match.group('body')!r}: {problem.strerror}", location=location
        ) from None
    if not exists:
        raise InputError(f"local path {match.group('body')!r} does not exist ({path})", location=location)
    name = name or egg or (_name_from_directory(path) if is_dir else _name_from_filename(path.name))
    if name is None:
        raise InputError(
            f"cannot learn the project name of {match.group('body')!r}: no '#egg=' fragment and no static "
            "name in its pyproject.toml or setup.cfg (supplychain never runs a build to find out)",
            location=location,
        )
    uri = path.as_uri()
    kind = OriginKind.EDITABLE if editable else OriginKind.PATH
    return _make(name, extras, uri, marker, location), Origin(kind=kind, url=SafeUrl(uri))


def _name_from_filename(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def _name_from_directory(directory: Path) -> str | None:
    """Static metadata only: pyproject ``[project].name``, ``[tool.poetry].name``, ``setup.cfg``."""
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        data = load_toml(pyproject)
        project = data.get("project")
        if isinstance(project, dict) and isinstance(project.get("name"), str):
            return str(project["name"])
        tool = data.get("tool")
        poetry = tool.get("poetry") if isinstance(tool, dict) else None
        if isinstance(poetry, dict) and isinstance(poetry.get("name"), str):
            return str(poetry["name"])
    setup_cfg = directory / "setup.cfg"
    if setup_cfg.is_file():
        parser = configparser.RawConfigParser()
        try:
            parser.read_string(setup_cfg.read_text(encoding="utf-8"), source=str(setup_cfg))
        except (configparser.Error, UnicodeDecodeError, OSError):
            return None
        name = parser.get("metadata", "name", fallback=None)
        return name.strip() or None if name else None
    return None
