"""``supplychain cache info|clean``: what the cache directory holds, how big it is, and removing it.

Only the cache's own files are measured or removed, never the rest of the directory:
``SUPPLYCHAIN_CACHE_DIR`` may point at a directory that holds other things too.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from supplychain import dirs
from supplychain.cli import app
from supplychain.errors import UsageError
from supplychain.model import Location
from supplychain.net.hosts import FILE as HOSTS_FILE
from supplychain.net.hosts import REMEMBER_AT_MOST, REMEMBER_FOR
from supplychain.net.http_store import HISHEL_GITIGNORE as _HISHEL_GITIGNORE
from supplychain.net.http_store import MAX_CACHE_BYTES
from supplychain.net.page_index import DIRECTORY as PAGE_INDEX
from supplychain.result_cache import RESULTS_DIR, REUSE_FOR
from supplychain.sources.facts_cache import FRESH_FOR

cache_app = typer.Typer(
    help="The local cache: what it holds, its size, and removing it.", no_args_is_help=True
)
app.add_typer(cache_app, name="cache")

_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
_MINUTE = timedelta(minutes=1)
_SINGULAR = {"responses": "response", "entries": "entry", "files": "file", "hosts": "host"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One thing the audit caches: its file (or directory) name, what it holds, how entries are counted."""

    name: str
    holds: str
    unit: str
    count_sql: str | None = None  # SQLite databases: the entries query; directories count their files
    cap_bytes: int | None = None
    by_hishel: bool = False


