"""Versioned schema migrations, written once in the SQL both SQLite and PostgreSQL accept."""

from __future__ import annotations

# Each migration is applied once, in order, and recorded in ``schema_version``. Never edit a
# released migration: add the next number instead.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """CREATE TABLE environment (
                id BIGINT PRIMARY KEY,
                name TEXT NOT NULL,
                team TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                input_path TEXT NOT NULL,
                verdict TEXT
            )""",
            """CREATE TABLE package (
                environment_id BIGINT NOT NULL REFERENCES environment (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                version TEXT NOT NULL,
                hashes TEXT NOT NULL,
                since TEXT NOT NULL
            )""",
            """CREATE TABLE advisory (
                environment_id BIGINT NOT NULL REFERENCES environment (id) ON DELETE CASCADE,
                package TEXT NOT NULL,
                version TEXT NOT NULL,
                advisory_id TEXT NOT NULL,
                alias TEXT NOT NULL,
                since TEXT NOT NULL
            )""",
            # who-uses / usage: by package name (and version), joined to environments by id.
            "CREATE INDEX package_name_version ON package (name, version, environment_id)",
            "CREATE INDEX package_environment ON package (environment_id)",
            # affected: every id and alias of an advisory group is a row, so one equality lookup;
            # ``since`` is copied from the package row so the query needs no second join.
            "CREATE INDEX advisory_alias ON advisory (alias, environment_id)",
            # one row per environment name; concurrent first records meet here (ON CONFLICT).
            "CREATE UNIQUE INDEX environment_name ON environment (name)",
        ),
    ),
)
LATEST = MIGRATIONS[-1][0]
