"""The inventory database: one set of parametrised queries over SQLite (default) or PostgreSQL."""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from supplychain import dirs
from supplychain.errors import DataUnavailableError, UsageError
from supplychain.files import private_file
from supplychain.inventory.schema import LATEST, MIGRATIONS
from supplychain.urls import redact


class InventoryUnavailable(DataUnavailableError):
    """The inventory database could not be opened or queried (exit 3)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedPackage:
    """One installed version as recorded, with the advisories (id, aliases) affecting it at that time."""

    name: str  # PEP 503-normalised
    version: str
    hashes: tuple[str, ...] = ()
    advisories: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (id, aliases) affecting it at record time


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvironmentRecord:
    """One audit of a named environment; recording the name again replaces its package set."""

    name: str
    team: str
    recorded_at: datetime
    input_path: str
    verdict: str | None
    packages: tuple[RecordedPackage, ...]


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Use:
    """One environment using one version: who-uses and affected answer lists of these."""

    environment: str
    team: str
    package: str
    version: str
    since: str  # when this environment first recorded this version
    recorded_at: str  # its latest record
    advisory: str | None = None


class _Cursor(Protocol):
    def execute(self, sql: Any, params: Sequence[object] = ...) -> Any: ...
    def executemany(self, sql: Any, params: Sequence[Sequence[object]]) -> Any: ...
    def fetchall(self) -> list[tuple[Any, ...]]: ...


class InventoryStore:
    """SQLite file or PostgreSQL server, chosen by URL; queries are written once with ``?`` placeholders."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect, self._connection = _connect(url)
        self.migrate()

    def close(self) -> None:
        """Close the connection; the store is unusable afterwards."""
        self._connection.close()

    def __enter__(self) -> InventoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    @contextlib.contextmanager
    def transaction(self) -> Iterator[_Cursor]:
        """One transaction; database faults become InventoryUnavailable, never a traceback."""
        errors = _driver_errors()
        try:
            cursor = self._connection.cursor()
            if self.dialect == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")
            yield _Placeholders(cursor, self._sql)
            self._connection.commit()
        except errors as problem:
            with contextlib.suppress(*errors):
                self._connection.rollback()
            raise InventoryUnavailable(f"inventory {redact(self.url)}: {problem}".strip()) from None
        except BaseException:
            self._connection.rollback()
            raise

    def migrate(self) -> int:
        """Apply every migration newer than ``schema_version``; concurrent migrators serialise."""
        with self.transaction() as cursor:
            if self.dialect == "postgresql":
                cursor.execute("SELECT pg_advisory_xact_lock(?)", (731_800_001,))
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            cursor.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            current = int(cursor.fetchall()[0][0])
            if current > LATEST:
                raise InventoryUnavailable(
                    f"inventory {redact(self.url)} has schema {current}, "
                    f"newer than this supplychain ({LATEST})"
                )
            for number, statements in MIGRATIONS:
                if number > current:
                    for statement in statements:
                        cursor.execute(statement)
                    cursor.execute(
                        "INSERT INTO schema_version (version, applied_at) VALUES (?, CURRENT_TIMESTAMP)",
                        (number,),
                    )
            return max(current, LATEST)

    def schema_version(self) -> int:
        """The newest migration applied to this database."""
        with self.transaction() as cursor:
            cursor.execute("SELECT MAX(version) FROM schema_version")
            return int(cursor.fetchall()[0][0])

    def record(self, environment: EnvironmentRecord) -> None:
        """Replace the environment's package set, keeping each unchanged version's ``since``."""
        stamp = environment.recorded_at.isoformat()
        with self.transaction() as cursor:
            # Insert-or-keep, then treat the row as existing: two CI jobs recording the same new
            # environment at once serialise on the unique name instead of creating two rows.
            cursor.execute(
                "INSERT INTO environment (id, name, team, recorded_at, input_path, verdict) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                (
                    secrets.randbits(62),
                    environment.name,
                    environment.team,
                    stamp,
                    environment.input_path,
                    environment.verdict,
                ),
            )
            # The UPDATE takes the row lock first, so later statements see the previous writer's rows.
            cursor.execute(
                "UPDATE environment SET team = ?, recorded_at = ?, input_path = ?, verdict = ? "
                "WHERE name = ?",
                (environment.team, stamp, environment.input_path, environment.verdict, environment.name),
            )
            cursor.execute("SELECT id FROM environment WHERE name = ?", (environment.name,))
            env_id = int(cursor.fetchall()[0][0])
            cursor.execute("SELECT name, version, since FROM package WHERE environment_id = ?", (env_id,))
            since: dict[tuple[str, str], str] = {
                (name, version): first for name, version, first in cursor.fetchall()
            }
            cursor.execute("DELETE FROM advisory WHERE environment_id = ?", (env_id,))
            cursor.execute("DELETE FROM package WHERE environment_id = ?", (env_id,))
            cursor.executemany(
                "INSERT INTO package (environment_id, name, version, hashes, since) VALUES (?, ?, ?, ?, ?)",
                [
                    (env_id, p.name, p.version, " ".join(p.hashes), since.get((p.name, p.version), stamp))
                    for p in environment.packages
                ],
            )
            cursor.executemany(
                "INSERT INTO advisory (environment_id, package, version, advisory_id, alias, since) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (env_id, p.name, p.version, advisory_id, alias, since.get((p.name, p.version), stamp))
                    for p in environment.packages
                    for advisory_id, aliases in p.advisories
                    for alias in sorted({advisory_id, *aliases})
                ],
            )

    def who_uses(self, name: str, version: str | None = None) -> tuple[Use, ...]:
        """Every environment holding ``name`` (only ``version`` when given), by environment then version."""
        sql = (
            "SELECT e.name, e.team, p.name, p.version, p.since, e.recorded_at FROM package p "
            "JOIN environment e ON e.id = p.environment_id WHERE p.name = ?"
        )
        params: tuple[object, ...] = (name,)
        if version is not None:
            sql, params = sql + " AND p.version = ?", (name, version)
        with self.transaction() as cursor:
            cursor.execute(sql + " ORDER BY e.name, p.version", params)
            return tuple(
                Use(environment=r[0], team=r[1], package=r[2], version=r[3], since=r[4], recorded_at=r[5])
                for r in cursor.fetchall()
            )

    def usage(self, name: str) -> tuple[int, int]:
        """Distinct environments and teams using any version of ``name``."""
        with self.transaction() as cursor:
            cursor.execute(
                "SELECT COUNT(DISTINCT e.id), COUNT(DISTINCT e.team) FROM package p "
                "JOIN environment e ON e.id = p.environment_id WHERE p.name = ?",
                (name,),
            )
            environments, teams = cursor.fetchall()[0]
            return int(environments), int(teams)

    def affected(self, advisory: str) -> tuple[Use, ...]:
        """Every environment with a version that ``advisory`` (an id or any alias) affected when recorded."""
        with self.transaction() as cursor:
            cursor.execute(
                "SELECT DISTINCT e.name, e.team, a.package, a.version, a.since, e.recorded_at, a.advisory_id "
                "FROM advisory a JOIN environment e ON e.id = a.environment_id "
                "WHERE a.alias = ? ORDER BY e.name, a.package, a.version",
                (advisory,),
            )
            return tuple(
                Use(
                    environment=r[0],
                    team=r[1],
                    package=r[2],
                    version=r[3],
                    since=r[4],
                    recorded_at=r[5],
                    advisory=r[6],
                )
                for r in cursor.fetchall()
            )


