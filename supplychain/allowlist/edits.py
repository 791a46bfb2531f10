"""The write side of curation: each command is a pure Allowlist -> Allowlist edit, applied under a lock."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from supplychain.allowlist.coverage import coverage
from supplychain.allowlist.entries import Allowlist, Approval, Baseline, Import, Trust, validity_problem
from supplychain.allowlist.reader import read_allowlist
from supplychain.allowlist.writer import canonical, dumps_allowlist, one_year_after
from supplychain.errors import UsageError
from supplychain.files import exclusive, write_atomic
from supplychain.model import PackageRef, ResolvedPackage, normalize


def load_or_empty(path: Path, today: date) -> Allowlist:
    """The allowlist at ``path``, or an empty one when there is no file yet: the first edit creates it."""
    return read_allowlist(path, today) if path.exists() else Allowlist(path=str(path))


def update(path: Path, today: date, edit: Callable[[Allowlist], Allowlist]) -> Allowlist:
    """Read, edit and atomically rewrite ``path`` while holding its lock; returns what was written."""
    with exclusive(path):
        current = load_or_empty(path, today)
        changed = canonical(dataclasses.replace(edit(current), path=str(path)))
        write_atomic(path, dumps_allowlist(changed))
        return changed


def check_expiry(expires: date, today: date) -> None:
    """``--expires`` from today to one year ahead: approvals are renewed, not granted for longer."""
    if expires < today:
        raise UsageError(f"--expires {expires} is in the past")
    problem = validity_problem(today, expires)
    if problem:
        raise UsageError(f"--expires {problem}; approvals are renewed, not granted for longer")


def baseline(packages: Sequence[ResolvedPackage], today: date) -> Callable[[Allowlist], Allowlist]:
    """``init``: accept today's set as-is, adding only what no live entry covers yet."""

    def edit(allowlist: Allowlist) -> Allowlist:
        added = tuple(
            Baseline(
                name=c.ref.name,
                versions=(c.ref.version,),
                hashes=c.package.origin.file_hashes,
                recorded=today,
                expires=one_year_after(today),
            )
            for c in coverage(allowlist, packages, {}, today).packages
            if c.by is None
        )
        return dataclasses.replace(allowlist, baselines=allowlist.baselines + added)

    return edit


def parse_pin(spec: str) -> PackageRef:
    """``name==version`` exactly; approvals are never ranges."""
    try:
        requirement = Requirement(spec)
    except InvalidRequirement:
        raise UsageError(f"{spec!r} is not name==version") from None
    specs = list(requirement.specifier)
    if len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
        raise UsageError(f"{spec!r}: approve exact versions as name==version")
    return PackageRef.of(requirement.name, specs[0].version)


def approve(
    refs: Sequence[PackageRef],
    *,
    hashes: dict[PackageRef, tuple[str, ...]],
    reviewer: str,
    reason: str,
    expires: date,
    today: date,
    criteria: Sequence[str] = (),
    waive: Sequence[str] = (),
    publishers: dict[PackageRef, tuple[str, ...]] | None = None,
) -> Callable[[Allowlist], Allowlist]:
    """One approval per package; re-approving the same versions replaces (renews) the old entry.

    ``publishers``: the verified PEP 740 publishers of each approved version, recorded so a later
    version from anyone else is ``publisher-changed``.
    """
    check_expiry(expires, today)
    if "malicious" in waive:
        raise UsageError("the malicious rule can never be waived")

    def edit(allowlist: Allowlist) -> Allowlist:
        new = tuple(
            Approval(
                name=ref.name,
                versions=(ref.version,),
                hashes=hashes.get(ref, ()),
                reviewer=reviewer,
                reason=reason,
                expires=expires,
                approved=today,
                criteria=tuple(sorted(set(criteria))),
                waive=tuple(sorted(set(waive))),
                publishers=(publishers or {}).get(ref, ()),
            )
            for ref in refs
        )
        keys = {(a.name, a.versions) for a in new}
        kept = tuple(a for a in allowlist.approvals if (a.name, a.versions) not in keys)
        return dataclasses.replace(allowlist, approvals=kept + new)

    return edit


def trust(
    *,
    publisher: str | None,
    organization: str | None,
    workflow: str | None,
    account: str | None = None,
    packages: Sequence[str],
    reviewer: str,
    reason: str,
    expires: date,
    today: date,
) -> Callable[[Allowlist], Allowlist]:
    """Trust a publisher (``kind:repository``), a PyPI organisation or a company's shared PyPI account.

    Exactly one of the three; the same trust (identity, workflow, packages) again replaces the old entry.
    """
    check_expiry(expires, today)
    if [publisher, organization, account].count(None) != 2:
        raise UsageError("give exactly one of --publisher, --organization or --account")
    if publisher is not None and ":" not in publisher:
        raise UsageError(f"--publisher {publisher!r} must be kind:repository, e.g. github:pytorch/pytorch")
    if not packages:
        raise UsageError("name the packages this trust covers with --package")
    entry = Trust(
        publisher=publisher.lower() if publisher else None,
        organization=organization,
        account=account,
        workflow=workflow,
        packages=tuple(sorted({normalize(p) for p in packages})),
        reviewer=reviewer,
        reason=reason,
        expires=expires,
    )

    def edit(allowlist: Allowlist) -> Allowlist:
        kept = tuple(
            t
            for t in allowlist.trusts
            if (t.identity, t.workflow, t.packages) != (entry.identity, entry.workflow, entry.packages)
        )
        return dataclasses.replace(allowlist, trusts=(*kept, entry))

    return edit


def prune(
    packages: Sequence[ResolvedPackage] | None, today: date, removed: list[str]
) -> Callable[[Allowlist], Allowlist]:
    """Drop expired entries, and (when an environment is given) entries naming nothing in it."""

    def edit(allowlist: Allowlist) -> Allowlist:
        state = coverage(allowlist, packages or (), {}, today)
        gone = [*state.expired, *(state.unused if packages is not None else ())]
        removed.extend(held.label for held in gone)
        dropped = [held.entry for held in gone]
        return dataclasses.replace(
            allowlist,
            approvals=tuple(a for a in allowlist.approvals if a not in dropped),
            trusts=tuple(t for t in allowlist.trusts if t not in dropped),
            baselines=tuple(b for b in allowlist.baselines if b not in dropped),
        )

    return edit


def add_import(path: str, criteria: Sequence[str]) -> Callable[[Allowlist], Allowlist]:
    """Count another allowlist's approvals carrying all of ``criteria``; the same path again replaces it."""
    entry = Import(path=path, criteria=tuple(sorted(set(criteria))))

    def edit(allowlist: Allowlist) -> Allowlist:
        kept = tuple(i for i in allowlist.imports if i.path != path)
        return dataclasses.replace(allowlist, imports=(*kept, entry))

    return edit
