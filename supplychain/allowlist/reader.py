"""The one strict reader of the allowlist and exemptions files.

The audit and the curation commands both read through here, so what an entry says cannot drift
between them; curation adds only the writer (``allowlist.writer``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from supplychain.allowlist.entries import (
    FORMAT_VERSION,
    Allowlist,
    Approval,
    Baseline,
    Exemption,
    Exemptions,
    Import,
    Trust,
    validity_problem,
)
from supplychain.errors import PolicyError
from supplychain.files import read_capped
from supplychain.locate import array_lines, top_level_line
from supplychain.model import FACT_NAMES, Location, normalize
from supplychain.tomlfile import MAX_TOML_BYTES, parse_toml

# --- the reader ---------------------------------------------------------------------------------

Problems = list[tuple[Location, str]]
# ``today`` is the UTC date; a reviewer east of UTC may already write tomorrow's date, never later.
_AHEAD_OF_UTC = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Entry:
    """Typed getters over one array-of-tables entry, collecting every problem with its file:line."""

    path: str
    kind: str
    index: int
    line: int | None
    entry: dict[str, Any]
    problems: Problems

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
        if required and not value:
            self.problem(key, "must list at least one")
        return tuple(value)

    def names(self, key: str) -> tuple[str, ...]:
        """A set of strings (criteria, waived rules): sorted and without repeats, as the writer keeps them."""
        return tuple(sorted(set(self.strings(key))))

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

    def bound(
        self, expires: dt.date | None, today: dt.date, since: tuple[str, dt.date | None] | None = None
    ) -> None:
        """At most a year from a start that has already happened (``since``: its key and date; none:
        today). A future ``approved`` or ``recorded`` date stretched the limit: ``approved =
        2030-07-01`` with ``expires = 2031-06-01`` passed as a one-year entry."""
        key, start = since if since is not None else ("", today)
        if start is None or expires is None:
            return
        if since is not None and start > today + _AHEAD_OF_UTC:
            self.problem(key, f"{start} is in the future (today is {today})")
        elif since is not None and start > expires:  # without a start date an entry simply expired
            self.problem(key, f"{start} is after expires {expires}")
        elif problem := validity_problem(start, expires):
            self.problem("expires", problem)


class _File:
    """One file's parsed TOML, its header checked, handing out its entries with their lines."""

    def __init__(self, text: str, path: str, kinds: set[str]) -> None:
        self.text, self.path = text, path
        self.problems: Problems = []
        self.data = parse_toml(text, path)
        version = self.data.get("version")
        if type(version) is not int or version != FORMAT_VERSION:  # ``version = true`` equals 1 in Python
            line = top_level_line(text, "version") or 1
            self.at(line, f"version must be {FORMAT_VERSION}, not {version!r}")
        known = {"version", *kinds}
        for key in sorted(set(self.data) - known):
            self.at(top_level_line(text, key), f"unknown key {key!r} (known: {', '.join(sorted(known))})")

    def at(self, line: int | None, message: str) -> None:
        self.problems.append((Location(file=self.path, line=line), message))

    def entries(self, kind: str) -> list[_Entry]:
        raw = self.data.get(kind, [])
        if not isinstance(raw, list):
            self.at(top_level_line(self.text, kind), f"{kind} must be an array of tables ([[{kind}]])")
            return []
        numbers = array_lines(self.text, kind)
        out = []
        for index, entry in enumerate(raw):
            line = numbers[index] if index < len(numbers) else top_level_line(self.text, kind)
            if not isinstance(entry, dict):
                self.at(line, f"{kind}[{index}] must be a table")
                continue
            out.append(
                _Entry(path=self.path, kind=kind, index=index, line=line, entry=entry, problems=self.problems)
            )
        return out

    def done(self) -> None:
        """Every problem of the file at once, or none."""
        if self.problems:
            raise PolicyError(self.problems)


def _read(path: Path) -> str:
    try:
        data = read_capped(path, MAX_TOML_BYTES)
        if data is None:
            raise PolicyError([(Location(file=str(path)), f"file is larger than {MAX_TOML_BYTES} bytes")])
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text did
    except (OSError, UnicodeDecodeError) as problem:
        reason = problem.strerror if isinstance(problem, OSError) else "not UTF-8 text"
        raise PolicyError([(Location(file=str(path)), f"cannot read: {reason}")]) from None


# --- entries ------------------------------------------------------------------------------------


def _facts(r: _Entry) -> tuple[str, ...]:
    """``facts = [...]``: fact names (``provenance``, ``maintainers``…) whose unknowns the entry covers."""
    facts = r.names("facts")
    for fact in facts:
        if fact not in FACT_NAMES:
            r.problem("facts", f"unknown fact {fact!r} (known: {', '.join(sorted(FACT_NAMES))})")
    return facts


def _publishers(r: _Entry) -> tuple[str, ...]:
    """``publishers = ["github:owner/repo@release.yml#pypi"]``: who published the approved versions."""
    publishers = r.names("publishers")
    for publisher in publishers:
        if ":" not in publisher:
            r.problem("publishers", f"{publisher!r} is not a PEP 740 identity kind:repository[@workflow]")
    return publishers


def _approval(r: _Entry, today: dt.date) -> Approval | None:
    r.check_keys(
        {"name", "versions", "hashes", "reviewer", "reason", "expires", "approved", "criteria", "waive"}
        | {"facts", "publishers"}
    )
    name, versions, hashes = r.string("name"), r.versions("versions"), r.hashes()
    reviewer, reason, expires = r.string("reviewer"), r.string("reason"), r.date("expires")
    approved = r.date("approved", required=False)
    r.bound(expires, today, ("approved", approved) if approved else None)
    waive = r.names("waive")
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
        criteria=r.names("criteria"),
        waive=waive,
        facts=_facts(r),
        publishers=_publishers(r),
        line=r.line,
    )


