"""The one answer to "is this package allowlisted?", for ``audit`` and every ``allowlist`` command alike.

Precedence, version and hash pins, trust matching and expiry are decided here once. The audit and
``allowlist check`` used to compute this separately and could disagree about one package; both now
call ``coverage`` with the same facts (tests/allowlist/test_agreement.py runs one table through both).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from packaging.utils import NormalizedName
from packaging.version import Version

from supplychain.allowlist.entries import Allowlist, Approval, Baseline, Entry, Trust, located
from supplychain.model import Known, PackageFacts, PackageRef, ResolvedPackage

WARN_BEFORE = timedelta(days=30)


@dataclass(frozen=True, slots=True, kw_only=True)
class Held:
    """An entry with the file it was read from; ``imported`` when that is another team's file."""

    entry: Entry
    path: str
    imported: bool = False

    @property
    def label(self) -> str:
        """How the ``allowlist`` commands name it: ``approve six==1.17.0``, ``… (imported)``."""
        return f"{self.entry.label} (imported)" if self.imported else self.entry.label

    @property
    def located(self) -> str:
        """How audit reports name it: ``allowlist.toml:4 (approve six)``."""
        entry = self.entry
        if isinstance(entry, Trust):
            what = f"trust {entry.publisher or entry.organization or f'account {entry.account}'}"
        else:
            what = f"{'approve' if isinstance(entry, Approval) else 'baseline'} {entry.name}"
        return located(self.path, entry.line, what)


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageCoverage:
    """What covers one package, which expired entries would have, and the rules its approvals waive."""

    package: ResolvedPackage
    by: Held | None  # the first live entry covering it, in precedence order
    expired: tuple[Held, ...] = ()  # expired entries that would have covered it
    waiver: tuple[Held, tuple[str, ...]] | None = None

    @property
    def ref(self) -> PackageRef:
        """The package this coverage is for, as findings name it."""
        return self.package.ref


@dataclass(frozen=True, slots=True, kw_only=True)
class Coverage:
    """Every package's coverage and the state of this file's own entries (imported ones are not ours)."""

    packages: tuple[PackageCoverage, ...] = ()
    covered: Mapping[PackageRef, Held] = field(default_factory=dict)
    waivers: Mapping[PackageRef, tuple[Held, tuple[str, ...]]] = field(default_factory=dict)
    expired: tuple[Held, ...] = ()  # own entries past their expiry day
    unused: tuple[Held, ...] = ()  # own live entries naming nothing in the environment
    expiring: tuple[Held, ...] = ()  # own live entries expiring within WARN_BEFORE


def is_expired(expires: date, today: date) -> bool:
    """An entry applies through its ``expires`` day and stops the day after."""
    return today > expires


def pins_cover(entry: Approval | Baseline, package: ResolvedPackage) -> bool:
    """An exact-version entry covers its name and versions, unless both sides know hashes and none match."""
    theirs = package.origin.file_hashes
    hashes_ok = not entry.hashes or not theirs or bool(set(entry.hashes) & set(theirs))
    return entry.name == package.ref.name and package.ref.version in entry.versions and hashes_ok


def trusted(trust: Trust, facts: PackageFacts | None) -> bool:
    """The version's PyPI organisation, its only account, or every verified PEP 740 publisher of its
    files, is the trusted one.

    Unknown never is. Every publisher, not any: a file attested by someone else does not ride along;
    likewise a trusted account covers only while no other account holds a role.
    """
    if facts is None:
        return False
    if trust.account is not None:
        people = facts.maintainers
        return isinstance(people, Known) and {m.user.lower() for m in people.value} == {trust.account.lower()}
    if trust.organization is not None:
        org = facts.organization
        return isinstance(org, Known) and (org.value or "").lower() == trust.organization.lower()
    prov = facts.provenance
    # every file attested, not just one, and every attestation verified: a claim is not a publisher
    if not isinstance(prov, Known) or not prov.value.verified:
        return False
    publishers = prov.value.publishers
    return bool(publishers) and all(
        p.identity == trust.publisher and (trust.workflow is None or p.workflow == trust.workflow)
        for p in publishers
    )


def _covers(entry: Entry, package: ResolvedPackage, facts: PackageFacts | None) -> bool:
    if isinstance(entry, Trust):
        return package.ref.name in entry.packages and trusted(entry, facts)
    return pins_cover(entry, package)


