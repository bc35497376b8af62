"""The store tests run on both backends: SQLite (a temporary file) and a real PostgreSQL server.

One server per test session (tests/memory/pg_server.py: 127.0.0.1, a free port, a temporary directory);
each test gets its own freshly created database, dropped afterwards. A machine that cannot start the
server fails these tests with what to install; they are never skipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from memory import Database, open_database
from tests.memory import pg_server as pg
from trading.domain import Mode

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pg.PostgresServer]:
    """One real PostgreSQL server for the whole session."""
    try:
        server = pg.start()
    except pg.NoPostgres as exc:
        pytest.fail(f"cannot start PostgreSQL for the store tests: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: pg.PostgresServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL database of this test (postgresql+psycopg://...), dropped after it."""
    name = pg_server.create_database()
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop_database(name)


@dataclass
class Backend:
    """One database for a test, on either backend, with an independent way to look inside it."""

    name: str
    url: str
    data_dir: Path

    def open(self, mode: Mode = Mode.PAPER) -> Database:
        return open_database(mode, self.data_dir, url=self.url)

    def sql(self, statement: str) -> list[tuple]:
        """Run one statement with the plain driver (not the code under test); committed; returns its rows."""
        if self.name == "sqlite":
            con = sqlite3.connect(make_url(self.url).database)
            try:
                cur = con.execute(statement)
                out = cur.fetchall()
                con.commit()
                return out
            finally:
                con.close()
        import psycopg

        u = make_url(self.url)
        with psycopg.connect(host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database,
                             autocommit=True) as con:
            cur = con.execute(statement)
            return cur.fetchall() if cur.description else []

    def tables(self) -> list[str]:
        if self.name == "sqlite":
            return [r[0] for r in self.sql("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return [r[0] for r in self.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                       "ORDER BY tablename")]

    def rows(self) -> dict[str, list[str]]:
        """Every table's rows, as sorted reprs."""
        return {t: sorted(map(repr, self.sql(f'SELECT * FROM "{t}"'))) for t in self.tables()}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """The test's database on SQLite, then on PostgreSQL."""
    if request.param == "sqlite":
        return Backend("sqlite", f"sqlite:///{tmp_path / 'zyn.db'}", tmp_path)
    return Backend("postgresql", request.getfixturevalue("pg_url"), tmp_path)
