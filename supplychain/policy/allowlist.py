"""Reading the allowlist and exemptions files (format in CONTRACTS.md); curation writes these same types."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName
from packaging.version import InvalidVersion, Version

from supplychain.errors import PolicyError
from supplychain.model import Advisory, Known, Location, PackageFacts, PackageRef, ResolvedPackage, normalize
from supplychain.policy.loader import parse_toml

MAX_VALIDITY = dt.timedelta(days=366)


@dataclass(frozen=True, slots=True, kw_only=True)
class Approval:
    """A security review of exact versions (``[[approve]]``)."""

    name: NormalizedName
    versions: tuple[Version, ...]
    reviewer: str
    reason: str
    expires: dt.date
    hashes: tuple[str, ...] = ()
    approved: dt.date | None = None
    criteria: tuple[str, ...] = ()
    waive: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Trust:
    """A trusted publisher or organisation, covering new versions of ``packages`` (``[[trust]]``)."""

    packages: tuple[NormalizedName, ...]
    reviewer: str
    reason: str
    expires: dt.date
    publisher: str | None = None
    organization: str | None = None
    workflow: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """Today's set accepted as-is at adoption (``[[baseline]]``)."""

    name: NormalizedName
    versions: tuple[Version, ...]
    recorded: dt.date
    expires: dt.date
    reason: str
    hashes: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Import:
    """Another team's allowlist; only its approvals with ``criteria`` count, and not its imports."""

    path: str
    criteria: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Allowlist:
    path: str
    approvals: tuple[Approval, ...] = ()
    trusts: tuple[Trust, ...] = ()
    baselines: tuple[Baseline, ...] = ()
    imports: tuple[Import, ...] = ()
    imported: tuple[Approval, ...] = ()  # approvals read from the imports, filtered by criteria


@dataclass(frozen=True, slots=True, kw_only=True)
class Exemption:
    name: NormalizedName
    reason: str
    expires: dt.date
    versions: tuple[Version, ...] = ()  # empty: all versions
    rule: str | None = None
    advisory: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Exemptions:
    path: str
    entries: tuple[Exemption, ...] = ()


def label(path: str, line: int | None, what: str) -> str:
    """How an entry is named in reports: ``file:line (what)``."""
    return f"{Location(file=path, line=line)} ({what})"


# --- matching -----------------------------------------------------------------------------------


def _hash_ok(entry_hashes: tuple[str, ...], package: ResolvedPackage) -> bool:
    """An entry's hashes cover the package unless both sides know hashes and none match."""
    return (
        not entry_hashes or not package.origin.hashes or bool(set(entry_hashes) & set(package.origin.hashes))
    )


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
    by_name = {p.ref.name: p for p in packages}
    for approval in (*allowlist.approvals, *allowlist.imported):
        name = label(allowlist.path, approval.line, f"approve {approval.name}")
        every.append(name)
        if approval.expires < today:
            expired.append(name)
            continue
        package = by_name.get(approval.name)
        if package and package.ref.version in approval.versions and _hash_ok(approval.hashes, package):
            covered.setdefault(package.ref.name, name)
            used.add(name)
            if approval.waive:
                waivers[package.ref.name] = (name, approval.waive)
    for trust in allowlist.trusts:
        name = label(allowlist.path, trust.line, f"trust {trust.publisher or trust.organization}")
        every.append(name)
        if trust.expires < today:
            expired.append(name)
            continue
        for package_name in trust.packages:
            package = by_name.get(package_name)
            if package and _trusted(trust, facts.get(package_name)):
                covered.setdefault(package_name, name)
                used.add(name)
    for baseline in allowlist.baselines:
        name = label(allowlist.path, baseline.line, f"baseline {baseline.name}")
        every.append(name)
        if baseline.expires < today:
            expired.append(name)
            continue
        package = by_name.get(baseline.name)
        if package and package.ref.version in baseline.versions and _hash_ok(baseline.hashes, package):
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


# --- parsing ------------------------------------------------------------------------------------

_TABLE = re.compile(r"^\s*\[\[\s*(\w+)\s*\]\]")


