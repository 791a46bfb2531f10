"""The offline data directory: OSV advisories and top-packages datasets, written atomically, indexed.

Each OSV dataset is a JSON-lines file plus a name index in SQLite (one indexed row per name and
record), so an audit of N packages costs N index look-ups, not a parse of the whole index. A data
directory written before that (a JSON index) is still read, and its index rebuilt on first use.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name

from supplychain.dates import timestamp_or_none
from supplychain.errors import AdvisoryDataError, InputError, UsageError
from supplychain.files import exclusive, write_atomic
from supplychain.sources.osv_records import OsvRecord, load_record, parse_record

MANIFEST = "manifest.json"
ADVISORIES = "advisories"  # vulnerability records (PYSEC/GHSA/CVE ...)
MALICIOUS = "malicious"  # MAL- reports
TOP_PACKAGES = "top-packages"
OSV_DATASETS = (ADVISORIES, MALICIOUS)
INDEX_SUFFIX = ".index.sqlite"
LEGACY_INDEX_SUFFIX = ".index.json"  # before the SQLite index: read, then rebuilt
TABLE_SUFFIX = ".table.json"  # the top-packages dataset as parsed: names, counts and ranks in columns
_LOOKUP_BATCH = 500  # names per query, well under SQLite's bound on parameters


@dataclass(frozen=True, slots=True, kw_only=True)
class TopPackages:
    """The top-pypi-packages dataset: downloads and rank (1 = most downloaded) per name, as of its date."""

    as_of: datetime
    source: str
    downloads: Mapping[NormalizedName, int]
    ranks: Mapping[NormalizedName, int]
    # sha256 of the downloads as read (names and counts in order): what derived data is keyed on.
    # None when not worked out (a dataset built in memory): nothing derived is then reused.
    digest: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetStatus:
    """One dataset as the manifest records it: for ``db status`` and the data-age checks."""

    name: str
    path: Path
    as_of: datetime | None
    records: int


def _write_atomic(path: Path, data: bytes) -> None:
    """What an organisation audits, and the data its verdicts rest on, are not for other local users
    to read or swap: private, and replaced atomically."""
    write_atomic(path, data, private=True)


def records_from_archive(path: Path) -> list[OsvRecord]:
    """Every OSV record (``.json``/``.yaml``/``.yml``) in an archive or directory; malformed → error."""
    from supplychain.sources.archives import iter_members  # the archive readers: for an import only

    records = []
    for member in iter_members(path):
        if member.name.endswith((".json", ".yaml", ".yml")):
            records.append(load_record(member.data, f"{path}!{member.name}"))
    if not records:
        raise AdvisoryDataError(f"{path}: no OSV records (.json/.yaml) found")
    return records


class DataStore:
    """Reads and writes the data directory; the manifest is the single commit point of an update."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # --- reading -------------------------------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        """The manifest's datasets by name; {} before any import, but an unreadable manifest is an error."""
        try:
            raw = json.loads((self.root / MANIFEST).read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise AdvisoryDataError(f"{self.root / MANIFEST}: unreadable manifest ({error})") from None
        datasets = raw.get("datasets") if isinstance(raw, dict) else None
        return datasets if isinstance(datasets, dict) else {}

    def status(self) -> list[DatasetStatus]:
        """One row per dataset in the manifest, sorted by name."""
        return [
            DatasetStatus(
                name=name,
                path=self.root / str(entry.get("file", "")),
                as_of=timestamp_or_none(entry.get("as_of")),
                records=int(entry.get("records", 0)),
            )
            for name, entry in sorted(self.manifest().items())
        ]

    def has_advisories(self) -> bool:
        """Was an OSV dataset imported? Then the advisory source answers from disk, not the network."""
        return any(name in self.manifest() for name in OSV_DATASETS)

    def advisories_as_of(self) -> datetime | None:
        """The newest as-of date of the OSV datasets; None when none has one."""
        times = [s.as_of for s in self.status() if s.name in OSV_DATASETS and s.as_of is not None]
        return max(times) if times else None

    def records_for(self, names: Iterable[str]) -> dict[NormalizedName, list[OsvRecord]]:
        """Only the records indexed under ``names``: an audit never parses the whole database."""
        return {
            name: [parse_record(json.loads(line), where) for where, line in lines]
            for name, lines in self.record_lines(names).items()
        }

    def record_lines(self, names: Iterable[str]) -> dict[NormalizedName, list[tuple[str, bytes]]]:
        """The stored JSON line of each record indexed under ``names``, with where it was read
        (``file@offset``): what a name's advisories are derived from, byte for byte."""
        wanted = sorted({canonicalize_name(name) for name in names})
        found: dict[NormalizedName, list[tuple[str, bytes]]] = {name: [] for name in wanted}
        for dataset, entry in sorted(self.manifest().items()):
            if dataset not in OSV_DATASETS:
                continue
            data_path = self.root / str(entry["file"])
            spans = self._spans_of(dataset, entry, list(wanted))
            with data_path.open("rb") as stream:
                for name in wanted:
                    for offset, length in spans.get(name, ()):
                        stream.seek(offset)
                        found[name].append((f"{data_path}@{offset}", stream.read(length)))
        return found

    def find_records(self, advisory: str) -> list[OsvRecord]:
        """The records whose id or an alias is ``advisory`` (any case), from every OSV dataset.

        An incident question, asked once: it scans the data files, skipping lines that cannot hold
        the id before parsing them."""
        wanted = advisory.strip().upper()
        needle = wanted.encode()
        found: list[OsvRecord] = []
        for dataset, entry in sorted(self.manifest().items()):
            if dataset not in OSV_DATASETS:
                continue
            path = self.root / str(entry["file"])
            offset = 0
            with path.open("rb") as stream:
                for line in stream:
                    if needle in line.upper():
                        record = parse_record(json.loads(line), f"{path}@{offset}")
                        if wanted in {name.upper() for name in (record.id, *record.aliases)}:
                            found.append(record)
                    offset += len(line)
        return found

    def _spans_of(
        self, dataset: str, entry: Mapping[str, Any], names: list[str]
    ) -> dict[str, list[tuple[int, int]]]:
        """``(offset, length)`` of each name's records; an index in the old JSON form is upgraded."""
        index_path = self.root / str(entry["index"])
        if index_path.name.endswith(INDEX_SUFFIX):
            return _lookup(index_path, names)
        legacy = json.loads(index_path.read_bytes())
        spans = {name: _spans(legacy, name, index_path) for name in names}
        self._upgrade_index(dataset, dict(entry), legacy, index_path)
        return spans

    def _upgrade_index(self, dataset: str, entry: dict[str, Any], legacy: object, legacy_path: Path) -> None:
        """Rebuild a JSON index as SQLite, once; a read-only data dir keeps working on the old one."""
        if not isinstance(legacy, dict):
            return
        file = f"{dataset}{INDEX_SUFFIX}"
        rows = {str(name): _spans(legacy, name, legacy_path) for name in legacy}
        try:
            _write_atomic(self.root / file, _index_bytes(rows))
            with exclusive(self.root / MANIFEST):
                if self.manifest().get(dataset) == entry:  # not replaced by a concurrent import
                    self._commit(dataset, {**entry, "index": file})
                    legacy_path.unlink(missing_ok=True)
        except (OSError, UsageError, sqlite3.Error):
            return

    def _records(self, dataset: str) -> list[OsvRecord]:
        """Every record a dataset holds (empty when it was never imported): the base of a merge."""
        entry = self.manifest().get(dataset)
        if not entry:
            return []
        path = self.root / str(entry["file"])
        records, offset = [], 0
        with path.open("rb") as stream:
            for line in stream:
                records.append(parse_record(json.loads(line), f"{path}@{offset}"))
                offset += len(line)
        return records

    def top_packages(self) -> TopPackages | None:
        """The imported top-packages dataset or None; read once per process while its files are unchanged.

        Read from the table ``write_top_packages`` derived (validating 15,000 rows and normalising
        their names cost more than the rest of the dataset's use); a data dir from before the table
        is read from the dataset itself, and the table written for the next run.
        """
        entry = self.manifest().get(TOP_PACKAGES)
        if not entry:
            return None
        path = self.root / str(entry["file"])
        table = self.root / str(entry["table"]) if entry.get("table") else None
        stat = (table or path).stat()
        key = (str(table or path), stat.st_mtime_ns, stat.st_size)
        if key not in _TOP_MEMO:
            top = _top_from_table(table) if table is not None else None
            if top is None:
                top = _top_from_json(json.loads(path.read_bytes()), str(path))
                self._add_table(dict(entry), top)
            _TOP_MEMO.clear()
            _TOP_MEMO[key] = top
        return _TOP_MEMO[key]

    def _add_table(self, entry: dict[str, Any], top: TopPackages) -> None:
        """Write the top-packages table of a data dir from before it, once; a read-only one goes without."""
        file = f"{TOP_PACKAGES}{TABLE_SUFFIX}"
        try:
            _write_atomic(self.root / file, _table_bytes(top))
            with exclusive(self.root / MANIFEST):
                if self.manifest().get(TOP_PACKAGES) == entry:  # not replaced by a concurrent import
                    self._commit(TOP_PACKAGES, {**entry, "table": file})
        except (OSError, UsageError):
            return

    # --- writing -------------------------------------------------------------------------------
    def import_path(self, path: Path, *, now: datetime | None = None) -> list[str]:
        """Import a local OSV archive/directory or a top-packages JSON; returns the datasets written."""
        if path.is_file() and path.suffix == ".json":
            from supplychain.sources.archives import ArchiveLimits

            limit = ArchiveLimits().max_member_bytes  # one file, bounded like one archive member
            try:
                with path.open("rb") as stream:
                    data = stream.read(limit + 1)
                if len(data) > limit:
                    raise InputError(f"{path}: larger than {limit} bytes")
                raw = json.loads(data)
            except (OSError, ValueError, RecursionError) as error:  # RecursionError: ``[[[[...``
                raise InputError(f"{path}: not a readable JSON file ({error})") from None
            if isinstance(raw, dict) and "rows" in raw:
                self.write_top_packages(raw, origin=str(path))
                return [TOP_PACKAGES]
            return self.write_records([parse_record(raw, str(path))], origin=str(path), now=now)
        return self.write_records(records_from_archive(path), origin=str(path), now=now)

    def write_top_packages(self, raw: object, *, origin: str) -> None:
        """Validate a top-packages dataset, store it sorted by rank, and commit it in the manifest."""
        top = _top_from_json(raw, origin)
        rows = sorted(top.downloads.items(), key=lambda item: (top.ranks[item[0]], item[0]))
        body = {
            "last_update": top.as_of.isoformat(),
            "source": top.source,
            "rows": [{"project": name, "download_count": count} for name, count in rows],
        }
        file = f"{TOP_PACKAGES}.json"
        _write_atomic(self.root / file, json.dumps(body, sort_keys=True).encode())
        table = f"{TOP_PACKAGES}{TABLE_SUFFIX}"
        _write_atomic(self.root / table, _table_bytes(_top_from_json(body, file)))  # as an audit reads it
        self._commit(
            TOP_PACKAGES,
            {
                "file": file,
                "table": table,
                "as_of": top.as_of.isoformat(),
                "records": len(rows),
                "origin": origin,
            },
        )

    def write_records(
        self, records: list[OsvRecord], *, origin: str, now: datetime | None = None
    ) -> list[str]:
        """Split by kind (MAL- ids are malicious reports) and merge into what earlier imports wrote.

        Imports add up (``--from A --from B`` keeps both; one record per id, the newest ``modified``
        wins): replacing made the last small import the whole database. The as-of date comes from
        the records, never the import time: the newest ``modified`` not after ``now`` (real
        databases hold a few records stamped in the future, which would make stale data look
        fresh); records without dates leave it unknown.
        """
        written = []
        for dataset in OSV_DATASETS:
            incoming = [r for r in records if r.id.startswith("MAL-") == (dataset == MALICIOUS)]
            if not incoming:
                continue
            chosen = _merged(self._records(dataset), incoming)
            lines: list[bytes] = []
            index: dict[str, list[tuple[int, int]]] = {}
            offset = 0
            for record in sorted(chosen, key=lambda r: r.id):
                line = json.dumps(_to_json(record), sort_keys=True, separators=(",", ":")).encode() + b"\n"
                for name in sorted({entry.name for entry in record.affected if entry.ecosystem == "PyPI"}):
                    index.setdefault(name, []).append((offset, len(line)))
                lines.append(line)
                offset += len(line)
            modified = [
                t
                for r in chosen
                if (t := timestamp_or_none(r.modified)) is not None and (now is None or t <= now)
            ]
            as_of = max(modified).isoformat() if modified else None
            _write_atomic(self.root / f"{dataset}.jsonl", b"".join(lines))
            _write_atomic(self.root / f"{dataset}{INDEX_SUFFIX}", _index_bytes(index))
            self._commit(
                dataset,
                {
                    "file": f"{dataset}.jsonl",
                    "index": f"{dataset}{INDEX_SUFFIX}",
                    "as_of": as_of,
                    "records": len(chosen),
                    "origin": origin,
                },
            )
            (self.root / f"{dataset}{LEGACY_INDEX_SUFFIX}").unlink(missing_ok=True)  # replaced above
            written.append(dataset)
        return written

    def _commit(self, dataset: str, entry: dict[str, Any]) -> None:
        datasets = dict(self.manifest())
        datasets[dataset] = entry
        _write_atomic(
            self.root / MANIFEST, json.dumps({"datasets": datasets}, indent=1, sort_keys=True).encode()
        )


def _merged(existing: list[OsvRecord], incoming: list[OsvRecord]) -> list[OsvRecord]:
    """One record per id; a later import's copy wins unless the one kept is strictly newer."""
    chosen = {record.id: record for record in existing}
    for record in incoming:
        kept = chosen.get(record.id)
        if kept is None or not _newer(kept, record):
            chosen[record.id] = record
    return list(chosen.values())


def _newer(a: OsvRecord, b: OsvRecord) -> bool:
    """``a`` was modified after ``b``; a record without a readable date is older than any dated one."""
    first, second = timestamp_or_none(a.modified), timestamp_or_none(b.modified)
    return first is not None and (second is None or first > second)


def _index_bytes(index: Mapping[str, list[tuple[int, int]]]) -> bytes:
    """A name index as an SQLite database image: one row per (name, record), indexed by name."""
    with contextlib.closing(sqlite3.connect(":memory:")) as db:
        db.execute("CREATE TABLE spans (name TEXT NOT NULL, start INTEGER NOT NULL, size INTEGER NOT NULL)")
        db.executemany(
            "INSERT INTO spans VALUES (?, ?, ?)",
            ((name, start, size) for name, spans in sorted(index.items()) for start, size in spans),
        )
        db.execute("CREATE INDEX spans_by_name ON spans (name)")
        db.commit()
        return db.serialize()


def _lookup(path: Path, names: list[str]) -> dict[str, list[tuple[int, int]]]:
    """The spans of ``names`` in an SQLite name index, read only; a corrupt index is an advisory error."""
    found: dict[str, list[tuple[int, int]]] = {}
    if not path.is_file():
        raise AdvisoryDataError(f"{path}: index missing (run `supplychain db update`)")
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            for start in range(0, len(names), _LOOKUP_BATCH):
                chunk = names[start : start + _LOOKUP_BATCH]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT name, start, size FROM spans WHERE name IN ({marks}) ORDER BY name, start",  # noqa: S608
                    chunk,
                )
                for name, offset, length in rows:
                    if not (type(offset) is int and type(length) is int and offset >= 0 and length >= 0):
                        raise AdvisoryDataError(f"{path}: not a name index of (offset, length) pairs")
                    found.setdefault(str(name), []).append((offset, length))
    except sqlite3.Error as error:
        raise AdvisoryDataError(f"{path}: unreadable index ({error}; run `supplychain db update`)") from None
    return found


