"""PyPI JSON API source: ownership, release history, yanks, licence and repository of each version."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from packaging.utils import NormalizedName
from packaging.version import InvalidVersion, Version

from supplychain.errors import FetchError, HttpStatusError
from supplychain.model import (
    Known,
    Maintainer,
    Ownership,
    PackageRef,
    ResolvedPackage,
    Role,
    Signal,
    Unknown,
    Yank,
)
from supplychain.sources import FactPatch, SourceContext

SOURCE = "pypi"
T = TypeVar("T")
FACTS = (
    "maintainers",
    "organization",
    "first_release",
    "release_count",
    "upload_time",
    "latest_release",
    "latest_version",
    "release_gap_days",
    "yanked",
    "source_repository",
    "license",
    "summary",
)
FORGE_HOSTS = frozenset(
    {"github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "git.sr.ht", "sr.ht", "gitee.com"}
)
_REPOSITORY_KEYS = ("source", "source code", "repository", "code", "github", "gitlab", "homepage", "home")
_MAX_LICENSE_TEXT = 120


class ShapeError(Exception):
    """A JSON document does not have the shape its API promises; becomes one fact's Unknown."""


def expect(value: object, kind: type[Any], what: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ShapeError(f"{what} is {type(value).__name__}, expected {kind.__name__}")
    return value


def parse_time(value: object, what: str) -> datetime:
    """ISO 8601 with ``Z`` → aware UTC datetime; anything else is a shape error."""
    text = expect(value, str, what)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ShapeError(f"{what} {text!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise ShapeError(f"{what} {text!r} has no timezone")
    return parsed


Releases = dict[str, tuple[datetime, bool]]  # version -> (first upload, every file yanked)


def unknown_patch(facts: Sequence[str], reason: str, source: str) -> dict[str, Signal[object]]:
    return dict.fromkeys(facts, Unknown(reason=reason, source=source))


class PyPIJsonSource:
    """``GET {pypi}pypi/<name>/json`` once per project; every fact derives from that document."""

    id = SOURCE

    async def collect(
        self, packages: Sequence[ResolvedPackage], context: SourceContext
    ) -> dict[PackageRef, FactPatch]:
        results = await asyncio.gather(*(self._one(package.ref, context) for package in packages))
        return {package.ref: patch for package, patch in zip(packages, results, strict=True)}

    async def _one(self, ref: PackageRef, context: SourceContext) -> FactPatch:
        fetched = await _project(ref.name, context)
        if isinstance(fetched, str):
            return unknown_patch(FACTS, fetched, SOURCE)
        document, now = fetched
        try:
            times: Releases | ShapeError = _release_times(document)
        except ShapeError as error:
            times = error

        def releases() -> Releases:
            """Parsed once per document: six facts derive from every file's upload time."""
            if isinstance(times, ShapeError):
                raise ShapeError(str(times))
            return times

        computers: dict[str, Callable[[], object]] = {
            "maintainers": lambda: _maintainers(document),
            "organization": lambda: _organization(document),
            "first_release": lambda: min(releases().values())[0],
            "release_count": lambda: len(releases()),
            "latest_release": lambda: max(first for first, _yanked in releases().values()),
            "latest_version": lambda: _latest_of(releases()),
            "source_repository": lambda: _source_repository(document),
            "license": lambda: _license(document),
            "summary": lambda: _summary(document),
            "upload_time": lambda: _upload_time(releases(), ref),
            "release_gap_days": lambda: _release_gap_days(releases(), ref),
        }
        patch: dict[str, Signal[object]] = {fact: _signal(c, now) for fact, c in computers.items()}
        patch["yanked"] = await self._yanked(document, ref, context, now)
        return patch

    async def _yanked(
        self, document: Mapping[str, Any], ref: PackageRef, context: SourceContext, now: datetime
    ) -> Signal[object]:
        releases = document.get("releases")
        files = releases.get(str(ref.version)) if isinstance(releases, dict) else None
        if files is None:
            # The project document may list the version under another spelling; ask for it directly.
            url = f"{context.config.endpoints.pypi.reveal()}pypi/{quote(ref.name)}/{ref.version}/json"
            try:
                version_document = await context.http.get_json(url)
            except HttpStatusError as error:
                reason = f"version {ref.version} not found on PyPI" if error.status == 404 else error.reason
                return Unknown(reason=reason, source=SOURCE)
            except FetchError as error:
                return Unknown(reason=error.reason, source=SOURCE)
            files = version_document.get("urls") if isinstance(version_document, dict) else None
        return _signal(lambda: _yank_of(files, ref), now)


async def _project(name: NormalizedName, context: SourceContext) -> tuple[dict[str, Any], datetime] | str:
    """The project's JSON document and when it was learned, or why it could not be had."""
    url = f"{context.config.endpoints.pypi.reveal()}pypi/{quote(name)}/json"
    try:
        document = await context.http.get_json(url)
    except HttpStatusError as error:
        return "not found on PyPI" if error.status == 404 else error.reason
    except FetchError as error:
        return error.reason
    if not isinstance(document, dict):
        return "PyPI JSON is not an object"
    return document, context.http.learned_at(url, context.clock.now())


async def collect_ownership(
    names: Iterable[NormalizedName], context: SourceContext
) -> dict[NormalizedName, Ownership]:
    """Owners and organisation of projects outside the graph (the popular names packages resemble).

    One request per project, the same document and HTTP cache as the source's, so an offline audit
    knows them once an online one has asked; what could not be learned is Unknown with the reason.
    """
    wanted = sorted(set(names))
    documents = await asyncio.gather(*(_project(name, context) for name in wanted))
    owners: dict[NormalizedName, Ownership] = {}
    for name, fetched in zip(wanted, documents, strict=True):
        if isinstance(fetched, str):
            missing = Unknown(reason=fetched, source=SOURCE)
            owners[name] = Ownership(name=name, maintainers=missing, organization=missing)
            continue
        document, now = fetched
        owners[name] = Ownership(
            name=name,
            maintainers=_signal(partial(_maintainers, document), now),
            organization=_signal(partial(_organization, document), now),
        )
    return owners


def _signal(compute: Callable[[], T], now: datetime) -> Signal[T]:
    try:
        return Known(value=compute(), source=SOURCE, fetched_at=now)
    except ShapeError as error:
        return Unknown(reason=f"PyPI JSON: {error}", source=SOURCE, settled=True)


def _maintainers(document: Mapping[str, Any]) -> tuple[Maintainer, ...]:
    if "ownership" not in document:
        raise ShapeError("PyPI did not report ownership")
    ownership = expect(document["ownership"], dict, "ownership")
    roles = expect(ownership.get("roles"), list, "ownership.roles")
    people = set()
    for raw in roles:
        entry = expect(raw, dict, "ownership.roles[]")
        user = expect(entry.get("user"), str, "ownership.roles[].user")
        role = expect(entry.get("role"), str, "ownership.roles[].role")
        try:
            people.add(Maintainer(user=user, role=Role(role)))
        except ValueError:
            raise ShapeError(f"unknown role {role!r}") from None
    return tuple(sorted(people))


def _organization(document: Mapping[str, Any]) -> str | None:
    if "ownership" not in document:
        raise ShapeError("PyPI did not report ownership")
    ownership = expect(document["ownership"], dict, "ownership")
    if "organization" not in ownership:
        raise ShapeError("PyPI did not report an organization field")
    value = ownership["organization"]
    return None if value is None else str(expect(value, str, "ownership.organization"))


def _release_times(document: Mapping[str, Any]) -> Releases:
    """Release → (earliest file upload, every file yanked); releases without files are left out."""
    releases = expect(document.get("releases"), dict, "releases")
    times: dict[str, tuple[datetime, bool]] = {}
    for version, raw in releases.items():
        files = expect(raw, list, f"releases[{version}]")
        if not files:
            continue
        uploads = [
            parse_time(expect(f, dict, "file").get("upload_time_iso_8601"), "upload_time_iso_8601")
            for f in files
        ]
        times[version] = (min(uploads), all(f.get("yanked") is True for f in files))
    if not times:
        raise ShapeError("no release has files")
    return times


def _upload_time(times: Releases, ref: PackageRef) -> datetime:
    for version, (uploaded, _yanked) in times.items():
        if _same_version(version, ref.version):
            return uploaded
    raise ShapeError(f"version {ref.version} has no files on PyPI")


def _release_gap_days(times: Releases, ref: PackageRef) -> int | None:
    """Whole days between this version's first upload and the release uploaded just before it."""
    uploaded = _upload_time(times, ref)
    earlier = [first for first, _yanked in times.values() if first < uploaded]
    return None if not earlier else (uploaded - max(earlier)).days


def latest_version_of(document: Mapping[str, Any]) -> str:
    return _latest_of(_release_times(document))


def _latest_of(times: Releases) -> str:
    candidates: list[Version] = []
    for version, (_uploaded, yanked) in times.items():
        try:
            parsed = Version(version)
        except InvalidVersion:
            continue
        if not yanked:
            candidates.append(parsed)
    final = [v for v in candidates if not v.is_prerelease]
    if not (final or candidates):
        raise ShapeError("no installable release")
    return str(max(final or candidates))


def _yank_of(files: object, ref: PackageRef) -> Yank:
    entries = expect(files, list, f"files of {ref.version}")
    if not entries:
        raise ShapeError(f"version {ref.version} has no files on PyPI")
    flags = [expect(f, dict, "file") for f in entries]
    if all(f.get("yanked") is True for f in flags):
        reasons = sorted({str(f["yanked_reason"]) for f in flags if f.get("yanked_reason")})
        return Yank(yanked=True, reason="; ".join(reasons) or None)
    return Yank(yanked=False)


def _info(document: Mapping[str, Any]) -> Mapping[str, Any]:
    return expect(document.get("info"), dict, "info")  # type: ignore[no-any-return]


def _source_repository(document: Mapping[str, Any]) -> str | None:
    info = _info(document)
    urls = info.get("project_urls") or {}
    urls = expect(urls, dict, "info.project_urls")
    by_key = {str(k).strip().lower(): v for k, v in urls.items() if isinstance(v, str)}
    for key in _REPOSITORY_KEYS:
        if key in by_key and _on_forge(by_key[key]):
            return str(by_key[key])
    for value in sorted(by_key.values()):
        if _on_forge(value):
            return str(value)
    home = info.get("home_page")
    return home if isinstance(home, str) and _on_forge(home) else None


def _on_forge(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in FORGE_HOSTS or host.removeprefix("www.") in FORGE_HOSTS


def _license(document: Mapping[str, Any]) -> str | None:
    info = _info(document)
    expression = info.get("license_expression")
    if isinstance(expression, str) and expression.strip():
        return expression.strip()
    text = info.get("license")
    if isinstance(text, str) and text.strip() and len(text) <= _MAX_LICENSE_TEXT and "\n" not in text.strip():
        return text.strip()
    classifiers = expect(info.get("classifiers") or [], list, "info.classifiers")
    licences = sorted(
        c.split("::")[-1].strip() for c in classifiers if isinstance(c, str) and c.startswith("License ::")
    )
    return " OR ".join(licences) if licences else None


def _summary(document: Mapping[str, Any]) -> str | None:
    summary = _info(document).get("summary")
    if summary is None:
        return None
    return str(expect(summary, str, "info.summary")).strip() or None


def _same_version(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except InvalidVersion:
        return False
