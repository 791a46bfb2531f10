"""What a reviewer compares between two versions: PyPI's per-version JSON plus PEP 740 publishers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from email.parser import HeaderParser
from typing import TypeVar
from urllib.parse import quote, urljoin

from packaging.requirements import InvalidRequirement, Requirement

from supplychain.endpoints import Endpoints
from supplychain.errors import FetchError
from supplychain.model import Known, PackageRef, Publisher, Signal, Unknown
from supplychain.net.http import Http
from supplychain.net.pypi_json import Release, ReleaseFile, Vulnerability, fetch_document
from supplychain.net.shape import Invalid
from supplychain.sources.integrity import page_provenance

SOURCE = "pypi"
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class FileFact:
    """One file of a version as PyPI lists it; reviews compare the kinds, the count and the total size."""

    filename: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseFacts:
    """The reviewable facts of one version; project-level ones (owners, organisation) are as of now."""

    ref: PackageRef
    requires_dist: tuple[str, ...]
    files: tuple[FileFact, ...]
    upload_time: datetime | None
    yanked: bool
    metadata: tuple[tuple[str, str], ...]  # summary, license, requires_python, author, maintainer, ...
    advisories: Signal[
        tuple[tuple[str, tuple[str, ...]], ...]
    ]  # (id, aliases) from PyPI's vulnerability list
    owners: Signal[tuple[str, ...]]  # PyPI ownership roles "role:user"
    organization: Signal[str | None]
    publishers: Signal[tuple[str, ...]]  # PEP 740 identities "kind:repository" (+ "@workflow")
    metadata_unknown: str | None = None  # why requires_dist/metadata are empty: not learned, not "none"

    @property
    def total_size(self) -> int:
        """Bytes of all files together; a change past ``SIZE_JUMP`` is flagged for review."""
        return sum(file.size for file in self.files)

    def dependencies(self) -> dict[str, str]:
        """Dependency name -> the requirement as declared (specifier, extras, marker)."""
        result: dict[str, str] = {}
        for line in self.requires_dist:
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                result[line] = line
                continue
            result[requirement.name.lower().replace("_", "-")] = str(requirement)
        return dict(sorted(result.items()))


async def fetch_release(
    http: Http, endpoints: Endpoints, ref: PackageRef, *, now: datetime
) -> Signal[ReleaseFacts]:
    """Unknown (with the reason) when PyPI cannot say; never a half-filled default. ``now`` stamps facts.

    Files, sizes and ownership come from the project JSON; metadata (dependencies, people) from the
    PEP 658 metadata file of a wheel, which every index serving wheels offers.
    """
    project_url = f"{endpoints.pypi.reveal()}pypi/{quote(ref.name)}/json"
    try:
        project = await fetch_document(http, project_url)
    except FetchError as error:
        return Unknown(reason=error.reason, source=SOURCE)
    release = project.release(ref.version)
    if release is None:
        return Unknown(reason=f"PyPI lists no files for {ref}", source=SOURCE)
    if isinstance(release, Invalid):
        return Unknown(reason=f"PyPI JSON: {release.reason}", source=SOURCE)
    files = _files(release)
    if isinstance(files, Unknown):
        return files
    metadata = await _metadata(http, project_url, release.files)
    publishers = await _publishers(http, endpoints, ref, now)
    owners: Signal[tuple[str, ...]]
    organization: Signal[str | None]
    if isinstance(project.ownership, Invalid):
        owners, organization = _known(project.ownership, now), _known(project.ownership, now)
    else:
        roles = project.ownership.roles
        people = roles if isinstance(roles, Invalid) else tuple(sorted(f"{r.role}:{r.user}" for r in roles))
        owners = _known(people, now)
        organization = _known(project.ownership.organization, now)
    advisories: Signal[tuple[tuple[str, tuple[str, ...]], ...]]
    if isinstance(project.info, Invalid) or isinstance(project.info.version, Invalid):
        advisories = _known(Invalid("the latest version is not stated"), now)
    elif project.info.version != str(ref.version):
        advisories = Unknown(
            reason="PyPI's project JSON lists advisories of the latest version only", source=SOURCE
        )
    elif isinstance(project.vulnerabilities, Invalid):
        advisories = _known(project.vulnerabilities, now)
    else:
        advisories = Known(value=_advisories(project.vulnerabilities), source=SOURCE, fetched_at=now)
    requires, fields = ((), ()) if isinstance(metadata, Unknown) else metadata
    return Known(
        value=ReleaseFacts(
            ref=ref,
            requires_dist=requires,
            files=files,
            upload_time=release.first_upload,
            yanked=release.yanked,  # every file yanked, as the audit's ``yanked`` fact reads it
            metadata=fields,
            advisories=advisories,
            owners=owners,
            organization=organization,
            publishers=publishers,
            metadata_unknown=metadata.reason if isinstance(metadata, Unknown) else None,
        ),
        source=SOURCE,
        fetched_at=now,
    )


_HEADERS = {
    "summary": "Summary",
    "license": "License",
    "license_expression": "License-Expression",
    "requires_python": "Requires-Python",
    "author": "Author",
    "author_email": "Author-email",
    "maintainer": "Maintainer",
    "maintainer_email": "Maintainer-email",
}


async def _metadata(
    http: Http, project_url: str, entries: tuple[ReleaseFile, ...]
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]] | Unknown:
    """Requires-Dist and the people/licence fields from the first wheel's PEP 658 metadata."""
    wheels = sorted(
        (e for e in entries if e.filename.endswith(".whl") and e.core_metadata and e.url),
        key=lambda e: e.filename,
    )
    if not wheels:
        return Unknown(reason="no wheel with PEP 658 metadata; sdist metadata is not read", source=SOURCE)
    url = urljoin(project_url, str(wheels[0].url)) + ".metadata"
    try:
        response = await http.get(url)
    except FetchError as error:
        return Unknown(reason=error.reason, source=SOURCE)
    message = HeaderParser().parsestr(response.content.decode("utf-8", errors="replace"))
    requires = tuple(sorted(str(r) for r in message.get_all("Requires-Dist") or []))
    fields = tuple((key, str(message[header])) for key, header in _HEADERS.items() if message.get(header))
    return requires, fields