def _spans(index: object, name: str, where: Path) -> list[tuple[int, int]]:
    """``[offset, length]`` pairs of ``name`` in a legacy JSON name index; any other shape is corrupt."""
    spans = index.get(name, []) if isinstance(index, dict) else None
    if not isinstance(spans, list) or not all(
        isinstance(span, list) and len(span) == 2 and all(type(v) is int and v >= 0 for v in span)
        for span in spans
    ):
        raise AdvisoryDataError(f"{where}: not a name index of [offset, length] pairs")
    return [(span[0], span[1]) for span in spans]


def _to_json(record: OsvRecord) -> dict[str, Any]:
    """The record in OSV JSON shape (only the fields this tool reads), so ``parse_record`` reads it back."""
    return {
        "id": record.id,
        "aliases": list(record.aliases),
        "summary": record.summary,
        "details": record.details[:2000],
        "published": record.published,
        "modified": record.modified,
        "withdrawn": record.withdrawn,
        "severity": [{"type": kind, "score": score} for kind, score in record.severity],
        "database_specific": {"severity": record.database_severity},
        "affected": [
            {
                "package": {"ecosystem": entry.ecosystem, "name": entry.name},
                "ranges": [
                    {"type": item.type, "events": [{kind: value} for kind, value in item.events]}
                    for item in entry.ranges
                ],
                "versions": list(entry.versions),
                "database_specific": {"severity": entry.severity},
            }
            for entry in record.affected
        ],
    }


