"""Applying the allowlist and exemptions to an environment: what each entry covers, expired, or is unused.

The entries are ``policy.allowlist_entries`` and their one reader ``policy.allowlist_reader`` (curation
reads through it too); their names are re-exported here for the audit's importers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from packaging.utils import NormalizedName

from supplychain.allowlist.entries import Allowlist, Approval, Baseline, Exemption, Exemptions, Trust
from supplychain.allowlist.reader import load_allowlist, load_exemptions
from supplychain.model import Advisory, Known, Location, PackageFacts, PackageRef, ResolvedPackage

__all__ = [  # Allowlist, Exemptions and the loaders re-exported: the audit and engine import them here
    "Allowlist",
    "Coverage",
    "Exemptions",
    "coverage",
    "exemption_for",
    "label",
    "load_allowlist",
    "load_exemptions",
    "pins_cover",
]


def label(path: str, line: int | None, what: str) -> str:
    """How an entry is named in reports: ``file:line (what)``."""
    return f"{Location(file=path, line=line)} ({what})"


# --- matching -----------------------------------------------------------------------------------


def pins_cover(entry: Approval | Baseline, package: ResolvedPackage) -> bool:
    """An exact-version entry covers its name and versions, unless both sides know hashes and none match."""
    theirs = package.origin.hashes
    hashes_ok = not entry.hashes or not theirs or bool(set(entry.hashes) & set(theirs))
    return entry.name == package.ref.name and package.ref.version in entry.versions and hashes_ok


@dataclass(frozen=True, slots=True, kw_only=True)
class Coverage:
    """Which entry covers each package, and which entries were used or had expired."""

    covered: Mapping[NormalizedName, str] = field(default_factory=dict)
    waivers: Mapping[NormalizedName, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    used: frozenset[str] = frozenset()
    expired: tuple[str, ...] = ()
    unused: tuple[str, ...] = ()


def coverage(
    allowlist: Allowlist | None,
    packages: Sequence[ResolvedPackage],
    facts: Mapping[NormalizedName, PackageFacts],
    today: dt.date,
) -> Coverage:
    """Match every unexpired entry against the environment; report expired and unused entries."""
    if allowlist is None:
        return Coverage()
    covered: dict[NormalizedName, str] = {}
    waivers: dict[NormalizedName, tuple[str, tuple[str, ...]]] = {}
    used: set[str] = set()
    expired: list[str] = []
    every: list[str] = []
    by_name, path = {p.ref.name: p for p in packages}, allowlist.path

    def live(entry: Approval | Trust | Baseline, what: str) -> str | None:
        """The entry's report label, or None (and noted) once it has expired."""
        name = label(path, entry.line, what)
        every.append(name)
        if entry.expires < today:
            expired.append(name)
            return None
        return name

    for approval in (*allowlist.approvals, *allowlist.imported):
        name, package = live(approval, f"approve {approval.name}"), by_name.get(approval.name)
        if name and package and pins_cover(approval, package):
            covered.setdefault(package.ref.name, name)
            used.add(name)
            if approval.waive:
                waivers[package.ref.name] = (name, approval.waive)
    for trust in allowlist.trusts:
        name = live(trust, f"trust {trust.publisher or trust.organization}")
        for package_name in trust.packages:
            if name and package_name in by_name and _trusted(trust, facts.get(package_name)):
                covered.setdefault(package_name, name)
                used.add(name)
    for baseline in allowlist.baselines:
        name, package = live(baseline, f"baseline {baseline.name}"), by_name.get(baseline.name)
        if name and package and pins_cover(baseline, package):
            covered.setdefault(package.ref.name, name)
            used.add(name)
    unused = sorted(n for n in every if n not in used and n not in expired)
    return Coverage(
        covered=covered,
        waivers=waivers,
        used=frozenset(used),
        expired=tuple(sorted(expired)),
        unused=tuple(unused),
    )


def _trusted(trust: Trust, facts: PackageFacts | None) -> bool:
    if facts is None:
        return False
    if trust.organization is not None:
        org = facts.organization
        return isinstance(org, Known) and (org.value or "").lower() == trust.organization.lower()
    prov = facts.provenance
    if not isinstance(prov, Known) or not prov.value.attested:
        return False
    return any(
        p.identity == trust.publisher and (trust.workflow is None or p.workflow == trust.workflow)
        for p in prov.value.publishers
    )


def exemption_for(
    exemptions: Exemptions | None, ref: PackageRef, rule: str, advisory: Advisory | None, today: dt.date
) -> Exemption | None:
    """The unexpired exemption matching this finding; advisory ids match through aliases."""
    if exemptions is None:
        return None
    for entry in exemptions.entries:
        if entry.name != ref.name or entry.expires < today:
            continue
        if entry.versions and ref.version not in entry.versions:
            continue
        if entry.rule == rule:
            return entry
        if entry.advisory is not None and advisory is not None and entry.advisory in advisory.ids:
            return entry
    return None
