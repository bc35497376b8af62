"""The mode's database on SQLite and PostgreSQL: stamping, refusal without writes, exact round trips."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from memory import Database, default_path, open_database
from memory.tables.ledger import SCHEMA_VERSION
from tests.memory.conftest import Backend
from trading.domain import (
    Balance,
    Bracket,
    BracketStatus,
    Fill,
    Liquidity,
    Mode,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
)
from trading.errors import ConfigError, ModeMismatchError
from trading.exchange.paper.ledger import PaperChange, PaperLedger

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def order(i: int = 1, *, status: OrderStatus = OrderStatus.OPEN, when: datetime = T0, **kw: object) -> Order:
    values = dict(id=f"O{i:05d}-AAAAA-BBBBBB", client_id=f"client-{i}", symbol="BTC/USD", side=Side.BUY,
                  type=OrderType.LIMIT, amount=D("0.01"), status=status, created_at=when, updated_at=when,
                  price=D("65000.1"))
    values.update(kw)
    return Order(**values)


def fill(i: int = 1, when: datetime = T0) -> Fill:
    return Fill(id=f"T{i:05d}", order_id=f"O{i:05d}-AAAAA-BBBBBB", client_id=f"client-{i}", symbol="BTC/USD",
                side=Side.BUY, amount=D("0.01"), price=D("65000.1"), fee=D("1.62500250"), fee_currency="USD",
                liquidity=Liquidity.MAKER, timestamp=when)


def rows(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, read with plain sqlite3 (independent of the code under test)."""
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {n: sorted(map(repr, con.execute(f'SELECT * FROM "{n}"'))) for n in names}
    finally:
        con.close()


def test_fresh_database_is_stamped_with_its_mode(backend: Backend) -> None:
    db = backend.open(Mode.PAPER)
    try:
        assert db.mode is Mode.PAPER
        ledger: PaperLedger = db  # the paper simulator's persistence protocol
        assert all(callable(getattr(ledger, n)) for n in
                   ("load_paper", "commit_paper", "list_orders", "get_order", "list_fills"))
        with db.engine.connect() as conn:
            mode, version, created = conn.execute(text("SELECT mode, schema_version, created_at FROM meta")).one()
        assert (mode, version) == ("paper", SCHEMA_VERSION)
        assert created
        assert set(backend.tables()) >= {"meta", "orders", "fills", "positions", "brackets", "paper_balances",
                                         "balance_snapshots"}
    finally:
        db.close()


def test_without_a_url_each_mode_has_its_own_sqlite_file(tmp_path: Path) -> None:
    paper, live = open_database(Mode.PAPER, tmp_path), open_database(Mode.LIVE, tmp_path)
    try:
        assert paper.path == default_path(Mode.PAPER, tmp_path) == tmp_path / "paper" / "zyn.db"
        assert live.path == tmp_path / "live" / "zyn.db"
        assert set(rows(paper.path)) >= {"meta", "orders", "fills"}
    finally:
        paper.close(), live.close()


def test_reopening_in_the_same_mode_keeps_the_data(backend: Backend) -> None:
    db = backend.open(Mode.LIVE)
    db.record_order(order())
    db.close()
    again = backend.open(Mode.LIVE)
    try:
        assert again.get_order("client-1") == order()
        assert again.path == (backend.data_dir / "zyn.db" if backend.name == "sqlite" else None)
    finally:
        again.close()


def test_other_mode_is_refused_and_nothing_is_written(backend: Backend) -> None:
    db = backend.open(Mode.PAPER)
    db.record_order(order())
    where = str(db.path) if db.path else db.url
    db.close()
    before_rows, before_tables = backend.rows(), backend.tables()
    path = backend.data_dir / "zyn.db"
    before_bytes = path.read_bytes() if backend.name == "sqlite" else b""
    before_files = sorted(p.name for p in backend.data_dir.iterdir())
    with pytest.raises(ModeMismatchError) as err:
        backend.open(Mode.LIVE)
    assert str(err.value) == (f"this database ({where}) belongs to PAPER mode; refusing to open it in LIVE mode")
    assert make_url(backend.url).password is None or make_url(backend.url).password not in str(err.value)
    assert backend.rows() == before_rows and backend.tables() == before_tables
    assert sorted(p.name for p in backend.data_dir.iterdir()) == before_files
    if backend.name == "sqlite":
        assert path.read_bytes() == before_bytes