# The dataset parsed once per process (the popularity source and the policy both read it).
_TOP_MEMO: dict[tuple[str, int, int], TopPackages] = {}


def _top_from_json(raw: object, origin: str) -> TopPackages:
    if not isinstance(raw, dict) or not isinstance(raw.get("rows"), list):
        raise InputError(f"{origin}: not a top-packages dataset (needs a 'rows' list)")
    as_of = timestamp_or_none(str(raw.get("last_update", "")))
    if as_of is None:
        raise InputError(f"{origin}: 'last_update' is missing or not a date")
    downloads: dict[NormalizedName, int] = {}
    for number, row in enumerate(raw["rows"]):
        if not isinstance(row, dict) or not isinstance(row.get("project"), str):
            raise InputError(f"{origin}: rows[{number}] has no 'project' string")
        count = row.get("download_count")
        if not isinstance(count, int) or isinstance(count, bool):
            raise InputError(f"{origin}: rows[{number}].download_count is not an integer")
        downloads.setdefault(canonicalize_name(row["project"]), count)
    order = sorted(downloads, key=lambda name: (-downloads[name], name))
    ranks = {name: rank for rank, name in enumerate(order, start=1)}
    return TopPackages(
        as_of=as_of,
        source=str(raw.get("source") or origin),
        downloads=downloads,
        ranks=ranks,
        digest=_digest(downloads),
    )


