"""Which allowlist entry covers each package, which entries expired, expire soon, or match nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from packaging.version import Version

from supplychain.allowlist.exemptions import pins_cover
from supplychain.allowlist.writer import Allowlist, Approval, Baseline, Trust, imported_approvals
from supplychain.model import Known, PackageRef, ResolvedPackage

__all__ = [  # imported_approvals: the one reader's, re-exported where the CLI imports it from
    "WARN_BEFORE",
    "Coverage",
    "Entry",
    "Identity",
    "cover",
    "entries",
    "expired_entries",
    "expiring_soon",
    "identity_of",
    "imported_approvals",
    "is_expired",
    "trust_matches",
    "trusted_names",
    "unused_entries",
]

WARN_BEFORE = timedelta(days=30)

Entry = Approval | Trust | Baseline


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """Who published a version, as far as trust entries need: PEP 740 identities and the PyPI organisation."""

    publishers: tuple[str, ...] = ()  # "kind:repository[@workflow]"
    organization: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Coverage:
    ref: PackageRef
    covered_by: str | None  # the entry's label
    expired: tuple[str, ...] = ()  # expired entries that would have covered it


def is_expired(expires: date, today: date) -> bool:
    """An entry applies through its ``expires`` day and stops the day after."""
    return today > expires


def trust_matches(trust: Trust, identity: Identity) -> bool:
    if trust.organization is not None:
        return (
            identity.organization is not None and identity.organization.lower() == trust.organization.lower()
        )
    for published in identity.publishers:
        repository, _, workflow = published.partition("@")
        if repository == trust.publisher and (trust.workflow is None or trust.workflow == workflow):
            return True
    return False


def cover(
    package: ResolvedPackage,
    allowlist: Allowlist,
    imported: Sequence[Approval],
    today: date,
    identity: Identity | None = None,
) -> Coverage:
    """The first live entry covering ``package``: approval, baseline, import, then trusted publisher."""
    ref = package.ref
    expired: list[str] = []
    candidates: list[Approval | Baseline] = [*allowlist.approvals, *allowlist.baselines, *imported]
    for entry in candidates:
        if pins_cover(entry, package):
            if is_expired(entry.expires, today):
                expired.append(entry.label)
                continue
            label = entry.label if entry not in imported else f"{entry.label} (imported)"
            return Coverage(ref=ref, covered_by=label, expired=tuple(expired))
    if identity is not None:
        for trust in allowlist.trusts:
            if ref.name in trust.packages and trust_matches(trust, identity):
                if is_expired(trust.expires, today):
                    expired.append(trust.label)
                    continue
                return Coverage(ref=ref, covered_by=trust.label, expired=tuple(expired))
    return Coverage(ref=ref, covered_by=None, expired=tuple(sorted(expired)))


def trusted_names(allowlist: Allowlist) -> frozenset[str]:
    """Packages some trust entry names: only these need publisher facts fetched."""
    return frozenset(name for trust in allowlist.trusts for name in trust.packages)


def entries(allowlist: Allowlist) -> tuple[Entry, ...]:
    return (*allowlist.approvals, *allowlist.trusts, *allowlist.baselines)


def expired_entries(allowlist: Allowlist, today: date) -> tuple[str, ...]:
    return tuple(sorted(e.label for e in entries(allowlist) if is_expired(e.expires, today)))


def expiring_soon(allowlist: Allowlist, today: date) -> tuple[tuple[str, date], ...]:
    """Live entries whose expiry falls within the next 30 days, soonest first."""
    soon = [
        (e.label, e.expires)
        for e in entries(allowlist)
        if not is_expired(e.expires, today) and e.expires - today <= WARN_BEFORE
    ]
    return tuple(sorted(soon, key=lambda item: (item[1], item[0])))


def unused_entries(allowlist: Allowlist, packages: Sequence[ResolvedPackage]) -> tuple[str, ...]:
    """Entries that name nothing in the environment (a trust: none of its packages is present)."""
    present: dict[str, set[Version]] = {}
    for package in packages:
        present.setdefault(package.ref.name, set()).add(package.ref.version)
    unused = []
    for entry in entries(allowlist):
        if isinstance(entry, Trust):
            if not any(name in present for name in entry.packages):
                unused.append(entry.label)
        elif not any(v in present.get(entry.name, set()) for v in entry.versions):
            unused.append(entry.label)
    return tuple(sorted(unused))


def identity_of(publishers: object, organization: object) -> Identity:
    """Build an Identity from two signals; Unknown parts stay empty, so trust fails closed."""
    return Identity(
        publishers=tuple(publishers.value) if isinstance(publishers, Known) else (),
        organization=organization.value if isinstance(organization, Known) else None,
    )
