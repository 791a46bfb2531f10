"""The allowlist file (CONTRACTS.md format): typed entries, a strict reader, a sorted diff-friendly writer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import tomli_w
from packaging.utils import NormalizedName
from packaging.version import InvalidVersion, Version

from supplychain.errors import PolicyError
from supplychain.model import Location, normalize
from supplychain.tomlfile import load_toml, loads_toml

FORMAT_VERSION = 1
MAX_VALIDITY_DAYS = 366  # "at most one year": a leap year's 366 days still count as one year
HEADER = (
    "# Security team allowlist, written by `supplychain allowlist`; changes go through code review.\n"
    "# Entries are sorted; every entry expires within a year.\n\n"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Approval:
    """A security review of exact versions of one package."""

    name: NormalizedName
    versions: tuple[str, ...]
    hashes: tuple[str, ...] = ()
    reviewer: str
    reason: str
    expires: date
    approved: date | None = None
    criteria: tuple[str, ...] = ()
    waive: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"approve {self.name}=={','.join(self.versions)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Trust:
    """A trusted publisher (PEP 740 identity) or PyPI organisation, covering new versions it publishes."""

    publisher: str | None = None
    organization: str | None = None
    workflow: str | None = None
    packages: tuple[NormalizedName, ...]
    reviewer: str
    reason: str
    expires: date
    approved: date | None = None

    @property
    def identity(self) -> str:
        return self.publisher if self.publisher is not None else f"organization:{self.organization}"

    @property
    def label(self) -> str:
        return f"trust {self.identity} ({', '.join(self.packages)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """A version accepted as-is when the allowlist was adopted (``allowlist init``)."""

    name: NormalizedName
    versions: tuple[str, ...]
    hashes: tuple[str, ...] = ()
    recorded: date
    expires: date
    reason: str = "baseline at adoption"

    @property
    def label(self) -> str:
        return f"baseline {self.name}=={','.join(self.versions)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Import:
    """Another team's allowlist: only its approvals with ``criteria`` count, and never its imports."""

    path: str
    criteria: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"import {self.path}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Allowlist:
    approvals: tuple[Approval, ...] = ()
    trusts: tuple[Trust, ...] = ()
    baselines: tuple[Baseline, ...] = ()
    imports: tuple[Import, ...] = ()
    path: str = "allowlist.toml"

    def sorted(self) -> Allowlist:
        """Entries in the canonical order the writer uses: by name, then versions."""
        return Allowlist(
            approvals=tuple(sorted(self.approvals, key=lambda a: (a.name, _version_key(a.versions)))),
            trusts=tuple(sorted(self.trusts, key=lambda t: (t.identity, t.packages, t.workflow or ""))),
            baselines=tuple(sorted(self.baselines, key=lambda b: (b.name, _version_key(b.versions)))),
            imports=tuple(sorted(self.imports, key=lambda i: i.path)),
            path=self.path,
        )


def _version_key(versions: Iterable[str]) -> tuple[Version, ...]:
    return tuple(sorted(Version(v) for v in versions))


def expiry_problem(expires: date, start: date) -> str | None:
    """Expiry is mandatory and at most one year after the entry's start."""
    if (expires - start).days > MAX_VALIDITY_DAYS:
        return f"expires {expires} is more than one year after {start}"
    return None


