"""The curation questions: what is covered (check), what needs review now (propose), what changed (diff)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from packaging.version import Version

from supplychain.allowlist.coverage import Coverage, PackageCoverage, coverage, trust_sources, trusted_names
from supplychain.allowlist.delta import Change, compare, full_review_evidence, risk
from supplychain.allowlist.entries import Allowlist, Approval, Baseline
from supplychain.allowlist.release_facts import ReleaseFacts
from supplychain.model import JSON, Known, PackageFacts, PackageRef, ResolvedPackage, Signal, Unknown
from supplychain.resolve.graph import DependencyGraph
from supplychain.sources import SourceContext
from supplychain.sources.enrich import collect_facts

Fetch = Callable[[PackageRef], Awaitable[Signal[ReleaseFacts]]]
Learn = Callable[[Sequence[ResolvedPackage]], Awaitable[Mapping[PackageRef, PackageFacts]]]


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckReport:
    """``allowlist check``'s answer: the one coverage, named the way the curation commands name entries."""

    coverage: Coverage

    @property
    def covered(self) -> tuple[PackageCoverage, ...]:
        """The packages some live entry covers."""
        return tuple(c for c in self.coverage.packages if c.by is not None)

    @property
    def uncovered(self) -> tuple[PackageCoverage, ...]:
        """The packages no live entry covers: each one fails the check."""
        return tuple(c for c in self.coverage.packages if c.by is None)

    @property
    def passed(self) -> bool:
        """True when every package is covered; the command's exit code follows it."""
        return not self.uncovered

    @property
    def expired(self) -> tuple[str, ...]:
        """Labels of this file's expired entries, sorted: they cover nothing until renewed."""
        return tuple(sorted(held.label for held in self.coverage.expired))

    @property
    def expiring(self) -> tuple[tuple[str, date], ...]:
        """Live entries expiring within ``WARN_BEFORE``, soonest first: renew them before they lapse."""
        soon = [(held.label, held.entry.expires) for held in self.coverage.expiring]
        return tuple(sorted(soon, key=lambda item: (item[1], item[0])))

    @property
    def unused(self) -> tuple[str, ...]:
        """Labels of live entries naming nothing in the environment, sorted: candidates for ``prune``."""
        return tuple(sorted(held.label for held in self.coverage.unused))

    @staticmethod
    def expired_for(package: PackageCoverage) -> list[str]:
        """The expired entries that would have covered this package."""
        return sorted(held.label for held in package.expired)

    def json(self) -> dict[str, JSON]:
        """``allowlist check --format json``; an uncovered package lists expired entries that covered it."""
        return {
            "passed": self.passed,
            "covered": [{"package": str(c.ref), "by": c.by.label} for c in self.covered if c.by is not None],
            "not_covered": [
                {"package": str(c.ref), "expired": list[JSON](self.expired_for(c))} for c in self.uncovered
            ],
            "expired_entries": list(self.expired),
            "expiring_soon": [{"entry": label, "expires": day.isoformat()} for label, day in self.expiring],
            "unused_entries": list(self.unused),
        }


def audit_facts(context: SourceContext, allowlist: Allowlist) -> Learn:
    """Learn trust facts through the audit's own sources, so a trust matches here exactly as in ``audit``."""

    async def learn(packages: Sequence[ResolvedPackage]) -> Mapping[PackageRef, PackageFacts]:
        graph = DependencyGraph()
        for package in packages:
            graph.add_package(package)
        return await collect_facts(graph, context, sources=trust_sources(allowlist))

    return learn


async def verified_publishers(
    context: SourceContext, packages: Sequence[ResolvedPackage]
) -> dict[PackageRef, tuple[str, ...]]:
    """The verified PEP 740 publishers of each package, as an approval records them (``full_identity``).

    Through the audit's own Integrity source, so ``publisher-changed`` compares like with like. A
    package whose provenance is unknown or does not verify records nothing: an approval never stores
    a claim as a fact.
    """
    graph = DependencyGraph()
    for package in packages:
        graph.add_package(package)
    facts = await collect_facts(graph, context, sources=["integrity"])
    out: dict[PackageRef, tuple[str, ...]] = {}
    for package in packages:
        known = facts.get(package.ref)
        prov = None if known is None else known.provenance
        if isinstance(prov, Known) and prov.value.verified and prov.value.publishers:
            out[package.ref] = tuple(sorted({p.full_identity for p in prov.value.publishers}))
    return out


async def check(
    packages: Sequence[ResolvedPackage], allowlist: Allowlist, today: date, learn: Learn
) -> CheckReport:
    """The audit's coverage; facts are learned only for packages a trust names and no pin covers."""
    first = coverage(allowlist, packages, {}, today)
    trusted = trusted_names(allowlist)
    need = [c.package for c in first.packages if c.by is None and c.ref.name in trusted]
    if not need:
        return CheckReport(coverage=first)
    return CheckReport(coverage=coverage(allowlist, packages, await learn(need), today))