def _cover(
    package: ResolvedPackage, ordered: Sequence[Held], facts: PackageFacts | None, today: date
) -> PackageCoverage:
    by: Held | None = None
    expired: list[Held] = []
    waiver: tuple[Held, tuple[str, ...]] | None = None
    for held in ordered:
        if not _covers(held.entry, package, facts):
            continue
        if is_expired(held.entry.expires, today):
            expired.append(held)
            continue
        by = by or held
        if isinstance(held.entry, Approval) and (held.entry.waive or held.entry.facts):
            waiver = (held, held.entry.waive)  # the last live approval waiving something, as ever
    return PackageCoverage(package=package, by=by, expired=tuple(expired), waiver=waiver)


def precedence(allowlist: Allowlist) -> tuple[Held, ...]:
    """Every entry in the order coverage tries them: own approvals, own baselines, imported approvals, trusts.

    Pins first (they need no facts), our own file before another team's, trusted publishers last.
    """
    pins: list[Entry] = [*allowlist.approvals, *allowlist.baselines]
    own = [Held(entry=e, path=allowlist.path) for e in pins]
    imported = [
        Held(entry=a, path=other.path, imported=True) for other in allowlist.imported for a in other.approvals
    ]
    trusts = [Held(entry=t, path=allowlist.path) for t in allowlist.trusts]
    return (*own, *imported, *trusts)


def coverage(
    allowlist: Allowlist | None,
    packages: Sequence[ResolvedPackage],
    facts: Mapping[PackageRef, PackageFacts],
    today: date,
) -> Coverage:
    """Cover every package; list this file's expired, unused and soon-expiring entries.

    ``facts`` are the audit's PackageFacts (organisation, provenance): a trust covers only a package
    whose facts are known and match; a package without facts is covered by pins alone.
    """
    if allowlist is None:
        return Coverage(packages=tuple(PackageCoverage(package=p, by=None) for p in packages))
    ordered = precedence(allowlist)
    covers = tuple(_cover(p, ordered, facts.get(p.ref), today) for p in packages)
    own = [Held(entry=e, path=allowlist.path) for e in allowlist.entries]
    live = [h for h in own if not is_expired(h.entry.expires, today)]
    present: dict[str, set[Version]] = {}
    for package in packages:
        present.setdefault(package.ref.name, set()).add(package.ref.version)
    return Coverage(
        packages=covers,
        covered={c.ref: c.by for c in covers if c.by is not None},
        waivers={c.ref: c.waiver for c in covers if c.waiver is not None},
        expired=tuple(h for h in own if is_expired(h.entry.expires, today)),
        unused=tuple(h for h in live if not _names_present(h.entry, present)),
        expiring=tuple(h for h in live if h.entry.expires - today <= WARN_BEFORE),
    )


def _names_present(entry: Entry, present: Mapping[str, set[Version]]) -> bool:
    """Used means it names something installed: for a trust one of its packages, else a pinned version.

    Not "covered something": a trust whose publisher could not be learned today is not unused, and
    ``prune`` must never drop it for a network failure.
    """
    if isinstance(entry, Trust):
        return any(name in present for name in entry.packages)
    return any(v in present.get(entry.name, set()) for v in entry.versions)


def trusted_names(allowlist: Allowlist) -> frozenset[str]:
    """Packages some trust entry names: only these need facts learned to decide coverage."""
    return frozenset(name for trust in allowlist.trusts for name in trust.packages)


def trust_sources(allowlist: Allowlist) -> tuple[str, ...]:
    """The audit's sources trusts read: ``pypi`` for organisations, ``integrity`` for publishers."""
    kinds = {"integrity" if t.publisher is not None else "pypi" for t in allowlist.trusts}
    return tuple(sorted(kinds))


def approved_publishers(allowlist: Allowlist | None) -> dict[NormalizedName, tuple[str, tuple[str, ...]]]:
    """Per package, the publishers its newest approval recorded, with that entry's location.

    Own approvals before imported ones; an approval that recorded no publisher says nothing.
    """
    if allowlist is None:
        return {}
    found: dict[NormalizedName, tuple[Version, str, tuple[str, ...]]] = {}
    for held in precedence(allowlist):
        entry = held.entry
        if not isinstance(entry, Approval) or not entry.publishers:
            continue
        newest = max(entry.versions)
        if entry.name not in found or newest > found[entry.name][0]:
            found[entry.name] = (newest, held.located, entry.publishers)
    return {name: (where, publishers) for name, (_, where, publishers) in sorted(found.items())}
