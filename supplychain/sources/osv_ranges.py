"""Decide whether a PyPI version is affected by an OSV ``affected[]`` entry (the OSV spec algorithm)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from supplychain.sources.osv_records import OsvAffected, OsvRange

_ORDER = {"introduced": 0, "fixed": 1, "last_affected": 2, "limit": 3}


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """Whether an entry affects a version; ``problems`` say why it matched without deciding (fail closed)."""

    affected: bool
    problems: tuple[str, ...] = ()


def public(version: Version) -> Version:
    """``1.13.1+cu116`` is affected where ``1.13.1`` is: advisories speak of public versions."""
    return Version(version.public) if version.local else version


@functools.lru_cache(maxsize=65536)
def _parse(value: str) -> Version | None:
    """Cached: records list every affected version, and the same lists recur across a package's
    advisories (torch's run to hundreds), so parsing them was most of advisory matching."""
    try:
        return Version(value)
    except InvalidVersion:
        return None


@functools.lru_cache(maxsize=65536)
def _listed(value: str) -> Version | None:
    parsed = _parse(value)
    return None if parsed is None else public(parsed)


@functools.lru_cache(maxsize=8192)
def _listed_set(values: tuple[str, ...]) -> frozenset[Version]:
    """The public versions an entry lists, parsed once per list: one set look-up per package instead
    of a comparison per listed version (torch's lists run to hundreds, in many records)."""
    return frozenset(filter(None, map(_listed, values)))  # None: not a PEP 440 version


def forget_parsed() -> None:
    """Drop the parsed-version caches once a run's matching is done: for 1,000 packages they held
    the records' version lists and their parsed sets (~12 MB) through the rest of the first online
    run, past its memory peak, for no further use."""
    _listed_set.cache_clear()
    _listed.cache_clear()
    _parse.cache_clear()


def in_range(version: Version, events: list[tuple[str, Version | None]]) -> bool:
    """The OSV evaluation: sort events by version (``0`` lowest), walk them, limits cap the range.

    At equal versions ``introduced`` is applied first, so an equal ``fixed`` wins.
    """
    ordered = sorted(
        ((kind, value) for kind, value in events if kind != "limit"),
        key=lambda event: (event[1] is not None, event[1] or Version("0"), _ORDER[event[0]]),
    )
    affected = False
    for kind, value in ordered:
        if kind == "introduced" and (value is None or version >= value):
            affected = True
        elif value is not None and _closes(kind, value, version):
            affected = False
    limits = [value for kind, value in events if kind == "limit" and value is not None]
    return affected and all(version < limit for limit in limits)


def _closes(kind: str, value: Version, version: Version) -> bool:
    return (kind == "fixed" and version >= value) or (kind == "last_affected" and version > value)


def _range_events(item: OsvRange) -> tuple[list[tuple[str, Version | None]], list[str]]:
    events: list[tuple[str, Version | None]] = []
    bad: list[str] = []
    for kind, value in item.events:
        if kind == "introduced" and value == "0":
            events.append((kind, None))
        elif kind == "limit" and value == "*":
            continue
        else:
            parsed = _parse(value)
            if parsed is None:
                bad.append(f"{kind}: {value!r}")
            else:
                events.append((kind, public(parsed)))
    return events, bad


def evaluate(version: Version, entry: OsvAffected) -> Match:
    """Affected when listed in ``versions`` or inside an ECOSYSTEM range.

    A range holding a non-PEP 440 value cannot decide, so the entry matches with a problem instead
    of being silently dropped; GIT/SEMVER ranges say nothing about PyPI versions and are ignored.
    An entry with neither ranges nor versions (typical of malicious-package reports) matches all.
    """
    target = public(version)
    problems: list[str] = []
    if target in _listed_set(entry.versions):
        return Match(affected=True)
    ecosystem = [item for item in entry.ranges if item.type == "ECOSYSTEM"]
    ignored = sorted({item.type for item in entry.ranges if item.type != "ECOSYSTEM"})
    if not ecosystem and not entry.versions:
        if ignored:
            return Match(affected=True, problems=(f"only {'/'.join(ignored)} ranges; cannot evaluate",))
        return Match(affected=True)  # no ranges, no versions: every version of the name
    for item in ecosystem:
        events, bad = _range_events(item)
        if bad:
            problems.append(f"range events not PEP 440 ({', '.join(bad)}); treated as affected")
            continue
        if in_range(target, events):
            return Match(affected=True)
    return Match(affected=bool(problems), problems=tuple(problems))
