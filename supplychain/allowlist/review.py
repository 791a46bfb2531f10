"""The curation questions: what is covered (check), what needs review now (propose), what changed (diff)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date

from packaging.version import Version

from supplychain.allowlist.coverage import (
    Coverage,
    Identity,
    cover,
    expired_entries,
    expiring_soon,
    identity_of,
    trusted_names,
    unused_entries,
)
from supplychain.allowlist.delta import Change, compare, full_review_evidence, risk
from supplychain.allowlist.release_facts import ReleaseFacts
from supplychain.allowlist.writer import Allowlist, Approval, Baseline
from supplychain.model import JSON, Known, PackageRef, ResolvedPackage, Signal, Unknown

Fetch = Callable[[PackageRef], Awaitable[Signal[ReleaseFacts]]]


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckReport:
    covered: tuple[Coverage, ...]
    uncovered: tuple[Coverage, ...]
    expired: tuple[str, ...]
    expiring: tuple[tuple[str, date], ...]
    unused: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.uncovered

    def json(self) -> dict[str, JSON]:
        return {
            "passed": self.passed,
            "covered": [{"package": str(c.ref), "by": c.covered_by} for c in self.covered],
            "not_covered": [{"package": str(c.ref), "expired": list(c.expired)} for c in self.uncovered],
            "expired_entries": list(self.expired),
            "expiring_soon": [{"entry": label, "expires": day.isoformat()} for label, day in self.expiring],
            "unused_entries": list(self.unused),
        }


async def identities(packages: Sequence[ResolvedPackage], fetch: Fetch) -> dict[PackageRef, Identity]:
    answers = await asyncio.gather(*(fetch(package.ref) for package in packages))
    result = {}
    for package, answer in zip(packages, answers, strict=True):
        if isinstance(answer, Known):
            result[package.ref] = identity_of(answer.value.publishers, answer.value.organization)
    return result


async def check(
    packages: Sequence[ResolvedPackage],
    allowlist: Allowlist,
    imported: Sequence[Approval],
    today: date,
    fetch: Fetch,
) -> CheckReport:
    """Cover every package; publisher facts are fetched only for packages a trust entry names."""
    first = [cover(p, allowlist, imported, today) for p in packages]
    trusted = trusted_names(allowlist)
    need = [p for p, c in zip(packages, first, strict=True) if c.covered_by is None and p.ref.name in trusted]
    known = await identities(need, fetch)
    final = [
        cover(p, allowlist, imported, today, known.get(p.ref))
        if c.covered_by is None and p.ref in known
        else c
        for p, c in zip(packages, first, strict=True)
    ]
    return CheckReport(
        covered=tuple(c for c in final if c.covered_by is not None),
        uncovered=tuple(c for c in final if c.covered_by is None),
        expired=expired_entries(allowlist, today),
        expiring=expiring_soon(allowlist, today),
        unused=unused_entries(allowlist, packages),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Review:
    """One package to review: a delta from ``base`` when some version was approved, else a full review."""

    ref: PackageRef
    base: Version | None
    changes: tuple[Change, ...]
    unknown: str | None = None  # why facts could not be compared

    @property
    def kind(self) -> str:
        return "delta" if self.base is not None else "full"

    @property
    def risk(self) -> int:
        return risk(self.changes) + (5 if self.unknown else 0)

    def json(self) -> dict[str, JSON]:
        return {
            "package": str(self.ref),
            "kind": self.kind,
            "base": None if self.base is None else str(self.base),
            "risk": self.risk,
            "changes": [change.json() for change in self.changes],
            "unknown": self.unknown,
        }


def reviewed_versions(name: str, allowlist: Allowlist, imported: Sequence[Approval]) -> list[Version]:
    """Versions someone once accepted (expired ones too: they were still reviewed)."""
    entries: list[Approval | Baseline] = [*allowlist.approvals, *allowlist.baselines, *imported]
    return sorted({v for e in entries if e.name == name for v in e.versions})


def delta_base(version: Version, reviewed: list[Version]) -> Version | None:
    """The closest reviewed version below the new one, else the lowest above it."""
    below = [v for v in reviewed if v < version]
    above = [v for v in reviewed if v > version]
    return below[-1] if below else (above[0] if above else None)


async def propose(
    packages: Sequence[ResolvedPackage],
    allowlist: Allowlist,
    imported: Sequence[Approval],
    today: date,
    fetch: Fetch,
) -> tuple[Review, ...]:
    """Everything not covered now, riskiest first, each with its evidence."""
    report = await check(packages, allowlist, imported, today, fetch)
    return tuple(
        sorted(
            await asyncio.gather(*(_review(c.ref, allowlist, imported, fetch) for c in report.uncovered)),
            key=lambda r: (-r.risk, r.ref),
        )
    )


async def _review(
    ref: PackageRef, allowlist: Allowlist, imported: Sequence[Approval], fetch: Fetch
) -> Review:
    base = delta_base(ref.version, reviewed_versions(ref.name, allowlist, imported))
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
    added: tuple[PackageRef, ...]
    removed: tuple[PackageRef, ...]
    bumped: tuple[Review, ...]  # base = the old version

    def json(self) -> dict[str, JSON]:
        return {
            "added": [str(r) for r in self.added],
            "removed": [str(r) for r in self.removed],
            "bumped": [review.json() for review in self.bumped],
        }


async def diff(old: Sequence[ResolvedPackage], new: Sequence[ResolvedPackage], fetch: Fetch) -> Diff:
    """Added, removed and changed versions between two inputs; each change with its delta evidence."""
    before = {p.ref.name: p.ref for p in old}
    after = {p.ref.name: p.ref for p in new}
    bumped = [(before[n], after[n]) for n in sorted(set(before) & set(after)) if before[n] != after[n]]

    async def one(pair: tuple[PackageRef, PackageRef]) -> Review:
        empty = Allowlist(baselines=())
        approval = Approval(
            name=pair[0].name, versions=(pair[0].version,), reviewer="-", reason="-", expires=date.max
        )
        return await _review(pair[1], empty, [approval], fetch)

    reviews = await asyncio.gather(*(one(pair) for pair in bumped))
    return Diff(
        added=tuple(sorted(after[n] for n in set(after) - set(before))),
        removed=tuple(sorted(before[n] for n in set(before) - set(after))),
        bumped=tuple(reviews),
    )
