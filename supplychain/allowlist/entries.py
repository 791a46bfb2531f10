"""The allowlist and exemptions entries as typed values, for audit and curation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from packaging.utils import NormalizedName
from packaging.version import Version

from supplychain.model import Location

FORMAT_VERSION = 1
MAX_VALIDITY = dt.timedelta(days=366)  # "at most one year": a leap year's 366 days still count as one


def located(path: str, line: int | None, what: str) -> str:
    """How audit reports name an entry: ``file:line (what)``."""
    return f"{Location(file=path, line=line)} ({what})"


def _joined(versions: tuple[Version, ...]) -> str:
    return ",".join(str(v) for v in versions)


@dataclass(frozen=True, slots=True, kw_only=True)
class Approval:
    """A security review of exact versions (``[[approve]]``); ``line`` is where it was read, not identity."""

    name: NormalizedName
    versions: tuple[Version, ...]
    reviewer: str
    reason: str
    expires: dt.date
    hashes: tuple[str, ...] = ()
    approved: dt.date | None = None
    criteria: tuple[str, ...] = ()
    waive: tuple[str, ...] = ()  # rule ids downgraded to warn; ``data-unknown`` covers unknown facts
    facts: tuple[str, ...] = ()  # only these facts' ``data-unknown`` findings (none: every fact's)
    # PEP 740 publishers of the approved versions (``Publisher.full_identity``); () when not recorded.
    # A later version published by anyone else is ``publisher-changed``.
    publishers: tuple[str, ...] = ()
    line: int | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        """How reports and ``allowlist`` commands name this entry."""
        return f"approve {self.name}=={_joined(self.versions)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Trust:
    """A trusted publisher or organisation, covering new versions of ``packages`` (``[[trust]]``)."""

    packages: tuple[NormalizedName, ...]
    reviewer: str
    reason: str
    expires: dt.date
    publisher: str | None = None  # a lower-case PEP 740 identity kind:repository
    organization: str | None = None
    # A PyPI account known to be a company's shared one: covers while it is the only account with a role.
    account: str | None = None
    workflow: str | None = None
    line: int | None = field(default=None, compare=False)

    @property
    def identity(self) -> str:
        """The trusted publisher, ``account:NAME`` or ``organization:NAME``: what a release must match."""
        if self.publisher is not None:
            return self.publisher
        if self.account is not None:
            return f"account:{self.account}"
        return f"organization:{self.organization}"

    @property
    def label(self) -> str:
        """How reports and ``allowlist`` commands name this entry."""
        return f"trust {self.identity} ({', '.join(self.packages)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """Today's set accepted as-is at adoption (``[[baseline]]``, written by ``allowlist init``)."""

    name: NormalizedName
    versions: tuple[Version, ...]
    recorded: dt.date
    expires: dt.date
    reason: str = "baseline at adoption"
    hashes: tuple[str, ...] = ()
    line: int | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        """How reports and ``allowlist`` commands name this entry."""
        return f"baseline {self.name}=={_joined(self.versions)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Import:
    """Another team's allowlist; only its approvals with ``criteria`` count, and not its imports."""

    path: str
    criteria: tuple[str, ...] = ()
    line: int | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        """How reports and ``allowlist`` commands name this entry."""
        return f"import {self.path}"


Entry = Approval | Trust | Baseline


@dataclass(frozen=True, slots=True, kw_only=True)
class Allowlist:
    """One allowlist file as read: its own entries and the approvals its imports lend it."""

    path: str = "allowlist.toml"
    approvals: tuple[Approval, ...] = ()
    trusts: tuple[Trust, ...] = ()
    baselines: tuple[Baseline, ...] = ()
    imports: tuple[Import, ...] = ()
    # The imported files (load_allowlist only), each keeping just the approvals its import counts.
    imported: tuple[Allowlist, ...] = ()

    @property
    def entries(self) -> tuple[Entry, ...]:
        """This file's own entries, imported ones not included."""
        return (*self.approvals, *self.trusts, *self.baselines)


@dataclass(frozen=True, slots=True, kw_only=True)
class Exemption:
    """A reviewed, expiring waiver of one rule, advisory or fact for a package (``exemptions.toml``)."""

    name: NormalizedName
    reason: str
    expires: dt.date
    versions: tuple[Version, ...] = ()  # empty: all versions
    rule: str | None = None
    advisory: str | None = None
    rules: tuple[str, ...] = ()  # more rule ids, as ``rules = [...]``; ``data-unknown`` covers unknown facts
    facts: tuple[str, ...] = ()  # only these facts' ``data-unknown`` findings (none: every fact's)
    line: int | None = field(default=None, compare=False)

    @property
    def named_rules(self) -> tuple[str, ...]:
        """``rule`` and ``rules`` together: what the exemption suppresses, by rule id."""
        return (self.rule, *self.rules) if self.rule is not None else self.rules


@dataclass(frozen=True, slots=True, kw_only=True)
class Exemptions:
    """The waivers of one file; an expired or unused waiver is reported, never silently kept."""

    path: str
    entries: tuple[Exemption, ...] = ()


def validity_problem(start: dt.date, expires: dt.date) -> str | None:
    """Every entry expires at most one year after it starts: approvals are renewed, not granted longer."""
    if expires - start > MAX_VALIDITY:
        return f"{expires} is more than one year after {start}"
    return None