# The names the writers use: net/http_store.py (HTTP cache), sources/facts_cache.py, tomlfile.py,
# resolve/resolution.py (metadata store), net/page_index.py, result_cache.py.
PARTS = (
    Part(
        name="http-cache.sqlite",
        holds="answers of the indexes and services",
        unit="responses",
        # hishel's table: complete answers (chunk_count set) not hidden for removal (expires_at 0)
        count_sql="SELECT count(*) FROM entries WHERE chunk_count IS NOT NULL "
        "AND (expires_at IS NULL OR expires_at <> 0)",
        cap_bytes=MAX_CACHE_BYTES,
        by_hishel=True,
    ),
    Part(
        name="facts-cache.sqlite",
        holds=f"facts per package: used {int(FRESH_FOR.total_seconds() // 60)} minutes online, "
        "at any age --offline",
        unit="entries",
        count_sql="SELECT count(*) FROM facts",
    ),
    Part(
        name=HOSTS_FILE,
        holds=f"hosts found unreachable, not asked again for {REMEMBER_FOR // _MINUTE} minutes, "
        f"doubled for each failure in a row up to {REMEMBER_AT_MOST // _MINUTE}",
        unit="hosts",
    ),
    Part(
        name=RESULTS_DIR,
        holds=f"printed results of audits, reprinted for {int(REUSE_FOR // 60)} minutes while "
        "the command and every file it read are unchanged",
        unit="files",
    ),
    Part(
        name="parsed-toml",
        holds="parsed large lock files, by SHA-256 of their text",
        unit="files",
    ),
    Part(
        name="resolve-metadata",
        holds="dependencies read from distribution files, by SHA-256 of the file",
        unit="files",
    ),
    Part(
        name=PAGE_INDEX,
        holds="where each version's files sit in the index pages read, by SHA-256 of the page",
        unit="files",
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Measured:
    """A part as found on disk: bytes used, entry count or why it could not be counted."""

    part: Part
    paths: tuple[Path, ...]
    size: int
    entries: int | None
    unknown: str | None = None  # why ``entries`` is None while the part exists


class CacheFormat(StrEnum):
    """The ``cache info --format`` choices; each value is what the user types."""

    TEXT = "text"
    JSON = "json"


def _files_of(directory: Path, part: Part) -> tuple[Path, ...]:
    if part.count_sql is None:
        path = directory / part.name
        return (path,) if path.exists() or path.is_symlink() else ()
    names = (part.name, *(part.name + side for side in _SQLITE_SIDE_FILES))
    found = [p for p in (directory / name for name in names) if p.exists() or p.is_symlink()]
    gitignore = directory / _HISHEL_GITIGNORE[0]
    if found and part.by_hishel and _is_hishels(gitignore):
        found.append(gitignore)
    return tuple(found)


def _is_hishels(path: Path) -> bool:
    try:
        return not path.is_symlink() and path.read_text(encoding="utf-8") == _HISHEL_GITIGNORE[1]
    except (OSError, UnicodeError):
        return False


def _size(path: Path) -> int:
    if path.is_symlink() or not path.is_dir():
        return path.lstat().st_size
    return sum(f.lstat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _count(database: Path, query: str) -> tuple[int | None, str | None]:
    try:
        with contextlib.closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=2.0)) as db:
            row = db.execute(query).fetchone()
    except sqlite3.Error as problem:
        return None, f"unreadable: {problem}"
    return int(row[0]), None


def _json_entries(path: Path) -> tuple[int | None, str | None]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as problem:
        return None, f"unreadable: {problem}"
    return (len(data), None) if isinstance(data, dict) else (None, "not a JSON object")


def measure(directory: Path) -> list[Measured]:
    """Each cached part present in ``directory``, with its size and number of entries."""
    found = []
    for part in PARTS:
        if not _files_of(directory, part):
            continue
        main = directory / part.name
        if part.count_sql is not None:
            entries, unknown = _count(main, part.count_sql) if main.is_file() else (None, "no database file")
        elif main.is_file() and part.name.endswith(".json"):
            entries, unknown = _json_entries(main)
        elif main.is_dir() and not main.is_symlink():
            entries, unknown = sum(1 for f in main.glob("*.json") if f.is_file()), None
        else:
            entries, unknown = None, "not a directory"
        paths = _files_of(directory, part)  # after counting: reading a WAL database adds its -shm
        size = sum(_size(path) for path in paths)
        found.append(Measured(part=part, paths=paths, size=size, entries=entries, unknown=unknown))
    return found


def human(size: int) -> str:
    """Bytes in binary units, as ``du -h`` and the 2 GiB cap are written."""
    if size < 1024:
        return f"{size} B"
    amount = size / 1024
    for unit in ("KiB", "MiB"):
        if amount < 1024:
            return f"{amount:.1f}".removesuffix(".0") + f" {unit}"
        amount /= 1024
    return f"{amount:.1f}".removesuffix(".0") + " GiB"


def _entries(item: Measured) -> str:
    if item.entries is None:
        return f"? ({item.unknown})"
    unit = item.part.unit if item.entries != 1 else _SINGULAR[item.part.unit]
    return f"{item.entries} {unit}"


@cache_app.command("info")
def info(
    output_format: Annotated[CacheFormat, typer.Option("--format", help="text or json.")] = CacheFormat.TEXT,
) -> None:
    """Where the cache is, what each part holds, its size and entries, and the HTTP cache's cap."""
    directory = dirs.cache_dir()
    items = measure(directory)
    total = sum(item.size for item in items)
    if output_format is CacheFormat.JSON:
        document = {
            "cache_dir": str(directory),
            "total_bytes": total,
            "parts": [
                {
                    "name": item.part.name,
                    "holds": item.part.holds,
                    "bytes": item.size,
                    "entries": item.entries,
                    "unit": item.part.unit,
                    "unknown": item.unknown,
                    "cap_bytes": item.part.cap_bytes,
                }
                for item in items
            ],
        }
        typer.echo(json.dumps(document, indent=2, sort_keys=True))
        return
    typer.echo(f"cache directory: {directory} (SUPPLYCHAIN_CACHE_DIR moves it)")
    if not items:
        typer.echo("nothing cached yet: an online audit fills it")
        return
    for item in items:
        cap = f"; capped at {human(item.part.cap_bytes)}" if item.part.cap_bytes else ""
        typer.echo(
            f"{human(item.size):>9}  {item.part.name:<18}  {_entries(item):<14}  {item.part.holds}{cap}"
        )
    typer.echo(f"{human(total):>9}  total")
    typer.echo(
        f"Beyond {human(MAX_CACHE_BYTES)} the HTTP cache drops its least recently used answers.\n"
        "`supplychain cache clean` removes it all; the next online audit fills it again."
    )


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        return
    except OSError as problem:
        raise UsageError(f"cannot remove it: {problem.strerror}", location=Location(file=str(path))) from None


@cache_app.command("clean")
def clean() -> None:
    """Delete the cache (HTTP answers, derived facts, parsed lock files); say what was removed.

    Run it when no audit is running: an audit that has the cache open keeps writing to the removed files.
    """
    directory = dirs.cache_dir()
    items = measure(directory)
    if not items:
        typer.echo(f"nothing to remove: no cache in {directory}")
        return
    for item in items:
        for path in item.paths:
            _remove(path)
        typer.echo(f"removed {item.part.name} ({human(item.size)}, {_entries(item)})")
    with contextlib.suppress(OSError):  # not empty: other files live there too, and stay
        os.rmdir(directory)
    typer.echo(f"removed {human(sum(item.size for item in items))} from {directory}")
