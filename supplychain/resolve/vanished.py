"""Pinned versions the index no longer lists: a finding for each, not an abort on the first.

A version that disappears from PyPI was removed: often a malware take-down, always a file nobody can
install again. Aborting on it meant one edit-and-rerun round per missing pin (five on one real 2023
research file). The pin is kept out of the resolution and audited as what it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.version import Version

from supplychain.errors import FetchError
from supplychain.model import DeclaredRequirement
from supplychain.resolve.index import IndexClient, InternalNameWithheld, ProjectNotFound
from supplychain.urls import SafeUrl


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
    try:
        page = await client.page(declared.name)
    except InternalNameWithheld:
        return None  # the resolver says why it was not asked
    except ProjectNotFound:
        return await _project_gone(client, declared, version)
    except FetchError:
        return None  # an index fault: the resolution reports it (exit 3)
    if page.files_of(version) or await _listed(client, declared, version, page.index):
        return None
    others = len({file.version for file in page.files})
    reason = (
        f"{declared.name} {version} is not on {page.index} (it lists {others} other versions): removed "
        "(often a malware take-down) or never published"
    )
    return Vanished(declared=declared, version=version, index=page.index, reason=reason)


async def _listed(
    client: IndexClient, declared: DeclaredRequirement, version: Version, index: SafeUrl | None
) -> bool:
    """Listed with no file for this target is the resolver's to report; an index fault says nothing."""
    try:
        return await client.lists_version(declared.name, version, index)
    except FetchError:
        return True


async def _project_gone(
    client: IndexClient, declared: DeclaredRequirement, version: Version
) -> Vanished | None:
    """No source has the project; with --no-index and no find-links nothing was asked: no finding."""
    places = client.places()
    if not places or await _listed(client, declared, version, None):
        return None
    reason = (
        f"{declared.name} is on none of {', '.join(places)}: the project was removed (take-downs of "
        "malware remove whole projects) or never published"
    )
    return Vanished(declared=declared, version=version, index=None, reason=reason)