def test_refusal_happens_before_any_table_is_created(backend: Backend) -> None:
    backend.sql("CREATE TABLE meta (id INTEGER PRIMARY KEY, mode VARCHAR(16), schema_version INTEGER, "
                "created_at TIMESTAMP)")
    backend.sql("INSERT INTO meta VALUES (1, 'live', 1, '2025-01-01 00:00:00')")
    with pytest.raises(ModeMismatchError, match="belongs to LIVE mode; refusing to open it in PAPER mode"):
        backend.open(Mode.PAPER)
    assert backend.tables() == ["meta"]


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    db = open_database(Mode.PAPER, tmp_path)
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    finally:
        db.close()


def test_decimals_round_trip_exactly(backend: Backend) -> None:
    db = backend.open(Mode.PAPER)
    try:
        tricky = [D("0.00000001"), D("1E-8"), D("65000.10"), D("123456789012345678901234567890.123456789"),
                  D("0.1") + D("0.2"), D("-3.000000000000000000000000000001")]
        for i, value in enumerate(tricky):
            db.record_order(order(i, amount=value, price=value, average=value))
            back = db.get_order(f"client-{i}")
            assert (back.amount, back.price, back.average) == (value, value, value)
            assert str(back.amount) == str(value)  # same digits, not just equal
        db.commit_paper(PaperChange(balances={"USD": D("9346.972296"), "BTC": D("0.01000000")}))
        assert db.load_paper().balances == {"USD": D("9346.972296"), "BTC": D("0.01000000")}
        assert str(db.load_paper().balances["BTC"]) == "0.01000000"
    finally:
        db.close()


