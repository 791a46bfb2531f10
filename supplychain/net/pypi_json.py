"""PyPI's JSON API (``/pypi/<name>/json``, ``/pypi/<name>/<version>/json``) parsed once into typed parts.

Each part is parsed on its own: a part that is absent or of the wrong shape is ``Invalid(reason)``
and the rest of the document still counts (a missing ownership table says nothing about the
release history). Callers decide what an ``Invalid`` part means for their facts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from packaging.version import InvalidVersion, Version

from supplychain.errors import MalformedResponse
from supplychain.net.http import Http
from supplychain.net.json_stream import Reader
from supplychain.net.shape import Invalid, ShapeError, expect, optional, parse_time, string_map, strings
from supplychain.urls import redact

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnerRole:
    """One entry of ``ownership.roles``; ``role`` as PyPI spells it (``Owner``, ``Maintainer``)."""

    user: str
    role: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Ownership:
    """Who PyPI says may publish: roles and organisation, each possibly invalid in the document."""

    roles: tuple[OwnerRole, ...] | Invalid
    organization: str | Invalid | None  # None: PyPI reports no organisation; Invalid: it did not say


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseFile:
    """One file of a release (``releases[v][]`` or ``urls[]``); only the upload time is always there."""

    filename: str
    upload_time: datetime
    yanked: bool | None  # None: the file entry has no ``yanked`` key, so PyPI did not say
    yanked_reason: str | None
    url: str | None
    size: int | None
    sha256: str | None
    core_metadata: bool  # PEP 658 metadata file served beside it


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    """One key of ``releases``; PyPI keeps a release whose files were all deleted, with no files."""

    version: str  # as the document spells it (it may not parse as a PEP 440 version)
    files: tuple[ReleaseFile, ...]

    @property
    def first_upload(self) -> datetime:
        """Its earliest file's upload time (only a release with files has one)."""
        return min(file.upload_time for file in self.files)

    @property
    def yanked(self) -> bool:
        """Known yanked: every one of its files says so (a release without files is not)."""
        return bool(self.files) and all(file.yanked is True for file in self.files)


@dataclass(frozen=True, slots=True, kw_only=True)
class Info:
    """The ``info`` table: the latest version's metadata as PyPI summarises it."""

    version: str | Invalid
    summary: str | Invalid | None
    license: str | Invalid | None
    license_expression: str | Invalid | None
    classifiers: tuple[str, ...] | Invalid
    project_urls: tuple[tuple[str, str], ...] | Invalid  # (label, URL) in the document's order
    home_page: str | Invalid | None
    requires_dist: tuple[str, ...] | Invalid | None  # None: PyPI does not know (not "no dependencies")


@dataclass(frozen=True, slots=True, kw_only=True)
class Vulnerability:
    """One entry of the JSON API's ``vulnerabilities`` list."""

    id: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PyPIDocument:
    """The JSON API document, each part parsed or marked Invalid (never a guessed default)."""

    info: Info | Invalid
    ownership: Ownership | Invalid
    releases: tuple[Release, ...] | Invalid  # in the document's order, releases without files too
    urls: tuple[ReleaseFile, ...] | Invalid  # a version document's files
    vulnerabilities: tuple[Vulnerability, ...] | Invalid

    def release(self, version: Version) -> Release | Invalid | None:
        """The release of ``version`` with files, under PEP 440 equality (``1.0`` is ``1.0.0``); else None."""
        if isinstance(self.releases, Invalid):
            return self.releases
        for release in self.releases:
            if release.files and same_version(release.version, version):
                return release
        return None


async def fetch_document(http: Http, url: str) -> PyPIDocument:
    """GET and parse ``url`` (a project's or a version's document); FetchError when it cannot be had."""
    return parse_text(await http.get_json_text(url), url)


def parse_document(data: object, url: str) -> PyPIDocument:
    """Every part of a JSON API answer; only a document that is not an object is refused whole."""
    if not isinstance(data, dict):
        raise MalformedResponse(f"{redact(url)}: PyPI JSON is not an object")
    return _document(data, _part(lambda: _releases(data.get("releases"))))


def parse_text(text: str, url: str) -> PyPIDocument:
    """``parse_document`` of the JSON text, read one release at a time (the same document).

    Each release's file entries are decoded, checked and turned into ``ReleaseFile`` before the
    next release is read, so the dicts of one release at most are alive at once, never the whole
    document's (twice the text's size for a project with thousands of releases). They are decoded
    whole: dropping unread keys in an object hook as they were built cost a fifth of the parse (a
    cold audit reads 270,000 file entries for 440 projects), to save memory for one release's
    entries only. Text that is not JSON is a MalformedResponse, as ``json.loads`` would refuse it.
    """
    try:
        reader = Reader(text)
        if reader.peek() != "{":
            data = reader.value()
            reader.end()
            return parse_document(data, url)  # not an object: refused there
        parts: dict[str, object] = {}
        releases: tuple[Release, ...] | Invalid | None = None  # None: no "releases" key (yet)
        for key in reader.members():
            if key != "releases":
                parts[key] = reader.value()
            elif reader.peek() == "{":
                releases = _streamed_releases(reader)
            else:  # not an object: Invalid, as parse_document says
                releases = _part(partial(_releases, reader.value()))
        reader.end()
    except json.JSONDecodeError as error:
        raise MalformedResponse(f"{redact(url)}: response is not valid JSON ({error})") from None
    return _document(parts, _part(lambda: _releases(None)) if releases is None else releases)


