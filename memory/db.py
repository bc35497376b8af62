"""Open the mode's database: SQLite by default, or any DATABASE_URL (PostgreSQL tested); check and stamp its mode."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import SQLModel

import memory.tables.agent  # noqa: F401  (registers the confirmations and conversations)
import memory.tables.autopilot  # noqa: F401  (registers the autopilot's tables)
import memory.tables.candles  # noqa: F401  (registers the local candle store)
import memory.tables.learning  # noqa: F401  (registers the learner's outcome store)
import memory.tables.ledger  # noqa: F401  (registers the tables with SQLModel.metadata)
import memory.tables.pnl  # noqa: F401  (registers the fills' cost chain and the ledger's read indexes)
import memory.tables.settings  # noqa: F401  (registers the setting overrides)
import memory.tables.universe  # noqa: F401  (registers the universe's choices and the profit target's days)
import memory.tables.unresolved  # noqa: F401  (registers the LIVE orders whose outcome is unknown)
import memory.tables.web  # noqa: F401  (registers the web's login links and sessions)
from memory.engine import describe, make_engine, open_error
from memory.stores.alerts import AlertStoreMixin
from memory.stores.autopilot import AutopilotStoreMixin
from memory.stores.candles import CandleStoreMixin
from memory.stores.confirmations import ConfirmationStoreMixin
from memory.stores.conversations import ConversationStoreMixin
from memory.stores.learning import LearningStoreMixin
from memory.stores.ledger import Database as LedgerDatabase
from memory.stores.pnl import CostStoreMixin
from memory.stores.reports import ReportStoreMixin
from memory.stores.settings import SettingsStoreMixin
from memory.stores.universe import UniverseStoreMixin
from memory.stores.unresolved import UnresolvedOrderStoreMixin
from memory.stores.web import WebStoreMixin
from memory.tables.ledger import SCHEMA_VERSION, MetaRow
from trading.domain import Mode
from trading.errors import ConfigError, ModeMismatchError


class Database(UniverseStoreMixin, LearningStoreMixin, UnresolvedOrderStoreMixin, WebStoreMixin, CandleStoreMixin, AlertStoreMixin,
               ReportStoreMixin, ConfirmationStoreMixin, ConversationStoreMixin, SettingsStoreMixin,
               AutopilotStoreMixin, CostStoreMixin, LedgerDatabase):
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
    engine = make_engine(url)
    where = describe(engine)
    try:
        _check_and_stamp(engine, mode, where)
    except DBAPIError as exc:  # unreachable, refused, no such database, no permission to create tables
        engine.dispose()
        raise open_error(engine, exc) from None
    except BaseException:
        engine.dispose()
        raise
    db = Database(engine, mode)
    try:
        db.ensure_costs()
    except BaseException:
        engine.dispose()
        raise
    return db


def open_existing(mode: Mode, url: str) -> Database | None:
    """Open a mode's database only if it exists already (never creating one): None when there is none at `url`
    (no SQLite file there, or a server database Zyn never stamped). A database of the other mode is refused."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        name = parsed.database
        if not name or name == ":memory:" or not Path(name).is_file():
            return None
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table(MetaRow.__table__.name):
                return None
            stamped = conn.execute(select(MetaRow.__table__.c.mode).where(MetaRow.__table__.c.id == 1)).first()
    except DBAPIError as exc:
        raise open_error(engine, exc) from None
    finally:
        engine.dispose()
    if stamped is None:
        return None
    return open_database(mode, Path("."), url)  # checks the stamp's mode (ModeMismatchError for the other one)


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
        _create_missing_tables(engine)
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


def _create_missing_tables(engine: Engine) -> None:
    """Add the tables introduced since the file was made (existing ones are untouched), under the write lock."""
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
    if all(t.name in present for t in SQLModel.metadata.sorted_tables):
        return  # the usual open: nothing to write, no lock taken
    with engine.execution_options(zyn_write=True).begin() as conn:
        SQLModel.metadata.create_all(conn)  # checks again inside the lock: another process may have made them


def _add_new_columns(engine: Engine, where: str) -> None:
    """Bring an older database up to SCHEMA_VERSION: add the (nullable) columns and the indexes introduced since,
    never drop any.

    Inspected inside the write transaction (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock; DDL is
    transactional in both), so a second process opening it at the same moment waits for the lock and then
    finds the columns already there.
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
            named = {i["name"] for i in inspector.get_indexes(table.name)}
            for index in table.indexes:
                if index.name not in named:
                    index.create(conn)
        conn.execute(meta.update().where(meta.c.id == 1).values(schema_version=SCHEMA_VERSION))