def _digest(downloads: Mapping[NormalizedName, int]) -> str:
    return hashlib.sha256(json.dumps(dict(downloads)).encode()).hexdigest()


def _table_bytes(top: TopPackages) -> bytes:
    """``top`` in columns (names in the dataset's order, counts, names by rank), read back whole."""
    table = {
        "as_of": top.as_of.isoformat(),
        "source": top.source,
        "names": list(top.downloads),
        "downloads": list(top.downloads.values()),
        "ranked": list(top.ranks),
        "digest": top.digest or _digest(top.downloads),
    }
    return json.dumps(table).encode()


def _top_from_table(path: Path) -> TopPackages | None:
    """The dataset from its table, or None when the table is missing or not one (then read the dataset)."""
    try:
        table = json.loads(path.read_bytes())
        names, counts, ranked = table["names"], table["downloads"], table["ranked"]
        as_of = timestamp_or_none(str(table["as_of"]))
        source, digest = table["source"], table["digest"]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if not (
        isinstance(names, list)
        and isinstance(counts, list)
        and isinstance(ranked, list)
        and isinstance(source, str)
        and isinstance(digest, str)
        and as_of is not None
        and len(names) == len(counts) == len(ranked)
        and all(isinstance(name, str) for name in names)
        and all(type(count) is int for count in counts)
    ):
        return None
    downloads = dict(zip(names, counts, strict=True))
    ranks = {name: rank for rank, name in enumerate(ranked, start=1)}
    if len(downloads) != len(names) or ranks.keys() != downloads.keys():
        return None
    return TopPackages(as_of=as_of, source=source, downloads=downloads, ranks=ranks, digest=digest)
