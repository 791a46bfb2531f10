"""Direct references (URLs, VCS, local paths) → a named Requirement and its Origin, without any build.

A project name comes from ``#egg=``, a wheel or sdist file name, or a local directory's static
metadata (``pyproject.toml`` ``[project].name``, ``[tool.poetry].name``, ``setup.cfg``, ``PKG-INFO``);
when none says it, the input is rejected rather than guessed, because finding out would mean running
a build. The version comes from the same places (``#egg=name-version``, the file name, ``PKG-INFO`` or
a static PEP 621 ``version``); when none says it, it is unknown, never assumed.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from supplychain.errors import InputError
from supplychain.model import Location, Origin, OriginKind
from supplychain.tomlfile import load_toml
from supplychain.urls import SafeUrl, scrub

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://|^file:", re.ASCII)
_VCS_SCHEMES = ("git+", "hg+", "svn+", "bzr+")
_FULL_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_EXTRAS = re.compile(r"^(?P<body>.+?)(?P<extras>\[[^\]]*\])?$", re.DOTALL)
_URL_MARKER = re.compile(r"\s*;\s")  # pip: after a URL a marker needs "; " since URLs may hold ';'
_EGG_VERSION = re.compile(r"^(?P<name>[^-]+)-(?P<version>.+)$")  # setuptools: '-' in a name is '_'
MAX_PKG_INFO_BYTES = 1024 * 1024


def is_url(text: str) -> bool:
    """Is this requirement text a URL (a direct reference) rather than a name or path?"""
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
    try:
        filename = unquote(urlsplit(base).path.rsplit("/", 1)[-1])
        _ = urlsplit(base.partition("+")[2] or base).port
    except ValueError as problem:  # an unclosed '[' host, a port out of range
        raise InputError(f"invalid URL {scrub(base)[:100]!r}: {problem}", location=location) from None
    egg = _fragment_values(fragment).get("egg", "") if fragment else ""
    egg_match = _EXTRAS.match(egg) if egg else None
    name = named.name if named else (_egg_name(egg_match.group("body")) if egg_match else None)
    extras = (egg_match.group("extras") or "") if egg_match else ""
    if name is None:
        name = _name_from_filename(filename)
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


def named_reference(
    requirement: Requirement, location: Location, *, base: Path, editable: bool = False
) -> tuple[Requirement, Origin]:
    """``name @ <url>`` (PEP 508): a ``file:`` URL or bare path is a local path, anything else a URL."""
    url = requirement.url or ""
    if url.startswith("file:") or not is_url(url):
        return local_requirement(
            file_url_path(url) if url.startswith("file:") else url,
            location,
            base=base,
            editable=editable,
            marker=str(requirement.marker) if requirement.marker else "",
            name=requirement.name,
            extras=f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else "",
        )
    _, origin = url_requirement(url, location, editable=editable, named=requirement)
    return requirement, origin


def file_url_path(url: str) -> str:
    """The local path a ``file:`` URL names (relative when written ``file:./x``)."""
    from urllib.request import url2pathname  # with http.client and email: 10 ms a lock never needs

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
    egg = _egg_name(egg_match.group("body")) if egg_match else None
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


def reference_version(requirement: Requirement, origin: Origin) -> Version | None:
    """The version a direct reference states, or None when nothing short of a build would tell.

    From an ``#egg=name-version`` fragment, a wheel or sdist file name (of this project), or a local
    directory's static metadata; a VCS reference names a revision, which is not a version.
    """
    if origin.url is None:
        return None
    base, _, fragment = origin.url.reveal().partition("#")
    egg = _fragment_values(fragment).get("egg", "") if fragment else ""
    egg_match = _EXTRAS.match(egg) if egg else None
    if egg_match and (version := _egg_version(egg_match.group("body"), requirement.name)):
        return version
    if origin.kind is OriginKind.VCS:
        return None
    if base.startswith("file:"):
        path = Path(file_url_path(base))
        if path.is_dir():
            return directory_version(path)
        return filename_version(path.name, requirement.name)
    return filename_version(unquote(urlsplit(base).path.rsplit("/", 1)[-1]), requirement.name)


def filename_version(filename: str, name: str) -> Version | None:
    """The version in a wheel or sdist file name, when the file is of project ``name``."""
    try:
        if filename.endswith(".whl"):
            project, version, _, _ = parse_wheel_filename(filename)
        elif filename.endswith((".tar.gz", ".zip")):
            project, version = parse_sdist_filename(filename)
        else:
            return None
    except (InvalidWheelFilename, InvalidSdistFilename, ValueError):  # ValueError: 4,300+ digits
        return None
    return version if project == canonicalize_name(name) else None


def directory_version(directory: Path) -> Version | None:
    """A local project's version from static metadata: ``PKG-INFO``, else PEP 621 ``version``.

    ``PKG-INFO`` (an unpacked sdist) always states its version (PEP 643 forbids a dynamic one);
    ``[project].version`` counts only when ``dynamic`` does not list it.
    """
    _, version = _pkg_info(directory)
    if version is not None:
        return version
    pyproject = directory / "pyproject.toml"
    if not pyproject.is_file():
        return None
    project = load_toml(pyproject).get("project")
    if not isinstance(project, dict) or not isinstance(project.get("version"), str):
        return None
    dynamic = project.get("dynamic", [])
    if isinstance(dynamic, list) and "version" in dynamic:
        return None
    return _version(project["version"])


def _pkg_info(directory: Path) -> tuple[str | None, Version | None]:
    """Name and version from a directory's ``PKG-INFO`` (headers only; unreadable means absent)."""
    path = directory / "PKG-INFO"
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_PKG_INFO_BYTES)
    except OSError:
        return None, None
    from email.parser import BytesParser  # email.policy costs 40 ms to import: only for a PKG-INFO
    from email.policy import compat32

    headers = BytesParser(policy=compat32).parsebytes(raw, headersonly=True)
    name, version = headers.get("Name"), headers.get("Version")
    return (
        name.strip() or None if isinstance(name, str) else None,
        _version(version) if isinstance(version, str) else None,
    )


def _version(text: str) -> Version | None:
    try:
        return Version(text.strip())
    except (InvalidVersion, ValueError):
        return None


def _egg_name(body: str) -> str:
    """The project of an ``#egg=`` fragment: ``name`` or setuptools' ``name-version``."""
    match = _EGG_VERSION.match(body)
    return match.group("name") if match and _version(match.group("version")) else body


def _egg_version(body: str, name: str) -> Version | None:
    match = _EGG_VERSION.match(body)
    if match is None or canonicalize_name(match.group("name")) != canonicalize_name(name):
        return None
    return _version(match.group("version"))


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
    """Static metadata only: ``[project].name``, ``[tool.poetry].name``, ``setup.cfg``, ``PKG-INFO``."""
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
            name = parser.get("metadata", "name", fallback=None)
        except (configparser.Error, UnicodeDecodeError, OSError):
            name = None
        if name and name.strip():
            return name.strip()
    return _pkg_info(directory)[0]