def _document(data: Mapping[str, Any], releases: tuple[Release, ...] | Invalid) -> PyPIDocument:
    return PyPIDocument(
        info=_part(lambda: _info(data.get("info"))),
        ownership=_part(lambda: _ownership(data)),
        releases=releases,
        urls=_part(lambda: tuple(_file(raw, "urls[]") for raw in expect(data.get("urls"), list, "urls"))),
        vulnerabilities=_part(lambda: _vulnerabilities(data.get("vulnerabilities"))),
    )


def _streamed_releases(reader: Reader) -> tuple[Release, ...] | Invalid:
    """The ``releases`` object at the cursor, one release at a time; Invalid names the first bad one.

    As ``json.loads`` builds it: a key given twice keeps its first place and its last value. The
    whole object is read even past a bad release, so text that is not JSON is still refused whole.
    """
    found: dict[str, Release | ShapeError] = {}
    for version in reader.members():
        raw = reader.value()
        try:
            found[version] = _release(version, raw)
        except ShapeError as error:
            found[version] = error
        del raw
    for release in found.values():
        if isinstance(release, ShapeError):
            return Invalid(str(release))
    return tuple(release for release in found.values() if isinstance(release, Release))


def _part(parse: Callable[[], T]) -> T | Invalid:
    try:
        return parse()
    except ShapeError as error:
        return Invalid(str(error))


def _ownership(document: Mapping[str, Any]) -> Ownership:
    if "ownership" not in document:
        raise ShapeError("PyPI did not report ownership")
    ownership = expect(document["ownership"], dict, "ownership")
    organization: str | Invalid | None = Invalid("PyPI did not report an organization field")
    if "organization" in ownership:
        organization = _part(lambda: optional(ownership["organization"], str, "ownership.organization"))
    return Ownership(roles=_part(lambda: _roles(ownership.get("roles"))), organization=organization)


def _roles(value: object) -> tuple[OwnerRole, ...]:
    roles = []
    for raw in expect(value, list, "ownership.roles"):
        entry = expect(raw, dict, "ownership.roles[]")
        roles.append(
            OwnerRole(
                user=expect(entry.get("user"), str, "ownership.roles[].user"),
                role=expect(entry.get("role"), str, "ownership.roles[].role"),
            )
        )
    return tuple(roles)


def _releases(value: object) -> tuple[Release, ...]:
    return tuple(_release(str(version), raw) for version, raw in expect(value, dict, "releases").items())


def _release(version: str, raw: object) -> Release:
    files = tuple(_file(entry, "file") for entry in expect(raw, list, f"releases[{version}]"))
    return Release(version=version, files=files)


def _file(raw: object, where: str) -> ReleaseFile:
    """One file entry; checked inline, since long-lived projects list tens of thousands of them."""
    if not isinstance(raw, dict):
        raise ShapeError(f"{where} is {type(raw).__name__}, expected dict")
    filename = expect(raw.get("filename"), str, f"{where}.filename")
    reason, url, size, digests = raw.get("yanked_reason"), raw.get("url"), raw.get("size"), raw.get("digests")
    sha256 = digests.get("sha256") if isinstance(digests, dict) else None
    if not (
        (reason is None or isinstance(reason, str))
        and (url is None or isinstance(url, str))
        and (size is None or (isinstance(size, int) and not isinstance(size, bool)))
        and (digests is None or isinstance(digests, dict))
        and (sha256 is None or isinstance(sha256, str))
    ):
        optional(reason, str, f"{where}.yanked_reason")  # each raises the ShapeError naming its field
        optional(url, str, f"{where}.url")
        optional(size, int, f"{where}.size")
        optional(digests, dict, f"{where}.digests")
        expect(sha256, str, f"{where}.digests.sha256")
    return ReleaseFile(
        filename=filename,
        upload_time=parse_time(raw.get("upload_time_iso_8601"), "upload_time_iso_8601"),
        # A reason string without the flag is not a yank on PyPI; no key at all says nothing.
        yanked=(raw["yanked"] is True) if "yanked" in raw else None,
        yanked_reason=reason or None,
        url=url,
        size=size,
        sha256=sha256,
        core_metadata=bool(raw.get("core-metadata", raw.get("data-dist-info-metadata", False))),
    )


def _info(value: object) -> Info:
    info = expect(value, dict, "info")

    def text(key: str) -> str | Invalid | None:
        return _part(lambda: optional(info.get(key), str, f"info.{key}"))

    def requires() -> tuple[str, ...] | None:
        raw = info.get("requires_dist")
        return None if raw is None else strings(raw, "info.requires_dist")

    return Info(
        version=_part(lambda: expect(info.get("version"), str, "info.version")),
        summary=text("summary"),
        license=text("license"),
        license_expression=text("license_expression"),
        classifiers=_part(lambda: strings(info.get("classifiers") or [], "info.classifiers")),
        project_urls=_part(lambda: _urls(info.get("project_urls"))),
        home_page=text("home_page"),
        requires_dist=_part(requires),
    )


def _urls(value: object) -> tuple[tuple[str, str], ...]:
    return tuple(string_map(value or {}, "info.project_urls").items())  # null: no URLs given


def _vulnerabilities(value: object) -> tuple[Vulnerability, ...]:
    found = []
    for raw in expect(value if value is not None else [], list, "vulnerabilities"):
        entry = expect(raw, dict, "vulnerabilities[]")
        found.append(
            Vulnerability(
                id=expect(entry.get("id"), str, "vulnerabilities[].id"),
                aliases=strings(entry.get("aliases") or [], "vulnerabilities[].aliases"),
            )
        )
    return tuple(found)


def same_version(text: str, version: Version) -> bool:
    """Whether a release key names ``version`` (keys that are not PEP 440 versions name none)."""
    try:
        return Version(text) == version
    except InvalidVersion:
        return False