def _table_lines(text: str) -> dict[str, list[int]]:
    lines: dict[str, list[int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _TABLE.match(line)
        if match:
            lines.setdefault(match.group(1), []).append(number)
    return lines


class _Reader:
    """Typed getters over one array-of-tables entry, collecting every problem with its line."""

    def __init__(
        self,
        *,
        path: str,
        kind: str,
        index: int,
        line: int | None,
        entry: dict[str, Any],
        problems: list[tuple[Location, str]],
    ) -> None:
        self.path, self.kind, self.index, self.line, self.entry, self.problems = (
            path,
            kind,
            index,
            line,
            entry,
            problems,
        )

    def problem(self, key: str, message: str) -> None:
        where = Location(file=self.path, line=self.line)
        self.problems.append((where, f"{self.kind}[{self.index}].{key}: {message}"))

    def check_keys(self, allowed: set[str]) -> None:
        for key in sorted(set(self.entry) - allowed):
            self.problem(key, f"unknown key (known: {', '.join(sorted(allowed))})")

    def string(self, key: str, *, required: bool = True) -> str | None:
        value = self.entry.get(key)
        if value is None:
            if required:
                self.problem(key, "missing")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(key, "must be a non-empty string")
            return None
        return value

    def strings(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        value = self.entry.get(key)
        if value is None:
            if required:
                self.problem(key, "missing")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(key, "must be a list of strings")
            return ()
        return tuple(value)

    def versions(self, key: str, *, required: bool = True) -> tuple[Version, ...]:
        out: list[Version] = []
        for raw in self.strings(key, required=required):
            try:
                out.append(Version(raw))
            except InvalidVersion:
                self.problem(key, f"{raw!r} is not a valid version")
        return tuple(sorted(out))

    def date(self, key: str, *, required: bool = True) -> dt.date | None:
        value = self.entry.get(key)
        if value is None:
            if required:
                self.problem(key, "missing (a TOML date such as 2027-06-01)")
            return None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            self.problem(key, f"must be a TOML date such as 2027-06-01, not {value!r}")
            return None
        return value

    def hashes(self) -> tuple[str, ...]:
        values = self.strings("hashes")
        for digest in values:
            algorithm, _, hexdigest = digest.partition(":")
            if not algorithm or not re.fullmatch(r"[0-9a-f]+", hexdigest or "-"):
                self.problem("hashes", f"{digest!r} is not 'algorithm:hex'")
        return tuple(sorted(set(values)))


def _entries(
    data: dict[str, Any],
    kind: str,
    path: str,
    lines: dict[str, list[int]],
    problems: list[tuple[Location, str]],
) -> list[_Reader]:
    raw = data.get(kind, [])
    if not isinstance(raw, list):
        problems.append((Location(file=path, line=None), f"{kind} must be an array of tables ([[{kind}]])"))
        return []
    numbers = lines.get(kind, [])
    readers = []
    for index, entry in enumerate(raw):
        line = numbers[index] if index < len(numbers) else None
        if not isinstance(entry, dict):
            problems.append((Location(file=path, line=line), f"{kind}[{index}] must be a table"))
            continue
        readers.append(_Reader(path=path, kind=kind, index=index, line=line, entry=entry, problems=problems))
    return readers


def _header(data: dict[str, Any], path: str, allowed: set[str], problems: list[tuple[Location, str]]) -> None:
    if data.get("version") != 1:
        problems.append((Location(file=path, line=1), f"version must be 1, not {data.get('version')!r}"))
    for key in sorted(set(data) - allowed):
        problems.append(
            (Location(file=path, line=None), f"unknown key {key!r} (known: {', '.join(sorted(allowed))})")
        )


def _bound(reader: _Reader, start: dt.date | None, expires: dt.date | None) -> None:
    if start is not None and expires is not None and expires - start > MAX_VALIDITY:
        reader.problem("expires", f"{expires} is more than one year after {start}")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        reason = problem.strerror if isinstance(problem, OSError) else "not UTF-8 text"
        raise PolicyError([(Location(file=str(path)), f"cannot read: {reason}")]) from None


def _approval(r: _Reader, today: dt.date) -> Approval | None:
    r.check_keys(
        {"name", "versions", "hashes", "reviewer", "reason", "expires", "approved", "criteria", "waive"}
    )
    name, versions, hashes = r.string("name"), r.versions("versions"), r.hashes()
    reviewer, reason, expires = r.string("reviewer"), r.string("reason"), r.date("expires")
    approved = r.date("approved", required=False)
    _bound(r, approved or today, expires)
    waive = r.strings("waive")
    if "malicious" in waive:
        r.problem("waive", "'malicious' can never be waived")
    if not (name and reviewer and reason and expires):
        return None
    return Approval(
        name=normalize(name),
        versions=versions,
        hashes=hashes,
        reviewer=reviewer,
        reason=reason,
        expires=expires,
        approved=approved,
        criteria=r.strings("criteria"),
        waive=waive,
        line=r.line,
    )


def _trust(r: _Reader) -> Trust | None:
    r.check_keys({"publisher", "organization", "workflow", "packages", "reviewer", "reason", "expires"})
    publisher, org = r.string("publisher", required=False), r.string("organization", required=False)
    if (publisher is None) == (org is None):
        r.problem("publisher", "give exactly one of publisher or organization")
    packages = tuple(normalize(p) for p in r.strings("packages", required=True))
    reviewer, reason, expires = r.string("reviewer"), r.string("reason"), r.date("expires")
    if not (reviewer and reason and expires) or (publisher is None) == (org is None):
        return None
    return Trust(
        packages=packages,
        reviewer=reviewer,
        reason=reason,
        expires=expires,
        publisher=publisher.lower() if publisher else None,
        organization=org,
        workflow=r.string("workflow", required=False),
        line=r.line,
    )


def _baseline(r: _Reader) -> Baseline | None:
    r.check_keys({"name", "versions", "hashes", "recorded", "expires", "reason"})
    name, versions, hashes = r.string("name"), r.versions("versions"), r.hashes()
    recorded, expires, reason = r.date("recorded"), r.date("expires"), r.string("reason")
    _bound(r, recorded, expires)
    if not (name and recorded and expires and reason):
        return None
    return Baseline(
        name=normalize(name),
        versions=versions,
        hashes=hashes,
        recorded=recorded,
        expires=expires,
        reason=reason,
        line=r.line,
    )


def _import(r: _Reader) -> Import | None:
    r.check_keys({"path", "criteria"})
    import_path = r.string("path")
    return Import(path=import_path, criteria=r.strings("criteria"), line=r.line) if import_path else None


def load_allowlist(path: Path, today: dt.date, *, _follow_imports: bool = True) -> Allowlist:
    """Read and validate an allowlist; all problems at once as a PolicyError."""
    text = _read(path)
    data = parse_toml(text, str(path))
    where, lines = str(path), _table_lines(text)
    problems: list[tuple[Location, str]] = []
    _header(data, where, {"version", "approve", "trust", "baseline", "import"}, problems)
    approvals = [e for r in _entries(data, "approve", where, lines, problems) if (e := _approval(r, today))]
    trusts = [t for r in _entries(data, "trust", where, lines, problems) if (t := _trust(r))]
    baselines = [b for r in _entries(data, "baseline", where, lines, problems) if (b := _baseline(r))]
    imports = [i for r in _entries(data, "import", where, lines, problems) if (i := _import(r))]
    if problems:
        raise PolicyError(problems)
    imported: list[Approval] = []
    if _follow_imports:
        for entry in imports:
            other = load_allowlist(path.parent / entry.path, today, _follow_imports=False)
            wanted = set(entry.criteria)
            imported.extend(a for a in other.approvals if wanted <= set(a.criteria))
    return Allowlist(
        path=where,
        approvals=tuple(approvals),
        trusts=tuple(trusts),
        baselines=tuple(baselines),
        imports=tuple(imports),
        imported=tuple(imported),
    )


def load_exemptions(path: Path, today: dt.date, rule_ids: frozenset[str]) -> Exemptions:
    """Read and validate an exemptions file; ``malicious`` can never be exempted."""
    text = _read(path)
    data = parse_toml(text, str(path))
    where, lines = str(path), _table_lines(text)
    problems: list[tuple[Location, str]] = []
    _header(data, where, {"version", "exempt"}, problems)
    entries = []
    for r in _entries(data, "exempt", where, lines, problems):
        r.check_keys({"name", "versions", "rule", "advisory", "reason", "expires"})
        name, reason, expires = r.string("name"), r.string("reason"), r.date("expires")
        rule, advisory = r.string("rule", required=False), r.string("advisory", required=False)
        if (rule is None) == (advisory is None):
            r.problem("rule", "give exactly one of rule or advisory")
        elif rule is not None and rule not in rule_ids:
            r.problem("rule", f"unknown rule {rule!r} (known: {', '.join(sorted(rule_ids))})")
        elif rule == "malicious":
            r.problem("rule", "'malicious' can never be exempted")
        versions = r.versions("versions", required=False)
        if name and reason and expires:
            entries.append(
                Exemption(
                    name=normalize(name),
                    versions=versions,
                    rule=rule,
                    advisory=advisory,
                    reason=reason,
                    expires=expires,
                    line=r.line,
                )
            )
    if problems:
        raise PolicyError(problems)
    return Exemptions(path=where, entries=tuple(entries))
