"""What a reviewer compares between two versions: PyPI's per-version JSON plus PEP 740 publishers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from packaging.requirements import InvalidRequirement, Requirement

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
    advisories: tuple[tuple[str, tuple[str, ...]], ...]  # (id, aliases) from PyPI's vulnerability list
    owners: Signal[tuple[str, ...]]  # PyPI ownership roles "role:user"
    organization: Signal[str | None]
    publishers: Signal[tuple[str, ...]]  # PEP 740 identities "kind:repository" (+ "@workflow")

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


_METADATA_KEYS = (
    "summary",
    "license",
    "license_expression",
    "requires_python",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "home_page",
)


async def fetch_release(
    http: Http, endpoints: Endpoints, ref: PackageRef, *, now: datetime
) -> Signal[ReleaseFacts]:
    """Unknown (with the reason) when PyPI cannot say; never a half-filled default. ``now`` stamps facts."""
    base = endpoints.pypi.reveal()
    try:
        release, project = await asyncio.gather(
            http.get_json(f"{base}pypi/{quote(ref.name)}/{ref.version}/json"),
            http.get_json(f"{base}pypi/{quote(ref.name)}/json"),
        )
    except FetchError as error:
        return Unknown(reason=error.reason, source=SOURCE)
    info = release.get("info") if isinstance(release, dict) else None
    if not isinstance(info, dict):
        return Unknown(reason="PyPI JSON has no info table", source=SOURCE)
    files = _files(release.get("urls"))
    publishers = await _publishers(http, endpoints, ref, [file.filename for file in files], now)
    upload_times = [
        _time(u.get("upload_time_iso_8601")) for u in release.get("urls") or [] if isinstance(u, dict)
    ]
    known_times = sorted(t for t in upload_times if t is not None)
    fetched = now
    ownership = project.get("ownership") if isinstance(project, dict) else None
    owners: Signal[tuple[str, ...]]
    organization: Signal[str | None]
    if isinstance(ownership, dict):
        roles = ownership.get("roles") or []
        owners = Known(
            value=tuple(sorted(f"{r.get('role')}:{r.get('user')}" for r in roles if isinstance(r, dict))),
            source=SOURCE,
            fetched_at=fetched,
        )
        organization = Known(value=ownership.get("organization"), source=SOURCE, fetched_at=fetched)
    else:
        owners = organization = Unknown(reason="PyPI JSON gives no ownership table", source=SOURCE)
    return Known(
        value=ReleaseFacts(
            ref=ref,
            requires_dist=tuple(sorted(str(r) for r in info.get("requires_dist") or [])),
            files=files,
            upload_time=known_times[0] if known_times else None,
            yanked=bool(info.get("yanked")),
            metadata=tuple((key, str(info[key])) for key in _METADATA_KEYS if info.get(key)),
            advisories=_advisories(release.get("vulnerabilities")),
            owners=owners,
            organization=organization,
            publishers=publishers,
        ),
        source=SOURCE,
        fetched_at=fetched,
    )


def _files(urls: Any) -> tuple[FileFact, ...]:
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


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


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
