"""PyPI JSON API source: ownership, release history, yanks, licence and repository of each version."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote, urlsplit

from packaging.utils import NormalizedName
from packaging.version import InvalidVersion, Version

from supplychain.errors import FetchError, HttpStatusError
from supplychain.model import (
    Known,
    Maintainer,
    Owners,
    PackageRef,
    ResolvedPackage,
    Role,
    Signal,
    Unknown,
    Yank,
)
from supplychain.net.shape import Invalid, ShapeError
from supplychain.sources import FactPatch, SourceContext
from supplychain.sources.facts_cache import FactsCache, code_digest, derived_key
from supplychain.sources.scope import public_only

if TYPE_CHECKING:
    from supplychain.net.pypi_json import Info, Ownership, PyPIDocument, Release, ReleaseFile

SOURCE = "pypi"
# The release history: for an internal package its own index's page gives these (simple_index).
HISTORY_FACTS = (
    "first_release",
    "release_count",
    "upload_time",
    "latest_release",
    "latest_version",
    "release_gap_days",
    "yanked",
)
FACTS = ("maintainers", "organization", *HISTORY_FACTS, "source_repository", "license", "summary")
FORGE_HOSTS = frozenset(
    {"github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "git.sr.ht", "sr.ht", "gitee.com"}
)
_REPOSITORY_KEYS = ("source", "source code", "repository", "code", "github", "gitlab", "homepage", "home")
_MAX_LICENSE_TEXT = 120
T = TypeVar("T")


def valid(part: T | Invalid) -> T:
    """A parsed part of the document, or the ShapeError that makes the facts resting on it Unknown."""
    if isinstance(part, Invalid):
        raise ShapeError(part.reason)
    return part


def unknown_patch(facts: Sequence[str], reason: str, source: str) -> dict[str, Signal[object]]:
    """Every fact of a source as Unknown with one reason: what a failed request gives."""
    return dict.fromkeys(facts, Unknown(reason=reason, source=source))


class PyPIJsonSource:
    """``GET {pypi}pypi/<name>/json`` once per project; every fact derives from that document."""

    id = SOURCE

    async def collect(
        self, packages: Sequence[ResolvedPackage], context: SourceContext
    ) -> dict[PackageRef, FactPatch]:
        packages = public_only(packages, context)  # an internal name is never sent to PyPI
        derived = _Derived.for_context(context)
        results = await asyncio.gather(*(self._one(package.ref, context, derived) for package in packages))
        derived.store(context.clock.now())
        return {package.ref: patch for package, patch in zip(packages, results, strict=True)}

    async def _one(self, ref: PackageRef, context: SourceContext, derived: _Derived) -> FactPatch:
        """The facts of one package; what its project document alone gave is kept in ``derived``."""
        fetched = await _project(ref.name, context)
        if isinstance(fetched, str):
            return unknown_patch(FACTS, fetched, SOURCE)
        # A document byte-identical to one read before gives the same facts (a warm run whose facts
        # went stale fetched every document again, and parsing them was most of its CPU).
        key = derived.key(SOURCE, fetched.digest, str(ref.version))
        kept = derived.recall(key, fetched.now)
        if kept is not None:
            return kept
        document, now = fetched.parse()
        if isinstance(document, str):
            return unknown_patch(FACTS, document, SOURCE)
        del fetched  # its text: the document is what is needed now

        def releases() -> tuple[Release, ...]:
            """The releases with files (six facts derive from every file's upload time)."""
            found = tuple(release for release in valid(document.releases) if release.files)
            if not found:
                raise ShapeError("no release has files")
            return found

        computers: dict[str, Callable[[], object]] = {
            "maintainers": lambda: _maintainers(document.ownership),
            "organization": lambda: _organization(document.ownership),
            "first_release": lambda: min(release.first_upload for release in releases()),
            "release_count": lambda: len(releases()),
            "latest_release": lambda: max(release.first_upload for release in releases()),
            "latest_version": lambda: latest_of(releases()),
            "source_repository": lambda: _source_repository(valid(document.info)),
            "license": lambda: _license(valid(document.info)),
            "summary": lambda: _summary(valid(document.info)),
            "upload_time": lambda: _release_of(releases(), ref).first_upload,
            "release_gap_days": lambda: _release_gap_days(releases(), ref),
        }
        patch: dict[str, Signal[object]] = {fact: _signal(c, now) for fact, c in computers.items()}
        patch["yanked"] = await self._yanked(document, ref, context, now)
        if _from_project_document(document, ref):
            derived.keep(key, patch)
        return patch

    async def _yanked(
        self, document: PyPIDocument, ref: PackageRef, context: SourceContext, now: datetime
    ) -> Signal[object]:
        if isinstance(document.releases, Invalid):
            return _signal(lambda: valid(document.releases), now)
        release = _listed_release(document, ref)
        if release is not None:
            return _signal(lambda: _yank_of(release.files, ref), now)
        # The project document may list the version under another spelling; ask for it directly.
        url = f"{context.config.endpoints.pypi.reveal()}pypi/{quote(ref.name)}/{ref.version}/json"
        from supplychain.net.pypi_json import fetch_document

        try:
            version_document = await fetch_document(context.http, url)
        except HttpStatusError as error:
            reason = f"version {ref.version} not found on PyPI" if error.status == 404 else error.reason
            return Unknown(reason=reason, source=SOURCE)
        except FetchError as error:
            return Unknown(reason=error.reason, source=SOURCE)
        return _signal(lambda: _yank_of(valid(version_document.urls), ref), now)


@dataclass(slots=True)
class _Derived:
    """Facts kept by the digest of the document they came from, for one source run: looked up as
    documents arrive, stored together at the end (one transaction)."""

    memo: FactsCache | None  # None: caching is off, or the deriving code cannot be fingerprinted
    code: str
    pending: list[tuple[str, FactPatch]] = field(default_factory=list)

    @classmethod
    def for_context(cls, context: SourceContext) -> _Derived:
        """The run's memo, keyed also by the code that derives the facts (``_derivation``)."""
        code = _derivation()
        memo = FactsCache.for_config(context.config) if code is not None else None
        return cls(memo=memo, code=code or "")

    def key(self, kind: str, digest: str, *parts: str) -> str:
        """The key of facts of ``kind`` derived from the document with ``digest``."""
        return derived_key(kind, digest, *parts, self.code)

    def recall(self, key: str, now: datetime) -> FactPatch | None:
        """The facts kept under ``key``, learned ``now``; None when there are none."""
        return None if self.memo is None else self.memo.recall(key, now)

    def keep(self, key: str, patch: FactPatch) -> None:
        """Keep ``patch`` under ``key`` when the run's facts are stored."""
        if self.memo is not None:
            self.pending.append((key, patch))

    def store(self, now: datetime) -> None:
        """Store what was kept, in one transaction."""
        if self.memo is not None and self.pending:
            self.memo.remember(self.pending, now)


def _derivation() -> str | None:
    """The code that turns a document into facts (this module and the document parser): part of
    each derived key, so facts kept from a document are derived again once that code changes.
    The parser's file is found, not imported: a warm run whose facts are all kept parses nothing."""
    from importlib.util import find_spec

    parser = find_spec("supplychain.net.pypi_json")
    return code_digest(__file__, parser.origin if parser is not None else None)


def _listed_release(document: PyPIDocument, ref: PackageRef) -> Release | None:
    """The release spelled as ``ref``'s version in the project document, if listed."""
    if isinstance(document.releases, Invalid):
        return None
    return next((r for r in document.releases if r.version == str(ref.version)), None)


def _from_project_document(document: PyPIDocument, ref: PackageRef) -> bool:
    """Did every fact come from the project document alone (no version document was asked)?"""
    return isinstance(document.releases, Invalid) or _listed_release(document, ref) is not None


@dataclass(frozen=True, slots=True)
class _Fetched:
    """A project document's text, the SHA-256 of its bytes and when it was learned."""

    url: str
    text: str
    digest: str
    now: datetime

    def parse(self) -> tuple[PyPIDocument | str, datetime]:
        """The parsed document (or why it is not one) and when it was learned."""
        from supplychain.net.pypi_json import parse_text  # the parser: a warm run parses nothing

        try:
            return parse_text(self.text, self.url), self.now
        except FetchError as error:
            return error.reason, self.now


async def _project(name: NormalizedName, context: SourceContext) -> _Fetched | str:
    """The project's JSON document as fetched, or why it could not be had."""
    url = f"{context.config.endpoints.pypi.reveal()}pypi/{quote(name)}/json"
    try:
        text, digest = await context.http.get_json_body(url)
    except HttpStatusError as error:
        return "not found on PyPI" if error.status == 404 else error.reason
    except FetchError as error:
        return error.reason
    return _Fetched(url=url, text=text, digest=digest, now=context.http.learned_at(url, context.clock.now()))


async def collect_ownership(
    names: Iterable[NormalizedName], context: SourceContext
) -> dict[NormalizedName, Owners]:
    """Owners and organisation of projects outside the graph (the popular names packages resemble).

    One request per project, the same document and HTTP cache as the source's, so an offline audit
    knows them once an online one has asked; what could not be learned is Unknown with the reason.
    """
    wanted = sorted(set(names))
    derived = _Derived.for_context(context)
    found = await asyncio.gather(*(_owners(name, context, derived) for name in wanted))
    derived.store(context.clock.now())
    return dict(zip(wanted, found, strict=True))


async def _owners(name: NormalizedName, context: SourceContext, derived: _Derived) -> Owners:
    """One project's owners, its document dropped at once: popular projects' documents are the
    largest (thousands of releases), and holding all of them until the last arrived was the
    first online run's memory peak."""
    fetched = await _project(name, context)
    if isinstance(fetched, str):
        missing = Unknown(reason=fetched, source=SOURCE)
        return Owners(name=name, maintainers=missing, organization=missing)
    key = derived.key(f"{SOURCE} owners", fetched.digest)
    kept = derived.recall(key, fetched.now)
    if kept is None:
        document, now = fetched.parse()
        del fetched
        if isinstance(document, str):
            missing = Unknown(reason=document, source=SOURCE)
            return Owners(name=name, maintainers=missing, organization=missing)
        kept = {
            "maintainers": _signal(partial(_maintainers, document.ownership), now),
            "organization": _signal(partial(_organization, document.ownership), now),
        }
        derived.keep(key, kept)
    return Owners(name=name, maintainers=kept["maintainers"], organization=kept["organization"])  # type: ignore[arg-type]


def _signal(compute: Callable[[], T], now: datetime) -> Signal[T]:
    try:
        return Known(value=compute(), source=SOURCE, fetched_at=now)
    except ShapeError as error:
        return Unknown(reason=f"PyPI JSON: {error}", source=SOURCE, settled=True)


def _maintainers(ownership: Ownership | Invalid) -> tuple[Maintainer, ...]:
    people = set()
    for entry in valid(valid(ownership).roles):
        try:
            people.add(Maintainer(user=entry.user, role=Role(entry.role)))
        except ValueError:
            raise ShapeError(f"unknown role {entry.role!r}") from None
    return tuple(sorted(people))


def _organization(ownership: Ownership | Invalid) -> str | None:
    return valid(valid(ownership).organization)


def _release_of(releases: tuple[Release, ...], ref: PackageRef) -> Release:
    from supplychain.net.pypi_json import same_version

    for release in releases:
        if same_version(release.version, ref.version):
            return release
    raise ShapeError(f"version {ref.version} has no files on PyPI")


def _release_gap_days(releases: tuple[Release, ...], ref: PackageRef) -> int | None:
    """Whole days between this version's first upload and the release uploaded just before it."""
    uploaded = _release_of(releases, ref).first_upload
    earlier = [release.first_upload for release in releases if release.first_upload < uploaded]
    return None if not earlier else (uploaded - max(earlier)).days


def latest_version_of(document: PyPIDocument) -> str:
    """The newest release that is not yanked: final releases first, pre-releases when there are no others."""
    releases = tuple(release for release in valid(document.releases) if release.files)
    if not releases:
        raise ShapeError("no release has files")
    return latest_of(releases)


def latest_of(releases: tuple[Release, ...]) -> str:
    """The highest release version (pre-releases too), skipping versions that do not parse."""
    candidates: list[Version] = []
    for release in releases:
        try:
            parsed = Version(release.version)
        except InvalidVersion:
            continue
        if not release.yanked:
            candidates.append(parsed)
    final = [v for v in candidates if not v.is_prerelease]
    if not (final or candidates):
        raise ShapeError("no installable release")
    return str(max(final or candidates))


def _yank_of(files: tuple[ReleaseFile, ...], ref: PackageRef) -> Yank:
    if not files:
        raise ShapeError(f"version {ref.version} has no files on PyPI")
    yank = Yank.of_release((file.yanked, file.yanked_reason) for file in files)
    if yank is None:
        raise ShapeError(f"PyPI does not say whether the files of {ref.version} are yanked (no 'yanked' key)")
    return yank


def _source_repository(info: Info) -> str | None:
    by_key = {label.strip().lower(): url for label, url in valid(info.project_urls)}
    for key in _REPOSITORY_KEYS:
        if key in by_key and _on_forge(by_key[key]):
            return by_key[key]
    for value in sorted(by_key.values()):
        if _on_forge(value):
            return value
    home = info.home_page
    return home if isinstance(home, str) and _on_forge(home) else None


def _on_forge(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in FORGE_HOSTS or host.removeprefix("www.") in FORGE_HOSTS


def _license(info: Info) -> str | None:
    expression = info.license_expression
    if isinstance(expression, str) and expression.strip():
        return expression.strip()
    text = info.license
    if isinstance(text, str) and text.strip() and len(text) <= _MAX_LICENSE_TEXT and "\n" not in text.strip():
        return text.strip()
    licences = sorted(
        c.split("::")[-1].strip() for c in valid(info.classifiers) if c.startswith("License ::")
    )
    return " OR ".join(licences) if licences else None


def _summary(info: Info) -> str | None:
    summary = valid(info.summary)
    return None if summary is None else summary.strip() or None