def one_year_after(day: date) -> date:
    """The same calendar day next year (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


# --- reading ----------------------------------------------------------------------------------


class _Reader:
    """Typed getters that collect every problem with its line, so one run reports them all."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.problems: list[tuple[Location, str]] = []

    def line_of(self, table: str, index: int) -> int | None:
        seen = -1
        for number, line in enumerate(self.lines, start=1):
            if line.strip().startswith(f"[[{table}]]"):
                seen += 1
                if seen == index:
                    return number
        return None

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append((Location(file=self.path, line=line), message))

    def string(
        self, entry: dict[str, Any], key: str, line: int | None, where: str, *, required: bool = True
    ) -> str | None:
        value = entry.get(key)
        if value is None:
            if required:
                self.problem(line, f"{where}.{key} is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(line, f"{where}.{key} must be a non-empty string")
            return None
        return value

    def strings(self, entry: dict[str, Any], key: str, line: int | None, where: str) -> tuple[str, ...]:
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.problem(line, f"{where}.{key} must be a list of strings")
            return ()
        return tuple(value)

    def day(
        self, entry: dict[str, Any], key: str, line: int | None, where: str, *, required: bool
    ) -> date | None:
        value = entry.get(key)
        if value is None:
            if required:
                self.problem(line, f"{where}.{key} is required (a TOML date such as 2027-06-01)")
            return None
        if not isinstance(value, date) or hasattr(value, "hour"):
            self.problem(line, f"{where}.{key} must be a TOML date such as 2027-06-01")
            return None
        return value

    def versions(self, entry: dict[str, Any], line: int | None, where: str) -> tuple[str, ...]:
        versions = self.strings(entry, "versions", line, where)
        if not versions:
            self.problem(line, f"{where}.versions must list at least one exact version")
        for version in versions:
            try:
                Version(version)
            except InvalidVersion:
                self.problem(line, f"{where}.versions: {version!r} is not a PEP 440 version")
                return ()
        return versions

    def keys(self, entry: dict[str, Any], allowed: set[str], line: int | None, where: str) -> None:
        for key in sorted(set(entry) - allowed):
            self.problem(line, f"{where}: unknown key {key!r} (known: {', '.join(sorted(allowed))})")

    def expiry(
        self, expires: date | None, start: date | None, today: date, line: int | None, where: str
    ) -> None:
        if expires is not None:
            problem = expiry_problem(expires, start or today)
            if problem:
                self.problem(line, f"{where}: {problem}")


_APPROVE_KEYS = {
    "name",
    "versions",
    "hashes",
    "reviewer",
    "reason",
    "expires",
    "approved",
    "criteria",
    "waive",
}
_TRUST_KEYS = {
    "publisher",
    "organization",
    "workflow",
    "packages",
    "reviewer",
    "reason",
    "expires",
    "approved",
}
_BASELINE_KEYS = {"name", "versions", "hashes", "recorded", "expires", "reason"}
_IMPORT_KEYS = {"path", "criteria"}


def read_allowlist(path: Path, today: date) -> Allowlist:
    """Parse ``path``; every problem is reported at once as a PolicyError with file:line."""
    data = load_toml(path)  # syntax errors: InputError with the line, exit 2 like PolicyError
    return parse_allowlist(data, path.read_text(encoding="utf-8"), str(path), today)


def loads_allowlist(text: str, file: str, today: date) -> Allowlist:
    return parse_allowlist(loads_toml(text, file), text, file, today)


def parse_allowlist(data: dict[str, Any], text: str, file: str, today: date) -> Allowlist:
    reader = _Reader(file, text)
    if data.get("version") != FORMAT_VERSION:
        reader.problem(reader_line(reader, "version"), f"version must be {FORMAT_VERSION}")
    for key in sorted(set(data) - {"version", "approve", "trust", "baseline", "import"}):
        reader.problem(reader_line(reader, key), f"unknown top-level key {key!r}")
    approvals = [
        _approval(reader, entry, i, today) for i, entry in enumerate(_tables(reader, data, "approve"))
    ]
    trusts = [_trust(reader, entry, i, today) for i, entry in enumerate(_tables(reader, data, "trust"))]
    baselines = [
        _baseline(reader, entry, i, today) for i, entry in enumerate(_tables(reader, data, "baseline"))
    ]
    imports = [_import(reader, entry, i) for i, entry in enumerate(_tables(reader, data, "import"))]
    if reader.problems:
        raise PolicyError(reader.problems)
    return Allowlist(
        approvals=tuple(a for a in approvals if a is not None),
        trusts=tuple(t for t in trusts if t is not None),
        baselines=tuple(b for b in baselines if b is not None),
        imports=tuple(i for i in imports if i is not None),
        path=file,
    )


def reader_line(reader: _Reader, key: str) -> int | None:
    for number, line in enumerate(reader.lines, start=1):
        if line.split("=", 1)[0].strip() == key:
            return number
    return None


def _tables(reader: _Reader, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        reader.problem(reader_line(reader, key), f"{key} must be an array of tables ([[{key}]])")
        return []
    return value


def _approval(reader: _Reader, entry: dict[str, Any], index: int, today: date) -> Approval | None:
    line, where = reader.line_of("approve", index), f"approve[{index}]"
    before = len(reader.problems)
    reader.keys(entry, _APPROVE_KEYS, line, where)
    name = reader.string(entry, "name", line, where)
    versions = reader.versions(entry, line, where)
    hashes = reader.strings(entry, "hashes", line, where)
    reviewer = reader.string(entry, "reviewer", line, where)
    reason = reader.string(entry, "reason", line, where)
    expires = reader.day(entry, "expires", line, where, required=True)
    approved = reader.day(entry, "approved", line, where, required=False)
    criteria = reader.strings(entry, "criteria", line, where)
    waive = reader.strings(entry, "waive", line, where)
    if "malicious" in waive:
        reader.problem(line, f"{where}.waive: the malicious rule can never be waived")
    reader.expiry(expires, approved, today, line, where)
    if len(reader.problems) > before or None in (name, reviewer, reason, expires):
        return None
    assert name is not None and reviewer is not None and reason is not None  # noqa: PT018 - narrowing
    assert expires is not None
    return Approval(
        name=normalize(name),
        versions=versions,
        hashes=tuple(sorted(set(hashes))),
        reviewer=reviewer,
        reason=reason,
        expires=expires,
        approved=approved,
        criteria=tuple(sorted(set(criteria))),
        waive=tuple(sorted(set(waive))),
    )


def _trust(reader: _Reader, entry: dict[str, Any], index: int, today: date) -> Trust | None:
    line, where = reader.line_of("trust", index), f"trust[{index}]"
    before = len(reader.problems)
    reader.keys(entry, _TRUST_KEYS, line, where)
    publisher = reader.string(entry, "publisher", line, where, required=False)
    organization = reader.string(entry, "organization", line, where, required=False)
    if (publisher is None) == (organization is None):
        reader.problem(line, f"{where}: give exactly one of publisher or organization")
    if publisher is not None and (":" not in publisher or publisher != publisher.lower()):
        reader.problem(line, f"{where}.publisher must be a lower-case PEP 740 identity kind:repository")
    workflow = reader.string(entry, "workflow", line, where, required=False)
    packages = reader.strings(entry, "packages", line, where)
    if not packages:
        reader.problem(line, f"{where}.packages must name at least one package")
    reviewer = reader.string(entry, "reviewer", line, where)
    reason = reader.string(entry, "reason", line, where)
    expires = reader.day(entry, "expires", line, where, required=True)
    approved = reader.day(entry, "approved", line, where, required=False)
    reader.expiry(expires, approved, today, line, where)
    if len(reader.problems) > before or None in (reviewer, reason, expires):
        return None
    assert reviewer is not None and reason is not None  # noqa: PT018 - narrowing
    assert expires is not None
    return Trust(
        publisher=publisher,
        organization=organization,
        workflow=workflow,
        packages=tuple(sorted({normalize(p) for p in packages})),
        reviewer=reviewer,
        reason=reason,
        expires=expires,
        approved=approved,
    )


def _baseline(reader: _Reader, entry: dict[str, Any], index: int, today: date) -> Baseline | None:
    line, where = reader.line_of("baseline", index), f"baseline[{index}]"
    before = len(reader.problems)
    reader.keys(entry, _BASELINE_KEYS, line, where)
    name = reader.string(entry, "name", line, where)
    versions = reader.versions(entry, line, where)
    hashes = reader.strings(entry, "hashes", line, where)
    recorded = reader.day(entry, "recorded", line, where, required=True)
    expires = reader.day(entry, "expires", line, where, required=True)
    reason = reader.string(entry, "reason", line, where, required=False) or "baseline at adoption"
    reader.expiry(expires, recorded, today, line, where)
    if len(reader.problems) > before or None in (name, recorded, expires):
        return None
    assert name is not None and recorded is not None  # noqa: PT018 - narrowing
    assert expires is not None
    return Baseline(
        name=normalize(name),
        versions=versions,
        hashes=tuple(sorted(set(hashes))),
        recorded=recorded,
        expires=expires,
        reason=reason,
    )


def _import(reader: _Reader, entry: dict[str, Any], index: int) -> Import | None:
    line, where = reader.line_of("import", index), f"import[{index}]"
    before = len(reader.problems)
    reader.keys(entry, _IMPORT_KEYS, line, where)
    path = reader.string(entry, "path", line, where)
    criteria = reader.strings(entry, "criteria", line, where)
    if len(reader.problems) > before or path is None:
        return None
    return Import(path=path, criteria=tuple(sorted(set(criteria))))


# --- writing ----------------------------------------------------------------------------------


def dumps_allowlist(allowlist: Allowlist) -> str:
    """Canonical TOML: sorted entries, optional keys only when set, so diffs show just what changed."""
    canonical = allowlist.sorted()
    document: dict[str, Any] = {"version": FORMAT_VERSION}
    if canonical.approvals:
        document["approve"] = [_approval_table(a) for a in canonical.approvals]
    if canonical.trusts:
        document["trust"] = [_trust_table(t) for t in canonical.trusts]
    if canonical.baselines:
        document["baseline"] = [_baseline_table(b) for b in canonical.baselines]
    if canonical.imports:
        document["import"] = [
            _drop_empty({"path": i.path, "criteria": list(i.criteria)}) for i in canonical.imports
        ]
    return HEADER + tomli_w.dumps(document, multiline_strings=False)


def _drop_empty(table: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in table.items() if value is not None and value != []}


def _approval_table(a: Approval) -> dict[str, Any]:
    return _drop_empty(
        {
            "name": a.name,
            "versions": [str(v) for v in sorted(a.versions, key=Version)],
            "hashes": list(a.hashes),
            "reviewer": a.reviewer,
            "reason": a.reason,
            "expires": a.expires,
            "approved": a.approved,
            "criteria": list(a.criteria),
            "waive": list(a.waive),
        }
    )


def _trust_table(t: Trust) -> dict[str, Any]:
    return _drop_empty(
        {
            "publisher": t.publisher,
            "organization": t.organization,
            "workflow": t.workflow,
            "packages": list(t.packages),
            "reviewer": t.reviewer,
            "reason": t.reason,
            "expires": t.expires,  # no ``approved`` key: CONTRACTS.md's [[trust]] has none
        }
    )


def _baseline_table(b: Baseline) -> dict[str, Any]:
    table = _drop_empty(
        {
            "name": b.name,
            "versions": [str(v) for v in sorted(b.versions, key=Version)],
            "recorded": b.recorded,
            "expires": b.expires,
            "reason": b.reason,
        }
    )
    table["hashes"] = list(b.hashes)  # always present: the contract shows ``hashes = []`` for baselines
    return table