def test_times_come_back_as_aware_utc(backend: Backend) -> None:
    if backend.name == "postgresql":  # a server whose sessions are not in UTC changes nothing
        backend.sql(f"ALTER DATABASE \"{make_url(backend.url).database}\" SET timezone TO 'Pacific/Chatham'")
    db = backend.open(Mode.PAPER)
    try:
        plus_two = datetime(2025, 3, 1, 14, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
        db.record_order(order(when=plus_two))
        db.record_order(order(2, when=plus_two - timedelta(microseconds=1)))
        back = db.get_order("client-1")
        assert back.created_at == plus_two
        assert back.created_at.tzinfo is UTC and back.created_at.hour == 12
        assert [o.client_id for o in db.list_orders()] == ["client-1", "client-2"]  # ordered to the microsecond
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT created_at FROM orders WHERE client_id = 'client-1'")).scalar()
        assert str(stored).startswith("2025-03-01 12:30:15.123456")  # UTC on disk, whatever the session zone
        with pytest.raises(Exception, match="naive"):
            db.record_order(order(3, when=datetime(2025, 1, 1)))
    finally:
        db.close()


def test_commit_paper_is_all_or_nothing(backend: Backend) -> None:
    db = backend.open(Mode.PAPER)
    try:
        assert db.load_paper() is None
        db.commit_paper(PaperChange(balances={"USD": D("10000")}, fills=[fill(1)]))
        before = backend.rows()
        bad = PaperChange(balances={"USD": D("1")}, orders=[order(2)], fills=[fill(1)],  # fill 1 exists
                          positions=[Position("BTC/USD", D("1"), D("1"))])
        with pytest.raises(IntegrityError):
            db.commit_paper(bad)
        assert backend.rows() == before
    finally:
        db.close()


def test_paper_snapshot_holds_only_active_orders_and_brackets(backend: Backend) -> None:
    db = backend.open(Mode.PAPER)
    try:
        b_active = Bracket("B1", "BTC/USD", Side.BUY, "O1", "O2", "O3", BracketStatus.ACTIVE, T0, D("60000"), D("70000"))
        b_done = Bracket("B2", "BTC/USD", Side.BUY, "O4", None, None, BracketStatus.CLOSED, T0)
        pos = Position("BTC/USD", D("0.01"), D("65302.7704"), D("-1.5"), D("2.6"), T0)
        db.commit_paper(PaperChange(
            balances={"USD": D("10000")},
            orders=[order(1), order(2, status=OrderStatus.PENDING), order(3, status=OrderStatus.CLOSED)],
            positions=[pos], brackets=[b_active, b_done]))
        snap = db.load_paper()
        assert [o.id for o in snap.active_orders] == [order(1).id, order(2).id]
        assert snap.active_brackets == [b_active]
        assert snap.positions == {"BTC/USD": pos}
        assert db.get_bracket("B2") == b_done
    finally:
        db.close()


def test_lists_are_newest_first_even_within_one_instant(backend: Backend) -> None:
    db = backend.open(Mode.LIVE)
    try:
        for i in range(1, 6):
            db.record_order(order(i, when=T0 if i < 5 else T0 - timedelta(seconds=1)))
            assert db.record_fill(fill(i)) is True
        assert db.record_fill(fill(1)) is False
        db.record_order(order(2, status=OrderStatus.CLOSED))  # an update keeps its place
        assert [o.client_id for o in db.list_orders()] == ["client-4", "client-3", "client-2", "client-1", "client-5"]
        assert [o.client_id for o in db.list_orders(statuses=(OrderStatus.CLOSED,))] == ["client-2"]
        assert [o.client_id for o in db.list_orders(limit=2)] == ["client-4", "client-3"]
        assert db.list_orders(symbol="ETH/USD") == []
        assert [f.id for f in db.list_fills(limit=3)] == ["T00005", "T00004", "T00003"]
        assert db.get_order("nope") is None
    finally:
        db.close()


def test_balance_snapshots_group_by_moment(backend: Backend) -> None:
    db: Database = backend.open(Mode.LIVE)
    try:
        for minute in range(3):
            db.record_balance_snapshot(
                {"USD": Balance("USD", D("100.5") + minute, D("1")), "BTC": Balance("BTC", D("0.1"))},
                T0 + timedelta(minutes=minute), D("6600.5") if minute else None, "kraken")
        snaps = db.list_balance_snapshots(limit=2)
        assert [s.timestamp for s in snaps] == [T0 + timedelta(minutes=2), T0 + timedelta(minutes=1)]
        assert snaps[0].balances["USD"] == Balance("USD", D("102.5"), D("1"))
        assert snaps[0].equity_quote == D("6600.5") and snaps[0].source == "kraken"
        assert db.list_balance_snapshots()[-1].equity_quote is None
    finally:
        db.close()


def test_bad_database_url_is_a_config_error_without_the_password(tmp_path: Path) -> None:
    for url in ("not a url", "postgresql://zyn:hunter2secret@127.0.0.1:1/zyn"):
        with pytest.raises(ConfigError) as err:
            open_database(Mode.PAPER, tmp_path, url=url)
        assert "hunter2secret" not in str(err.value)


def test_in_memory_database_has_no_path(tmp_path: Path) -> None:
    db = open_database(Mode.PAPER, tmp_path, url="sqlite://")
    try:
        assert db.path is None and db.url == "sqlite://"
        db.commit_paper(PaperChange(balances={"USD": D("1")}))
        assert db.load_paper().balances == {"USD": D("1")}
    finally:
        db.close()


def test_a_schema_1_database_gains_the_new_bracket_columns_and_keeps_its_rows(backend: Backend) -> None:
    db = backend.open(Mode.LIVE)
    db.save_bracket(Bracket("B1", "BTC/USD", Side.BUY, "O1", "O2", None, BracketStatus.ACTIVE, T0, D("60000"),
                            D("70000")))
    db.close()
    for column in ("exit_kind", "leg_seq", "note", "updated_at"):  # turn it into what schema 1 wrote
        backend.sql(f"ALTER TABLE brackets DROP COLUMN {column}")
    backend.sql("UPDATE meta SET schema_version = 1")

    again = backend.open(Mode.LIVE)
    try:
        old = again.get_bracket("B1")
        assert (old.stop_order_id, old.exit_kind, old.leg_seq, old.note) == ("O2", None, 0, None)
        again.save_bracket(old.evolve(status=BracketStatus.CLOSED, exit_kind="stop-loss", leg_seq=2, note="done",
                                      updated_at=T0 + timedelta(minutes=1)))
        back = again.get_bracket("B1")
        assert (back.exit_kind, back.leg_seq, back.updated_at) == ("stop-loss", 2, T0 + timedelta(minutes=1))
        with again.engine.connect() as conn:
            assert conn.execute(text("SELECT schema_version FROM meta")).scalar() == SCHEMA_VERSION
    finally:
        again.close()
    backend.open(Mode.LIVE).close()  # a second open finds nothing left to add


def test_a_table_introduced_since_is_created_on_open(backend: Backend) -> None:
    backend.open(Mode.PAPER).close()
    backend.sql("DROP TABLE announced_fills")
    db = backend.open(Mode.PAPER)
    try:
        assert "announced_fills" in backend.tables()
        assert db.claim_fill_announcement("T1", T0) and not db.claim_fill_announcement("T1", T0)
    finally:
        db.close()


def test_live_journal_is_idempotent_and_keeps_bracket_links(backend: Backend) -> None:
    db = backend.open(Mode.LIVE)
    try:
        assert db.record_fill(fill(1)) is True and db.record_fill(fill(1)) is False
        assert [f.id for f in db.record_fills([fill(1), fill(2), fill(2)])] == ["T00002"]
        db.record_order(order(3, bracket_id="B1"))
        db.record_order(order(3, status=OrderStatus.CLOSED))  # Kraken's copy knows no bracket
        assert db.get_order(order(3).id).bracket_id == "B1"
        for i in (4, 5):  # Kraken's conditional closes have no client id; the column is unique
            db.record_order(order(i, client_id=""))
        assert db.get_order(order(4).id).client_id == order(4).id
        [new] = db.record_fills([replace(fill(3), client_id="")])
        assert new.client_id == "client-3"  # taken from the journaled order
        assert len(db.list_fills()) == 3
    finally:
        db.close()


def test_writers_wait_for_each_other_on_both_backends(backend: Backend) -> None:
    """SQLite's BEGIN IMMEDIATE and PostgreSQL's advisory lock: a second writer starts only after the first."""
    one, two = backend.open(Mode.LIVE), backend.open(Mode.LIVE)  # as if two processes
    try:
        first = one.session(write=True)
        first.execute(text("SELECT 1"))  # the transaction has begun and holds the write lock
        done = threading.Event()
        writer = threading.Thread(target=lambda: (two.record_order(order(2)), done.set()), daemon=True)
        writer.start()
        assert not done.wait(0.3)  # blocked behind the first writer
        assert one.list_orders() == [] and two.list_orders() == []  # readers are not blocked
        first.commit()
        first.close()
        assert done.wait(5)
        writer.join(5)
        assert [o.id for o in one.list_orders()] == [order(2).id]
    finally:
        one.close(), two.close()


def test_sequence_numbers_stay_unique_when_two_databases_write(backend: Backend) -> None:
    one, two = backend.open(Mode.LIVE), backend.open(Mode.LIVE)
    try:
        threads = [threading.Thread(target=lambda db=db, k=k: [db.record_fills([fill(k * 100 + i)])
                                                               for i in range(15)]) for k, db in ((1, one), (2, two))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        seqs = [r[0] for r in backend.sql("SELECT seq FROM fills")]
        assert len(seqs) == 30 and len(set(seqs)) == 30
    finally:
        one.close(), two.close()


def test_a_schema_2_database_gains_the_source_columns_and_old_rows_stay_unrecorded(backend: Backend) -> None:
    db = backend.open(Mode.LIVE)
    db.record_order(order(1))
    db.record_fills([fill(1)])
    db.close()
    for table, columns in (("orders", ("source", "strategy")), ("fills", ("source", "strategy")),
                           ("brackets", ("source", "strategy")), ("confirmations", ("kind",))):
        for column in columns:  # turn it into what schema 2 wrote
            backend.sql(f"ALTER TABLE {table} DROP COLUMN {column}")
    backend.sql("UPDATE meta SET schema_version = 2")

    again = backend.open(Mode.LIVE)
    try:
        assert again.get_order(order(1).id).source is None and again.list_fills()[0].source is None
        again.record_order(order(2, source="chat:telegram:42"))
        again.record_order(order(2, status=OrderStatus.CLOSED))  # Kraken's later answer says nothing of who
        assert again.get_order(order(2).id).source == "chat:telegram:42"
        [new] = again.record_fills([fill(2)])
        assert new.source == "chat:telegram:42"  # a fill takes its order's source
        with again.engine.connect() as conn:
            assert conn.execute(text("SELECT schema_version FROM meta")).scalar() == SCHEMA_VERSION
    finally:
        again.close()
    backend.open(Mode.LIVE).close()  # a second open finds nothing left to add


def test_a_live_entry_fill_journaled_before_its_order_takes_the_brackets_source(backend: Backend) -> None:
    db = backend.open(Mode.LIVE)
    try:
        entry = order(3)
        db.save_bracket(Bracket("B3", "BTC/USD", Side.BUY, entry.id, None, None, BracketStatus.PENDING_ENTRY, T0,
                                D("60000"), D("70000"), source="autopilot", strategy="ma_crossover"))
        db.save_bracket(Bracket("B3", "BTC/USD", Side.BUY, entry.id, None, None, BracketStatus.ACTIVE, T0,
                                D("60000"), D("70000")))  # a later save that does not say who keeps who did
        assert (db.get_bracket("B3").source, db.get_bracket("B3").strategy) == ("autopilot", "ma_crossover")
        [f] = db.record_fills([fill(3)])  # the sync found the trade before anyone journaled the entry
        assert (f.source, f.strategy) == ("autopilot", "ma_crossover")
        stop = order(4, type=OrderType.STOP_LOSS, side=Side.SELL, bracket_id="B3")  # the reconciler's leg
        db.record_order(stop)
        assert db.get_order(stop.id).source == "autopilot"
        [outside] = db.record_fills([replace(fill(5), order_id="OUNKNO-WNNNN-NNNNNN")], fallback_source="reconciler")
        assert outside.source == "reconciler" and db.list_fills(limit=1)[0].source == "reconciler"
    finally:
        db.close()


def test_a_schema_3_database_gains_the_brackets_entry_index_the_source_lookup_uses(tmp_path: Path) -> None:
    """Writing an order or fill without its source looks its bracket up by entry order: by index, not by a scan
    of every bracket ever made (and a schema 3 file gets the index when it is opened)."""
    db = open_database(Mode.LIVE, tmp_path)
    path = db.path
    db.close()
    con = sqlite3.connect(path)
    con.execute("DROP INDEX ix_brackets_entry_order")
    con.execute("UPDATE meta SET schema_version = 3")
    con.commit()
    con.close()
    open_database(Mode.LIVE, tmp_path).close()
    con = sqlite3.connect(path)
    try:
        plan = con.execute("EXPLAIN QUERY PLAN SELECT entry_order_id, source, strategy FROM brackets "
                           "WHERE entry_order_id IN ('O1') AND source IS NOT NULL").fetchall()
        assert "ix_brackets_entry_order" in str(plan), plan
        assert con.execute("SELECT schema_version FROM meta").fetchone()[0] == SCHEMA_VERSION == 5
    finally:
        con.close()
