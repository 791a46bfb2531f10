"""Inventory tests run on both backends: a SQLite file and a real throwaway PostgreSQL cluster."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.inventory.pg import Cluster, postgres_bin, start_cluster

_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One cluster for the session (initdb takes seconds); each test gets its own database."""
    if postgres_bin() is None:
        pytest.skip(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); run scripts/test-services"
        )
    cluster = start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty inventory database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'inventory.sqlite3'}"
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    name = f"inventory_{next(_counter)}"
    with psycopg.connect(cluster.url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")  # name is ours, not user input
    return cluster.url.rsplit("/", 1)[0] + f"/{name}"