class _Placeholders:
    """A cursor that rewrites ``?`` to the driver's placeholder, so callers write SQL once."""

    def __init__(self, cursor: Any, translate: Any) -> None:
        self._cursor = cursor
        self._translate = translate

    def execute(self, sql: str, params: Sequence[object] = ()) -> Any:
        return self._cursor.execute(self._translate(sql), params)

    def executemany(self, sql: str, params: Sequence[Sequence[object]]) -> Any:
        if not params:
            return None
        return self._cursor.executemany(self._translate(sql), params)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._cursor.fetchall())


def _driver_errors() -> tuple[type[BaseException], ...]:
    import psycopg

    return (sqlite3.Error, psycopg.Error)


def default_url(data_dir: Path) -> str:
    """The database ``inventory record`` writes and ``audit`` reads when none is configured."""
    return dirs.inventory_url(data_dir)


def sqlite_path(url: str) -> Path | None:
    """The file a ``sqlite:///`` URL names (SQLAlchemy's spelling); None for any other URL."""
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") and url[10:] else None


def _connect(url: str) -> tuple[str, Any]:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        # SQLAlchemy's spelling: sqlite:///relative/path, sqlite:////absolute/path
        rest = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
        path = Path(rest)
        if not rest:
            raise UsageError(f"--db {url!r}: give a file, e.g. sqlite:///path/to/inventory.sqlite3")
        try:
            private_file(path, tighten=False)  # which teams run what: private, as the cache is
            connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        except (OSError, sqlite3.Error) as problem:
            raise InventoryUnavailable(f"inventory {url}: {problem}") from None
        connection.execute("PRAGMA journal_mode=WAL")
        return "sqlite", _SqliteConnection(connection)
    if scheme in {"postgresql", "postgres"}:
        import psycopg

        try:
            return "postgresql", psycopg.connect(url, connect_timeout=10)
        except psycopg.Error as problem:
            raise InventoryUnavailable(f"inventory {redact(url)}: {problem}".strip()) from None
    raise UsageError(f"--db {redact(url)!r}: use sqlite:///PATH or postgresql://…")


class _SqliteConnection:
    """sqlite3 in autocommit mode with explicit BEGIN/COMMIT, so both drivers share one flow."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def cursor(self) -> sqlite3.Cursor:
        return self._connection.cursor()

    def commit(self) -> None:
        if self._connection.in_transaction:
            self._connection.execute("COMMIT")

    def rollback(self) -> None:
        if self._connection.in_transaction:
            self._connection.execute("ROLLBACK")

    def close(self) -> None:
        self._connection.close()
