"""A cache of the facts derived from index responses, so a warm audit skips fetching and parsing.

The HTTP cache alone leaves a warm audit re-reading and re-parsing every response (PyPI JSON for
torch is megabytes): seconds for a few hundred packages. This stores each source's derived patch
per package, keyed on everything the patch depends on. A patch holding a failed fetch is never
stored, so the fetch is tried again next run; an Unknown is stored only when it is ``settled``
(the source answered, and the answer lacks the fact). Entries are used while younger than
``FRESH_FOR`` (close to PyPI's own ``max-age``), and at any age with ``--offline``, exactly like
the HTTP cache; ``fetched_at`` keeps the original time, so reports show the age.

Values are JSON decoded field by field against the model's types; anything else is a miss.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from supplychain.dates import parse_timestamp
from supplychain.files import private_file
from supplychain.model import (
    Advisory,
    AdvisoryKind,
    IndexOffer,
    Known,
    Maintainer,
    PackageRef,
    Provenance,
    Publisher,
    ResolvedPackage,
    Role,
    Severity,
    Signal,
    StartupHook,
    Unknown,
    Yank,
)
from supplychain.sources import FactPatch, SourceSettings
from supplychain.sources.scope import index_of

# Bump when a source's derivation changes: old entries stop matching. 5: a second version of one name
# had been given the first's page ("no files for version ..." stored as a settled unknown).
FORMAT = 5
FRESH_FOR = timedelta(minutes=10)
CACHED_SOURCES = frozenset({"pypi", "simple", "integrity", "startup-hooks"})
_FILE = "facts-cache.sqlite"
_ENDPOINTS = ("index", "pypi", "integrity")  # what the cached sources read; others must not void them


class _Invalid(Exception):
    """A stored value does not have its fact's type: the entry is ignored."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _integer(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Invalid
    return value


