"""Pinned versions the index no longer lists: a finding for each, not an abort on the first.

A version that disappears from PyPI was removed: often a malware take-down, always a file nobody can
install again. Aborting on it meant one edit-and-rerun round per missing pin (five on one real 2023
research file). The pin is kept out of the resolution and audited as what it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from packaging.version import Version

from supplychain.errors import FetchError
from supplychain.model import DeclaredRequirement
from supplychain.net import simple
from supplychain.resolve.index import IndexClient, InternalNameWithheld, ProjectNotFound
from supplychain.urls import SafeUrl


async def _listed_for_another_target(
    client: IndexClient, index: SafeUrl, declared: DeclaredRequirement, version: Version
) -> bool:
    """The resolver's page keeps only files that may fit the target: ask for every file of the version.

    Listed with no file for this target is the resolver's to report; an index fault says nothing.
    """
    url = urljoin(index.reveal().rstrip("/") + "/", f"{declared.name}/")
    try:
        full = await simple.fetch_page(client.http, url, version=version)
    except FetchError:
        return True
    return bool(full.files_of(declared.name, version))


@dataclass(frozen=True, slots=True, kw_only=True)
class Vanished:
    """A top-level ``==`` pin whose version (or whole project) no index lists."""

    declared: DeclaredRequirement
    version: Version
    index: SafeUrl | None  # the index that has the project; None: no index has it
    reason: str


async def find_vanished(client: IndexClient, wanted: Sequence[DeclaredRequirement]) -> list[Vanished]:
    """The input's index pins that name a version no index lists, all of them in one pass."""
    pinned = [
        (declared, version)
        for declared in wanted
        if declared.origin is None and (version := declared.pinned_version) is not None
    ]
    found = await asyncio.gather(*(_check(client, declared, version) for declared, version in pinned))
    return [gone for gone in found if gone is not None]


async def _check(client: IndexClient, declared: DeclaredRequirement, version: Version) -> Vanished | None:
    name = declared.name
    try:
        page = await client.page(name)
    except InternalNameWithheld:
        return None  # the resolver says why it was not asked
    except ProjectNotFound:
        places = [*map(str, client.indexes), *(f"find-links {link}" for link in client.find_links)]
        if not places:
            return None  # --no-index and no find-links: nothing was asked; the resolver says so
        reason = (
            f"{name} is on none of {', '.join(places)}: the project was removed (take-downs of malware "
            "remove whole projects) or never published"
        )
        return Vanished(declared=declared, version=version, index=None, reason=reason)
    except FetchError:
        return None  # an index fault: the resolution reports it (exit 3)
    if any(file.version == version for file in page.files) or await _listed_for_another_target(
        client, page.index, declared, version
    ):
        return None
    others = len({file.version for file in page.files})
    reason = (
        f"{name} {version} is not on {page.index} (it lists {others} other versions): removed "
        "(often a malware take-down) or never published"
    )
    return Vanished(declared=declared, version=version, index=page.index, reason=reason)
