"""Engines for a database URL: SQLite (WAL, pragmas, BEGIN IMMEDIATE for writers) or PostgreSQL (psycopg,
a connect timeout, an advisory lock for writers). Every failure is one line that never shows the password."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from trading.errors import ConfigError

BUSY_TIMEOUT_MS = 5000
CONNECT_TIMEOUT_S = 5
# One advisory lock per database serialises Zyn's writers, as BEGIN IMMEDIATE does on SQLite: the
# read-then-write steps (sequence numbers, upserts, the schema stamp and migration) rely on it.
WRITE_LOCK_KEY = 0x7A796E5F77726974  # "zyn_writ"
URL_HINT = "expected sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
POSTGRES_EXTRA = "pip install 'zyn[postgres]'"


def make_engine(url: str) -> Engine:
    """An engine for a URL (postgresql:// means the psycopg driver); ConfigError in one line if unusable."""
    given = _parse(url)
    shown = given.render_as_string(hide_password=True)
    parsed = _normalise(given)
    backend = parsed.get_backend_name()
    options: dict[str, Any] = {}
    if backend == "postgresql":
        # A server that never answers must not hang a start-up for the OS's two-minute TCP timeout.
        connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": CONNECT_TIMEOUT_S}
        # pre-ping: a server restart would otherwise fail the next use of every pooled connection.
        options = {"connect_args": connect_args, "pool_pre_ping": True}
    try:
        engine = create_engine(parsed, **options)
    except NoSuchModuleError:
        raise ConfigError(f"DATABASE_URL {shown}: unknown kind of database '{backend}' ({URL_HINT})") from None
    except ImportError as exc:  # the dialect is known, its driver is not installed
        if backend == "postgresql" and parsed.get_driver_name() == "psycopg":
            raise ConfigError(f"DATABASE_URL {shown} needs the PostgreSQL driver: {POSTGRES_EXTRA}") from None
        raise ConfigError(f"DATABASE_URL {shown} needs the Python module '{exc.name or exc}', which is not "
                          f"installed (for PostgreSQL use postgresql://... and {POSTGRES_EXTRA})") from None
    except (ArgumentError, ValueError, TypeError) as exc:
        raise ConfigError(f"DATABASE_URL {shown} is not usable: {scrub(_first_line(exc), given)}") from None
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine)
    elif engine.dialect.name == "postgresql":
        _postgres_setup(engine)
    return engine


def describe(engine: Engine) -> str:
    """The file path for SQLite, else the URL with its password hidden."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        return str(engine.url.database)
    return engine.url.render_as_string(hide_password=True)


def open_error(engine: Engine, exc: DBAPIError) -> ConfigError:
    """One line for a database that cannot be opened: which server or file, and why."""
    where = describe(engine)
    message = _first_line(exc.orig) if exc.orig is not None else type(exc).__name__
    if engine.dialect.name == "postgresql":
        url = engine.url
        server = f"{url.host or 'localhost'}:{url.port or 5432}"
        # libpq: 'connection failed: connection to server at "h", port p failed: FATAL:  <why>'
        why = message.rsplit(" failed: ", 1)[-1].replace("FATAL:", "").strip()
        if "timeout expired" in why:
            why = f"no answer within {_timeout(url)} s (connection timeout)"
        elif why[:1].isupper() and not why[1:2].isupper():
            why = why[0].lower() + why[1:]  # "Connection refused" -> "connection refused"
        message = f"server {server}: {why}"
    return ConfigError(f"cannot open the database {where}: {scrub(message, engine.url)}")


def _timeout(url: URL) -> int:
    try:
        return max(2, int(str(url.query.get("connect_timeout", CONNECT_TIMEOUT_S))))  # libpq waits 2 s at least
    except ValueError:
        return CONNECT_TIMEOUT_S


def scrub(text: str, url: URL) -> str:
    """Text with the URL's password (if any) replaced by ***."""
    return text.replace(url.password, "***") if url.password else text


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url.strip())
    except ValueError:  # e.g. a port that is not a number; the text may hold a password, so it is not shown
        raise ConfigError(f"DATABASE_URL is not a valid database URL: its port is not a number ({URL_HINT})") \
            from None
    except ArgumentError:
        raise ConfigError(f"DATABASE_URL is not a database URL ({URL_HINT})") from None
    if parsed.host and "@" in parsed.host:  # the rest of an unescaped password would show as the host
        raise ConfigError("DATABASE_URL has more than one '@': write an '@' in the user name or password as %40")
    return parsed


def _normalise(url: URL) -> URL:
    """postgresql:// and postgres:// (as hosting services write it) both mean postgresql+psycopg://."""
    backend, _, driver = url.drivername.partition("+")
    if backend in ("postgres", "postgresql"):
        return url.set(drivername=f"postgresql+{driver or 'psycopg'}")
    return url


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _sqlite_setup(engine: Engine) -> None:
    """Per-connection pragmas, and real BEGINs so DDL and writes are transactional."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The driver's own implicit transactions skip DDL; we issue BEGIN ourselves (SQLAlchemy's recipe).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # first: everything after it may wait for a lock
        _use_wal(cur)  # readers (CLI, web) never block the writer
        cur.execute("PRAGMA foreign_keys=ON")
        # In WAL mode NORMAL cannot corrupt the file; a power cut may lose the very last commit.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock up front, so a read-then-write never fails with "database is locked".
        immediate = conn.get_execution_options().get("zyn_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _use_wal(cur: Any) -> None:
    """Switch the file to WAL (it stays so). Two processes opening a new file at once can both hold the shared
    lock and want the exclusive one: SQLite answers one of them "database is locked" at once, without waiting
    on the busy timeout (it would be a deadlock), so the switch is retried here for up to that timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


def _postgres_setup(engine: Engine) -> None:
    """Text that PostgreSQL can hold, and writers serialised like SQLite's (waiting at most the busy timeout)."""
    if engine.dialect.driver == "psycopg":
        from psycopg.types.string import StrDumperUnknown

        class NulSafeStrDumper(StrDumperUnknown):
            """PostgreSQL text cannot hold NUL (SQLite's can): one pasted into a chat becomes U+FFFD."""

            def dump(self, obj: str) -> Any:
                return super().dump(obj.replace("\x00", "\ufffd") if "\x00" in obj else obj)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.adapters.register_dumper(str, NulSafeStrDumper)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("zyn_write", False):
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {BUSY_TIMEOUT_MS}")
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
