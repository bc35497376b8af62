"""Open the mode's database: SQLite by default (WAL, foreign keys, busy timeout) or any DATABASE_URL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError
from sqlmodel import SQLModel

import memory.tables.agent  # noqa: F401  (registers the confirmations and conversations)
import memory.tables.autopilot  # noqa: F401  (registers the autopilot's tables)
import memory.tables.candles  # noqa: F401  (registers the local candle store)
import memory.tables.ledger  # noqa: F401  (registers the tables with SQLModel.metadata)
import memory.tables.settings  # noqa: F401  (registers the setting overrides)
from memory.stores.alerts import AlertStoreMixin
from memory.stores.autopilot import AutopilotStoreMixin
from memory.stores.candles import CandleStoreMixin
from memory.stores.confirmations import ConfirmationStoreMixin
from memory.stores.conversations import ConversationStoreMixin
from memory.stores.ledger import Database as LedgerDatabase
from memory.stores.reports import ReportStoreMixin
from memory.stores.settings import SettingsStoreMixin
from memory.tables.ledger import SCHEMA_VERSION, MetaRow
from trading.domain import Mode
from trading.errors import ConfigError, ModeMismatchError

BUSY_TIMEOUT_MS = 5000


class Database(CandleStoreMixin, AlertStoreMixin, ReportStoreMixin, ConfirmationStoreMixin, ConversationStoreMixin,
               SettingsStoreMixin, AutopilotStoreMixin, LedgerDatabase):
    """One mode's database: the paper ledger and LIVE journal, plus the autopilot's state and evaluation log."""


def default_path(mode: Mode, data_dir: Path) -> Path:
    """Where a mode's SQLite file lives: <data_dir>/<mode>/zyn.db."""
    return Path(data_dir) / mode.value / "zyn.db"


def open_database(mode: Mode, data_dir: Path, url: str | None = None) -> Database:
    """Open (creating if new) the database of a mode; refuse one stamped for the other mode."""
    mode = Mode(mode)
    if url is None:
        path = default_path(mode, data_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    engine = _make_engine(url)
    where = _describe(engine)
    try:
        _check_and_stamp(engine, mode, where)
    except OperationalError as exc:
        engine.dispose()
        first = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
        raise ConfigError(f"cannot open the database {where}: {first}") from None
    except BaseException:
        engine.dispose()
        raise
    return Database(engine, mode)


def _make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
        engine = create_engine(parsed)
    except (ArgumentError, NoSuchModuleError, ModuleNotFoundError, ValueError) as exc:
        shown = _mask(url)
        raise ConfigError(f"DATABASE_URL {shown} is not usable: {type(exc).__name__}") from None
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine)
    return engine


def _sqlite_setup(engine: Engine) -> None:
    """Per-connection pragmas, and real BEGINs so DDL and writes are transactional."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The driver's own implicit transactions skip DDL; we issue BEGIN ourselves (SQLAlchemy's recipe).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")  # readers (CLI, web) never block the writer
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # In WAL mode NORMAL cannot corrupt the file; a power cut may lose the very last commit.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock up front, so a read-then-write never fails with "database is locked".
        immediate = conn.get_execution_options().get("zyn_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _check_and_stamp(engine: Engine, mode: Mode, where: str, retry: bool = True) -> None:
    """Read the stamp before writing anything; stamp a fresh database in one transaction."""
    meta = MetaRow.__table__
    with engine.connect() as conn:
        stamp = None
        if inspect(conn).has_table(meta.name):
            stamp = conn.execute(select(meta.c.mode, meta.c.schema_version).where(meta.c.id == 1)).first()
    if stamp is not None:
        if stamp.mode != mode.value:
            raise ModeMismatchError(
                f"this database ({where}) belongs to {stamp.mode.upper()} mode; "
                f"refusing to open it in {mode.value.upper()} mode")
        if stamp.schema_version > SCHEMA_VERSION:
            raise ConfigError(f"this database ({where}) was written by a newer Zyn "
                              f"(schema {stamp.schema_version}); upgrade Zyn to open it")
        SQLModel.metadata.create_all(engine)  # adds tables introduced since; existing ones are untouched
        if stamp.schema_version < SCHEMA_VERSION:
            _add_new_columns(engine, where)
        return
    try:
        with engine.execution_options(zyn_write=True).begin() as conn:
            SQLModel.metadata.create_all(conn)
            conn.execute(meta.insert().values(id=1, mode=mode.value, schema_version=SCHEMA_VERSION,
                                              created_at=datetime.now(UTC)))
    except IntegrityError:
        if not retry:
            raise
        _check_and_stamp(engine, mode, where, retry=False)  # another process stamped it first


def _add_new_columns(engine: Engine, where: str) -> None:
    """Bring an older file up to SCHEMA_VERSION: add the (nullable) columns introduced since, never drop any.

    Inspected inside the write transaction, so a second process opening the same file at the same
    moment waits for the lock and then finds the columns already there.
    """
    meta = MetaRow.__table__
    with engine.execution_options(zyn_write=True).begin() as conn:
        inspector = inspect(conn)
        quote = conn.dialect.identifier_preparer.quote
        for table in SQLModel.metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                if not column.nullable or column.primary_key:
                    raise ConfigError(f"cannot upgrade the database {where}: new column {table.name}.{column.name} "
                                      "has no default")
                kind = column.type.compile(dialect=conn.dialect)
                conn.exec_driver_sql(f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(column.name)} {kind}")
        conn.execute(meta.update().where(meta.c.id == 1).values(schema_version=SCHEMA_VERSION))


def _describe(engine: Engine) -> str:
    """The file path for SQLite, else the URL with its password hidden."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        return str(engine.url.database)
    return engine.url.render_as_string(hide_password=True)


def _mask(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable)"