@dataclass(frozen=True, slots=True, kw_only=True)
class Review:
    """One package to review: a delta from ``base`` when some version was approved, else a full review."""

    ref: PackageRef
    base: Version | None
    changes: tuple[Change, ...]
    unknown: str | None = None  # why facts could not be compared

    @property
    def kind(self) -> str:
        """``delta`` when compared with a reviewed version, ``full`` when none was ever reviewed."""
        return "delta" if self.base is not None else "full"

    @property
    def risk(self) -> int:
        """Triage weight for the queue; facts that could not be compared add 5, as they need a closer look."""
        return risk(self.changes) + (5 if self.unknown else 0)

    def json(self) -> dict[str, JSON]:
        """One review as the JSON outputs of ``allowlist propose`` and ``allowlist diff`` show it."""
        return {
            "package": str(self.ref),
            "kind": self.kind,
            "base": None if self.base is None else str(self.base),
            "risk": self.risk,
            "changes": [change.json() for change in self.changes],
            "unknown": self.unknown,
        }


def reviewed_versions(name: str, allowlist: Allowlist) -> list[Version]:
    """Versions someone once accepted (expired ones too: they were still reviewed), imported ones included."""
    imported = [a for other in allowlist.imported for a in other.approvals]
    entries: list[Approval | Baseline] = [*allowlist.approvals, *allowlist.baselines, *imported]
    return sorted({v for e in entries if e.name == name for v in e.versions})


def delta_base(version: Version, reviewed: list[Version]) -> Version | None:
    """The closest reviewed version below the new one, else the lowest above it."""
    below = [v for v in reviewed if v < version]
    above = [v for v in reviewed if v > version]
    return below[-1] if below else (above[0] if above else None)


async def propose(
    packages: Sequence[ResolvedPackage], allowlist: Allowlist, today: date, fetch: Fetch, learn: Learn
) -> tuple[Review, ...]:
    """Everything not covered now, riskiest first, each with its evidence."""
    report = await check(packages, allowlist, today, learn)
    return tuple(
        sorted(
            await asyncio.gather(*(_review(c.ref, allowlist, fetch) for c in report.uncovered)),
            key=lambda r: (-r.risk, r.ref),
        )
    )


async def _review(ref: PackageRef, allowlist: Allowlist, fetch: Fetch) -> Review:
    base = delta_base(ref.version, reviewed_versions(ref.name, allowlist))
    new = await fetch(ref)
    if base is None:
        if isinstance(new, Unknown):
            return Review(ref=ref, base=None, changes=(), unknown=new.reason)
        return Review(ref=ref, base=None, changes=full_review_evidence(new.value))
    old = await fetch(PackageRef(name=ref.name, version=base))
    match old, new:
        case Known(value=before), Known(value=after):
            return Review(ref=ref, base=base, changes=compare(before, after))
        case Unknown(reason=reason), _:
            return Review(ref=ref, base=base, changes=(), unknown=f"{ref.name}=={base}: {reason}")
        case _, Unknown(reason=reason):
            return Review(ref=ref, base=base, changes=(), unknown=f"{ref}: {reason}")
    raise AssertionError("unreachable: every signal is Known or Unknown")


@dataclass(frozen=True, slots=True, kw_only=True)
class Diff:
    """``allowlist diff``: packages added and removed, each bumped one reviewed against its old version."""

    added: tuple[PackageRef, ...]
    removed: tuple[PackageRef, ...]
    bumped: tuple[Review, ...]  # base = the old version

    def json(self) -> dict[str, JSON]:
        """``allowlist diff --format json``; lists sorted, so the same inputs give the same document."""
        return {
            "added": [str(r) for r in self.added],
            "removed": [str(r) for r in self.removed],
            "bumped": [review.json() for review in self.bumped],
        }


async def diff(old: Sequence[ResolvedPackage], new: Sequence[ResolvedPackage], fetch: Fetch) -> Diff:
    """Added, removed and changed versions between two inputs; each change with its delta evidence.

    A name may be at several versions (a lock's forks): a new version of a name that lost one is a
    bump from the highest version it lost; other new versions are added, other lost ones removed.
    """
    before, after = _versions(old), _versions(new)
    bumped: list[tuple[PackageRef, PackageRef]] = []
    added: list[PackageRef] = []
    removed: list[PackageRef] = []
    for name in sorted(set(before) | set(after)):
        gone = sorted(before.get(name, set()) - after.get(name, set()))
        came = sorted(after.get(name, set()) - before.get(name, set()))
        if gone and came:
            bumped.extend((gone[-1], ref) for ref in came)
            removed.extend(gone[:-1])
        else:
            added.extend(came)
            removed.extend(gone)

    async def one(pair: tuple[PackageRef, PackageRef]) -> Review:
        approval = Approval(
            name=pair[0].name, versions=(pair[0].version,), reviewer="-", reason="-", expires=date.max
        )
        return await _review(pair[1], Allowlist(approvals=(approval,)), fetch)

    reviews = await asyncio.gather(*(one(pair) for pair in bumped))
    return Diff(added=tuple(sorted(added)), removed=tuple(sorted(removed)), bumped=tuple(reviews))


def _versions(packages: Sequence[ResolvedPackage]) -> dict[str, set[PackageRef]]:
    found: dict[str, set[PackageRef]] = {}
    for package in packages:
        found.setdefault(package.ref.name, set()).add(package.ref)
    return found