def _known(part: T | Invalid, now: datetime) -> Signal[T]:
    """A part of the project JSON as a fact; a part PyPI did not give (or garbled) is Unknown."""
    if isinstance(part, Invalid):
        return Unknown(reason=f"PyPI JSON: {part.reason}", source=SOURCE)
    return Known(value=part, source=SOURCE, fetched_at=now)


def _files(release: Release) -> tuple[FileFact, ...] | Unknown:
    """Each file's size and sha256; a file PyPI lists without them leaves the release unknown, not 0."""
    files = []
    for entry in release.files:
        if entry.size is None or entry.sha256 is None:
            missing = "size" if entry.size is None else "sha256 digest"
            reason = f"PyPI JSON: {entry.filename} is listed without its {missing}"
            return Unknown(reason=reason, source=SOURCE)
        files.append(FileFact(filename=entry.filename, size=entry.size, sha256=entry.sha256))
    return tuple(sorted(files))


def _advisories(vulnerabilities: tuple[Vulnerability, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((entry.id, tuple(sorted(entry.aliases))) for entry in vulnerabilities))


async def _publishers(
    http: Http, endpoints: Endpoints, ref: PackageRef, now: datetime
) -> Signal[tuple[str, ...]]:
    """Verified identities over every file, as the index's page states provenance (PEP 740).

    An index that does not serve PEP 740 leaves them unknown (not "none attested"); an attestation that
    does not verify is unknown too: a claim is never compared as if it were a publisher.
    """
    page = f"{endpoints.index.reveal()}{quote(ref.name)}/"
    signal = await page_provenance(http, page, ref, now)
    if isinstance(signal, Unknown):
        return signal
    provenance = signal.value
    if provenance.problems:
        reason = f"attestation does not verify: {'; '.join(provenance.problems)}"
        return Unknown(reason=reason, source=signal.source)
    identities = {publisher_identity(publisher) for publisher in provenance.publishers}
    return Known(value=tuple(sorted(identities)), source=signal.source, fetched_at=now)


def publisher_identity(publisher: Publisher) -> str:
    """``github:owner/repo@workflow.yml`` (lower case), as trust entries name publishers."""
    workflow = publisher.workflow
    return publisher.identity + (f"@{workflow}" if workflow else "")


class ReleaseFetcher:
    """``fetch_release`` with one request per version per run, however often a command asks."""

    def __init__(self, http: Http, endpoints: Endpoints, now: datetime) -> None:
        self._http = http
        self._endpoints = endpoints
        self._now = now
        self._pending: dict[PackageRef, asyncio.Task[Signal[ReleaseFacts]]] = {}

    async def __call__(self, ref: PackageRef) -> Signal[ReleaseFacts]:
        task = self._pending.get(ref)
        if task is None:
            task = asyncio.ensure_future(fetch_release(self._http, self._endpoints, ref, now=self._now))
            self._pending[ref] = task
        return await task