def _optional_integer(value: Any) -> int | None:
    return None if value is None else _integer(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid
    return value


def _time(value: Any) -> datetime:
    try:
        return _timestamp(_text(value))
    except ValueError:  # NoTimeZone too: every stored time has its offset
        raise _Invalid from None


@functools.lru_cache(maxsize=4096)
def _timestamp(text: str) -> datetime:
    """Parsed once per distinct time: an environment's facts share a few fetch times."""
    return parse_timestamp(text)


def _maintainers(value: Any) -> tuple[Maintainer, ...]:
    if not isinstance(value, list):
        raise _Invalid
    try:
        return tuple(Maintainer(user=_text(user), role=Role(_text(role))) for user, role in value)
    except (TypeError, ValueError):
        raise _Invalid from None


def _yank(value: Any) -> Yank:
    if not isinstance(value, dict):
        raise _Invalid
    return Yank(yanked=_boolean(value.get("yanked")), reason=_optional_text(value.get("reason")))


def _provenance(value: Any) -> Provenance:
    if not isinstance(value, dict) or not isinstance(value.get("publishers"), list):
        raise _Invalid
    publishers = []
    for raw in value["publishers"]:
        if not isinstance(raw, dict):
            raise _Invalid
        publishers.append(
            Publisher(
                kind=_text(raw.get("kind")),
                repository=_optional_text(raw.get("repository")),
                workflow=_optional_text(raw.get("workflow")),
                environment=_optional_text(raw.get("environment")),
                email=_optional_text(raw.get("email")),
            )
        )
    problems = value.get("problems")
    if not isinstance(problems, list):
        raise _Invalid  # written before attestations were verified: learn it again
    try:
        return Provenance(
            attested=_boolean(value.get("attested")),
            publishers=tuple(publishers),
            files_checked=_integer(value.get("files_checked")),
            verified=_boolean(value.get("verified")),
            problems=tuple(map(_text, problems)),
        )
    except ValueError:
        raise _Invalid from None


def _offers(value: Any) -> tuple[IndexOffer, ...]:
    if not isinstance(value, list):
        raise _Invalid
    offers = []
    for raw in value:
        if not isinstance(raw, dict) or not isinstance(raw.get("versions"), list):
            raise _Invalid
        offers.append(IndexOffer(index=_text(raw.get("index")), versions=tuple(map(_text, raw["versions"]))))
    return tuple(offers)


def _hooks(value: Any) -> tuple[StartupHook, ...]:
    if not isinstance(value, list):
        raise _Invalid
    hooks = []
    for raw in value:
        if not isinstance(raw, dict) or not isinstance(raw.get("runs_code"), bool):
            raise _Invalid
        hooks.append(StartupHook(member=_text(raw.get("member")), runs_code=raw["runs_code"]))
    return tuple(hooks)


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Invalid
    return tuple(_text(item) for item in value)


def _versions(value: Any) -> tuple[Version, ...]:
    try:
        return tuple(Version(item) for item in _strings(value))
    except InvalidVersion:
        raise _Invalid from None


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else _time(value)


def _score(value: Any) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _Invalid
    return float(value)


def _advisory(raw: Any) -> Advisory:
    if not isinstance(raw, dict):
        raise _Invalid
    severity = _optional_integer(raw.get("severity"))
    try:
        return Advisory(
            id=_text(raw.get("id")),
            aliases=_strings(raw.get("aliases")),
            kind=AdvisoryKind(_text(raw.get("kind"))),
            severity=None if severity is None else Severity(severity),
            summary=_text(raw.get("summary")),
            fixed_in=_versions(raw.get("fixed_in")),
            source=_text(raw.get("source")),
            last_affected=_versions(raw.get("last_affected")),
            cvss_score=_score(raw.get("cvss_score")),
            withdrawn=_boolean(raw.get("withdrawn")),
            published=_optional_time(raw.get("published")),
            url=_optional_text(raw.get("url")),
            problems=_strings(raw.get("problems")),
            no_affected_range=_boolean(raw.get("no_affected_range")),
        )
    except ValueError:
        raise _Invalid from None


def _advisories(value: Any) -> tuple[Advisory, ...]:
    if not isinstance(value, list):
        raise _Invalid
    return tuple(_advisory(raw) for raw in value)


def _encode_advisory(advisory: Advisory) -> dict[str, object]:
    return {
        "id": advisory.id,
        "aliases": list(advisory.aliases),
        "kind": advisory.kind.value,
        "severity": None if advisory.severity is None else int(advisory.severity),
        "summary": advisory.summary,
        "fixed_in": [str(v) for v in advisory.fixed_in],
        "source": advisory.source,
        "last_affected": [str(v) for v in advisory.last_affected],
        "cvss_score": advisory.cvss_score,
        "withdrawn": advisory.withdrawn,
        "published": None if advisory.published is None else advisory.published.isoformat(),
        "url": advisory.url,
        "problems": list(advisory.problems),
        "no_affected_range": advisory.no_affected_range,
    }


def _encode_value(value: object) -> object:  # noqa: PLR0911 - one return per cached value type
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Yank):
        return {"yanked": value.yanked, "reason": value.reason}
    if isinstance(value, Provenance):
        return {
            "attested": value.attested,
            "files_checked": value.files_checked,
            "verified": value.verified,
            "problems": list(value.problems),
            "publishers": [
                {
                    "kind": p.kind,
                    "repository": p.repository,
                    "workflow": p.workflow,
                    "environment": p.environment,
                    "email": p.email,
                }
                for p in value.publishers
            ],
        }
    if isinstance(value, tuple) and all(isinstance(m, Maintainer) for m in value):
        return [[m.user, m.role.value] for m in value]
    if isinstance(value, tuple) and all(isinstance(o, IndexOffer) for o in value):
        return [{"index": o.index, "versions": list(o.versions)} for o in value]
    if isinstance(value, tuple) and all(isinstance(a, Advisory) for a in value):
        return [_encode_advisory(a) for a in value]
    if isinstance(value, tuple) and all(isinstance(h, StartupHook) for h in value):
        return [{"member": h.member, "runs_code": h.runs_code} for h in value]
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        return list(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    raise TypeError(f"no cache encoding for {type(value).__name__}")


# fact name -> decoder; a fact not listed here is never cached.
_DECODERS: dict[str, Callable[[Any], object]] = {
    "maintainers": _maintainers,
    "organization": _optional_text,
    "first_release": _time,
    "release_count": _integer,
    "upload_time": _time,
    "latest_release": _time,
    "latest_version": _text,
    "release_gap_days": _optional_integer,
    "yanked": _yank,
    "source_repository": _optional_text,
    "license": _optional_text,
    "summary": _optional_text,
    "project_status": _text,
    "has_wheel": _boolean,
    "index": _text,
    "index_hashes": _strings,
    "index_offers": _offers,
    "provenance": _provenance,
    "startup_hooks": _hooks,
    "advisories": _advisories,  # only OSV's API answers are cached (sources.osv); the store is local
    "malicious_reports": _advisories,
    "downloads_30d": _integer,  # only pypistats' answers (sources.popularity)
}


def encode(patch: FactPatch) -> str | None:
    """The patch as JSON, or None when it holds an Unknown or a fact this cache does not know."""
    body: dict[str, object] = {}
    for fact, signal in sorted(patch.items()):
        if fact not in _DECODERS:
            return None
        if isinstance(signal, Unknown):
            if not signal.settled:
                return None
            body[fact] = {"unknown": signal.reason, "source": signal.source}
            continue
        body[fact] = {
            "value": _encode_value(signal.value),
            "source": signal.source,
            "fetched_at": signal.fetched_at.isoformat(),
        }
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def decode(text: str) -> FactPatch | None:
    """The stored patch, or None when anything in it is not what the model expects."""
    try:
        body = json.loads(text)
        if not isinstance(body, dict) or not body:
            return None
        patch: dict[str, Signal[object]] = {}
        for fact, raw in body.items():
            if fact not in _DECODERS or not isinstance(raw, dict):
                return None
            if "unknown" in raw:
                patch[fact] = Unknown(
                    reason=_text(raw["unknown"]), source=_text(raw.get("source")), settled=True
                )
                continue
            patch[fact] = Known(
                value=_DECODERS[fact](raw.get("value")),
                source=_text(raw.get("source")),
                fetched_at=_time(raw.get("fetched_at")),
            )
    except (_Invalid, json.JSONDecodeError, RecursionError):
        return None
    return patch


def _fingerprint(config: SourceSettings) -> str:
    """Everything in the configuration a derived fact depends on; credentials only as a hash."""
    parts = [
        str(FORMAT),
        *(getattr(config.endpoints, name).reveal() for name in _ENDPOINTS),
        *(url.reveal() for url in config.index_urls),
        "|",
        *(url.reveal() for url in config.internal.indexes),
        "|",
        *config.internal.patterns,
        "|",
        config.target.platform,
        str(config.target.python_version),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def entry_key(
    source_id: str,
    package: ResolvedPackage,
    fingerprint: str,
    config: SourceSettings,
    *,
    internal: bool = False,
) -> str:
    """The serving index as the sources see it (a lock's ``…/simple`` and the default ``…/simple/``
    are one index), not the origin's spelling; whether it is internal and pinned change its facts."""
    index = index_of(package, config).reveal()
    marks = f"internal={internal} pinned={package.origin.pinned}"
    identity = "\n".join(
        [
            fingerprint,
            source_id,
            package.ref.name,
            str(package.ref.version),
            package.origin.kind,
            index,
            marks,
        ]
    )
    return hashlib.sha256(identity.encode()).hexdigest()


DERIVED_PREFIX = "derived:"  # keys of facts derived from one answer's bytes (``derived_key``)
DERIVED_KEEP_FOR = timedelta(days=30)


def derived_key(kind: str, digest: str, *parts: str) -> str:
    """The key of facts derived from an answer whose bytes have SHA-256 ``digest`` (and ``parts``,
    such as the version asked about): the same bytes give the same facts, whatever the endpoint."""
    identity = "\n".join([str(FORMAT), kind, digest, *parts])
    return DERIVED_PREFIX + hashlib.sha256(identity.encode()).hexdigest()


@functools.cache
def code_digest(*module_files: str | None) -> str | None:
    """SHA-256 of the source of the code that derives a kind of facts, for their ``derived_key``: a
    fix to that code is never hidden by facts kept before it. None without source files (a frozen
    build): then nothing is kept."""
    code = hashlib.sha256()
    for module_file in module_files:
        try:
            code.update(Path(str(module_file)).read_bytes())
        except (OSError, TypeError):
            return None
    return code.hexdigest()


@dataclass(slots=True)
class FactsCache:
    """One sqlite file beside the HTTP cache; every failure to read or write is a miss, not an error."""

    path: Path
    config: SourceSettings
    internal: frozenset[str] = frozenset()  # names the run found internal: their facts differ
    fingerprint: str = field(init=False)
    _preloaded: dict[str, dict[PackageRef, FactPatch]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.fingerprint = _fingerprint(self.config)

    @classmethod
    def for_config(
        cls, config: SourceSettings, *, internal: frozenset[str] = frozenset()
    ) -> FactsCache | None:
        """The cache for these settings, or None when caching is off."""
        if config.cache_dir is None:
            return None
        return cls(path=config.cache_dir / _FILE, config=config, internal=internal)

    def _key(self, source_id: str, package: ResolvedPackage) -> str:
        internal = package.ref.name in self.internal
        return entry_key(source_id, package, self.fingerprint, self.config, internal=internal)

    def preload(self, wanted: Mapping[str, Iterable[ResolvedPackage]], now: datetime) -> None:
        """Read every listed source's stored patches in one query; ``load`` then answers from memory.

        A warm audit asked once per source (a connection and a query each); the whole environment
        is one indexed look-up instead.
        """
        self._preloaded.update(self._read(wanted, now))

    def load(
        self,
        source_id: str,
        packages: Iterable[ResolvedPackage],
        now: datetime,
        *,
        fresh_for: timedelta = FRESH_FOR,
    ) -> dict[PackageRef, FactPatch]:
        """Stored patches by package version; stale ones (older than ``fresh_for``) only when offline."""
        listed = list(packages)
        if source_id in self._preloaded:
            refs = {p.ref for p in listed}
            return {ref: patch for ref, patch in self._preloaded.pop(source_id).items() if ref in refs}
        return self._read({source_id: listed}, now, fresh_for)[source_id]

    def _read(
        self,
        wanted: Mapping[str, Iterable[ResolvedPackage]],
        now: datetime,
        fresh_for: timedelta = FRESH_FOR,
    ) -> dict[str, dict[PackageRef, FactPatch]]:
        found: dict[str, dict[PackageRef, FactPatch]] = {source_id: {} for source_id in wanted}
        keys = {
            self._key(source_id, p): (source_id, p.ref)
            for source_id, packages in wanted.items()
            for p in packages
        }
        if not keys or not self.path.exists():
            return found
        oldest = (now - fresh_for).timestamp()
        try:
            with contextlib.closing(sqlite3.connect(self.path)) as db:
                wanted_keys = list(keys)
                batch = db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # 32,766 and up since 3.32
                for start in range(0, len(wanted_keys), batch):
                    chunk = wanted_keys[start : start + batch]
                    marks = ",".join("?" * len(chunk))
                    rows = db.execute(
                        f"SELECT key, stored_at, body FROM facts WHERE key IN ({marks})",  # noqa: S608
                        chunk,
                    )
                    for key, stored_at, body in rows:
                        fresh = isinstance(stored_at, float) and stored_at >= oldest
                        if not (fresh or self.config.offline):
                            continue
                        patch = decode(body) if isinstance(body, str) else None
                        if patch is not None:
                            source_id, ref = keys[key]
                            found[source_id][ref] = patch
        except sqlite3.Error:
            return {source_id: {} for source_id in wanted}
        return found

    def recall(self, key: str, now: datetime) -> FactPatch | None:
        """Facts stored under a ``derived_key``, each Known one stamped as learned ``now``; None: none.

        Content-addressed, so of any age: the answer they were derived from was just fetched again
        and is byte-identical. Every failure is a miss.
        """
        return self.recall_many([key], now).get(key)

    def recall_many(self, keys: Iterable[str], now: datetime) -> dict[str, FactPatch]:
        """``recall`` for many keys in one query: the ones found, by key."""
        wanted = list(dict.fromkeys(keys))
        if not wanted or not self.path.exists():
            return {}
        found: dict[str, FactPatch] = {}
        try:
            with contextlib.closing(sqlite3.connect(self.path)) as db:
                batch = db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
                for start in range(0, len(wanted), batch):
                    chunk = wanted[start : start + batch]
                    marks = ",".join("?" * len(chunk))
                    query = f"SELECT key, body FROM facts WHERE key IN ({marks})"  # noqa: S608
                    for key, body in db.execute(query, chunk):
                        patch = decode(body) if isinstance(body, str) else None
                        if patch is not None:
                            found[key] = {
                                fact: replace(signal, fetched_at=now) if isinstance(signal, Known) else signal
                                for fact, signal in patch.items()
                            }
        except sqlite3.Error:
            return {}
        return found

    def remember(self, derived: Iterable[tuple[str, FactPatch]], now: datetime) -> None:
        """Store facts under their ``derived_key`` in one transaction (a source's whole run), and
        remove those older than ``DERIVED_KEEP_FOR``."""
        rows = [(key, now.timestamp(), body) for key, patch in derived if (body := encode(patch)) is not None]
        self._write(rows, prune_before=(now - DERIVED_KEEP_FOR).timestamp())

    def store(
        self, source_id: str, patches: Iterable[tuple[ResolvedPackage, FactPatch]], now: datetime
    ) -> None:
        """Remember a source's patches, keyed so that another index's or scope's facts never answer."""
        rows = []
        for package, patch in patches:
            body = encode(patch)
            if body is not None:
                key = self._key(source_id, package)
                rows.append((key, now.timestamp(), body))
        self._write(rows)

    def _write(self, rows: list[tuple[str, float, str]], *, prune_before: float | None = None) -> None:
        """Insert ``rows`` in one transaction; with ``prune_before``, derived entries stored before it go."""
        if not rows:
            return
        try:
            private_file(self.path)
            with contextlib.closing(sqlite3.connect(self.path, timeout=5.0)) as db, db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, stored_at REAL, body TEXT)"
                )
                db.executemany("INSERT OR REPLACE INTO facts VALUES (?, ?, ?)", rows)
                if prune_before is not None:
                    db.execute(
                        "DELETE FROM facts WHERE key LIKE ? AND stored_at < ?",
                        (DERIVED_PREFIX + "%", prune_before),
                    )
        except (sqlite3.Error, OSError):
            return