def _trust(r: _Entry, today: dt.date) -> Trust | None:
    r.check_keys(
        {"publisher", "organization", "account", "workflow", "packages", "reviewer", "reason", "expires"}
    )
    publisher, org = r.string("publisher", required=False), r.string("organization", required=False)
    account = r.string("account", required=False)
    one = [publisher, org, account].count(None) == 2
    if not one:
        r.problem("publisher", "give exactly one of publisher, organization or account")
    elif publisher is not None and ":" not in publisher:
        r.problem("publisher", f"{publisher!r} is not a PEP 740 identity kind:repository")
    packages = tuple(sorted({normalize(p) for p in r.strings("packages", required=True)}))
    reviewer, reason, expires = r.string("reviewer"), r.string("reason"), r.date("expires")
    r.bound(expires, today)  # a trust has no start date: at most a year from whenever it is read
    if not (reviewer and reason and expires) or not one:
        return None
    return Trust(
        packages=packages,
        reviewer=reviewer,
        reason=reason,
        expires=expires,
        publisher=publisher.lower() if publisher else None,
        organization=org,
        account=account,
        workflow=r.string("workflow", required=False),
        line=r.line,
    )


def _baseline(r: _Entry, today: dt.date) -> Baseline | None:
    r.check_keys({"name", "versions", "hashes", "recorded", "expires", "reason"})
    name, versions, hashes = r.string("name"), r.versions("versions"), r.hashes()
    recorded, expires = r.date("recorded"), r.date("expires")
    reason = r.string("reason", required=False) or "baseline at adoption"
    r.bound(expires, today, ("recorded", recorded))
    if not (name and recorded and expires):
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


def _import(r: _Entry) -> Import | None:
    r.check_keys({"path", "criteria"})
    import_path = r.string("path")
    return Import(path=import_path, criteria=r.names("criteria"), line=r.line) if import_path else None


# --- the public reader --------------------------------------------------------------------------


def loads_allowlist(text: str, path: str, today: dt.date) -> Allowlist:
    """Parse and validate allowlist text; every problem at once as a PolicyError with file:line."""
    file = _File(text, path, {"approve", "trust", "baseline", "import"})
    approvals = [a for r in file.entries("approve") if (a := _approval(r, today))]
    trusts = [t for r in file.entries("trust") if (t := _trust(r, today))]
    baselines = [b for r in file.entries("baseline") if (b := _baseline(r, today))]
    imports = [i for r in file.entries("import") if (i := _import(r))]
    file.done()
    return Allowlist(
        path=path,
        approvals=tuple(approvals),
        trusts=tuple(trusts),
        baselines=tuple(baselines),
        imports=tuple(imports),
    )


def read_allowlist(path: Path, today: dt.date) -> Allowlist:
    """The file as written, imports not followed: what curation edits and writes back."""
    return loads_allowlist(_read(path), str(path), today)


def _imported(allowlist: Allowlist, today: dt.date, base: Path) -> tuple[Allowlist, ...]:
    """Other teams' files, keeping the approvals with the criteria asked for; their imports not followed."""
    found: list[Allowlist] = []
    for entry in allowlist.imports:
        path = base / entry.path  # an absolute ``entry.path`` stays absolute
        if not path.is_file():
            where = Location(file=allowlist.path, line=entry.line)
            raise PolicyError([(where, f"{entry.label}: {path} does not exist")])
        wanted = set(entry.criteria)
        counted = tuple(a for a in read_allowlist(path, today).approvals if wanted <= set(a.criteria))
        found.append(Allowlist(path=str(path), approvals=counted))
    return tuple(found)


def load_allowlist(path: Path, today: dt.date) -> Allowlist:
    """The allowlist as it applies (audit and ``allowlist check`` alike): the file plus its imports."""
    allowlist = read_allowlist(path, today)
    return replace(allowlist, imported=_imported(allowlist, today, path.parent))


def loads_exemptions(text: str, path: str, rule_ids: frozenset[str]) -> Exemptions:
    """Parse and validate exemptions text; ``malicious`` can never be exempted."""
    file = _File(text, path, {"exempt"})
    entries = []
    for r in file.entries("exempt"):
        r.check_keys({"name", "versions", "rule", "rules", "facts", "advisory", "reason", "expires"})
        name, reason, expires = r.string("name"), r.string("reason"), r.date("expires")
        rule, advisory = r.string("rule", required=False), r.string("advisory", required=False)
        rules, facts = r.names("rules"), _facts(r)
        if rule is not None and rules:
            r.problem("rules", "give rule or rules, not both")
        if (rule is None and not rules and not facts) == (advisory is None):
            r.problem("rule", "give exactly one of rule (or rules, or facts) or advisory")
        for named in (rule, *rules) if rule is not None else rules:
            key = "rule" if named == rule else "rules"
            if named not in rule_ids:
                r.problem(key, f"unknown rule {named!r} (known: {', '.join(sorted(rule_ids))})")
            elif named == "malicious":
                r.problem(key, "'malicious' can never be exempted")
        versions = r.versions("versions", required=False)
        if name and reason and expires:
            entries.append(
                Exemption(
                    name=normalize(name),
                    versions=versions,
                    rule=rule,
                    rules=rules,
                    facts=facts,
                    advisory=advisory,
                    reason=reason,
                    expires=expires,
                    line=r.line,
                )
            )
    file.done()
    return Exemptions(path=path, entries=tuple(entries))


def load_exemptions(path: Path, today: dt.date, rule_ids: frozenset[str]) -> Exemptions:
    """Read and validate an exemptions file (``today`` kept for the audit's call; entries carry expiry)."""
    return loads_exemptions(_read(path), str(path), rule_ids)
