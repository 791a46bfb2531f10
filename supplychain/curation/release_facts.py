"""What a reviewer compares between two versions: PyPI's per-version JSON plus PEP 740 publishers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from email.parser import HeaderParser
from typing import Any
from urllib.parse import quote, urljoin

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from supplychain.dates import timestamp_or_none
from supplychain.endpoints import Endpoints
from supplychain.errors import FetchError, HttpStatusError
from supplychain.model import Known, PackageRef, Signal, Unknown
from supplychain.sources.http import Http

SOURCE = "pypi"
_INTEGRITY_ACCEPT = "application/vnd.pypi.integrity.v1+json"


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class FileFact:
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
        project = await http.get_json(project_url)
    except FetchError as error:
        return Unknown(reason=error.reason, source=SOURCE)
    releases = project.get("releases") if isinstance(project, dict) else None
    entries = _release_files(releases, ref)
    if entries is None:
        return Unknown(reason=f"PyPI lists no files for {ref}", source=SOURCE)
    metadata = await _metadata(http, project_url, entries)
    files = _files(entries)
    publishers = await _publishers(http, endpoints, ref, [file.filename for file in files], now)
    uploaded = (timestamp_or_none(e.get("upload_time_iso_8601")) for e in entries)
    known_times = sorted(t for t in uploaded if t is not None)
    ownership = project.get("ownership")
    owners: Signal[tuple[str, ...]]
    organization: Signal[str | None]
    if isinstance(ownership, dict):
        roles = ownership.get("roles") or []
        owners = Known(
            value=tuple(sorted(f"{r.get('role')}:{r.get('user')}" for r in roles if isinstance(r, dict))),
            source=SOURCE,
            fetched_at=now,
        )
        organization = Known(value=ownership.get("organization"), source=SOURCE, fetched_at=now)
    else:
        owners = organization = Unknown(reason="PyPI JSON gives no ownership table", source=SOURCE)
    latest = str((project.get("info") or {}).get("version", ""))
    advisories: Signal[tuple[tuple[str, tuple[str, ...]], ...]]
    if latest == str(ref.version):
        advisories = Known(value=_advisories(project.get("vulnerabilities")), source=SOURCE, fetched_at=now)
    else:
        advisories = Unknown(
            reason="PyPI's project JSON lists advisories of the latest version only", source=SOURCE
        )
    requires, fields = ((), ()) if isinstance(metadata, Unknown) else metadata
    return Known(
        value=ReleaseFacts(
            ref=ref,
            requires_dist=requires,
            files=files,
            upload_time=known_times[0] if known_times else None,
            yanked=any(bool(e.get("yanked")) for e in entries),
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


def _release_files(releases: Any, ref: PackageRef) -> list[dict[str, Any]] | None:
    if not isinstance(releases, dict):
        return None
    for version, entries in releases.items():
        try:
            same = Version(version) == ref.version
        except InvalidVersion:
            continue
        if same and isinstance(entries, list) and entries:
            return [e for e in entries if isinstance(e, dict)]
    return None


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
    http: Http, project_url: str, entries: list[dict[str, Any]]
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]] | Unknown:
    """Requires-Dist and the people/licence fields from the first wheel's PEP 658 metadata."""
    wheels = [e for e in entries if str(e.get("filename", "")).endswith(".whl") and e.get("core-metadata")]
    if not wheels:
        return Unknown(reason="no wheel with PEP 658 metadata; sdist metadata is not read", source=SOURCE)
    url = urljoin(project_url, str(sorted(wheels, key=lambda e: str(e["filename"]))[0]["url"])) + ".metadata"
    try:
        response = await http.get(url)
    except FetchError as error:
        return Unknown(reason=error.reason, source=SOURCE)
    message = HeaderParser().parsestr(response.content.decode("utf-8", errors="replace"))
    requires = tuple(sorted(str(r) for r in message.get_all("Requires-Dist") or []))
    fields = tuple((key, str(message[header])) for key, header in _HEADERS.items() if message.get(header))
    return requires, fields


def _files(urls: list[dict[str, Any]]) -> tuple[FileFact, ...]:
    files = []
    for entry in urls or []:
        if isinstance(entry, dict) and isinstance(entry.get("filename"), str):
            digests = entry.get("digests") or {}
            files.append(
                FileFact(
                    filename=entry["filename"],
                    size=int(entry.get("size") or 0),
                    sha256=str(digests.get("sha256", "")),
                )
            )
    return tuple(sorted(files))


def _advisories(vulnerabilities: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    found = []
    for entry in vulnerabilities or []:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            aliases = tuple(sorted(str(a) for a in entry.get("aliases") or []))
            found.append((entry["id"], aliases))
    return tuple(sorted(found))


async def _publishers(
    http: Http, endpoints: Endpoints, ref: PackageRef, filenames: list[str], now: datetime
) -> Signal[tuple[str, ...]]:
    """Identities over every file; a file without attestation (404) adds none."""
    base = endpoints.integrity.reveal()
    identities: set[str] = set()
    for filename in filenames:
        url = f"{base}integrity/{quote(ref.name)}/{ref.version}/{quote(filename)}/provenance"
        try:
            answer = await http.get_json(url, accept=_INTEGRITY_ACCEPT)
        except HttpStatusError as error:
            if error.status == 404:
                continue
            return Unknown(reason=error.reason, source="integrity")
        except FetchError as error:
            return Unknown(reason=error.reason, source="integrity")
        for bundle in answer.get("attestation_bundles") or [] if isinstance(answer, dict) else []:
            publisher = bundle.get("publisher") if isinstance(bundle, dict) else None
            if isinstance(publisher, dict):
                identities.add(publisher_identity(publisher))
    return Known(value=tuple(sorted(identities)), source="integrity", fetched_at=now)


def publisher_identity(publisher: dict[str, Any]) -> str:
    """``github:owner/repo@workflow.yml`` (lower case), as trust entries name publishers."""
    kind = str(publisher.get("kind", "")).lower()
    repository = str(publisher.get("repository") or publisher.get("project") or "").lower()
    workflow = publisher.get("workflow")
    return f"{kind}:{repository}" + (f"@{workflow}" if workflow else "")


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
