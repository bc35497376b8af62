"""`zyn reconcile`: the LIVE journal made complete against the Kraken stand-in (real ccxt, real CLI, real HTTP)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from memory.db import open_database
from tests.bot import test_cli_live as live
from tests.standins.kraken import KrakenStandin
from trading.domain import Mode, Order, OrderStatus, OrderType, Side

kraken, run = live.kraken, live.run  # the LIVE CLI against the stand-in (one fixture, not a copy)
TWO_DAYS = 2 * 86400


def book_outside_zyn(kraken: KrakenStandin, volume: str, ago_seconds: float) -> tuple[str, str]:
    """A market buy executed on Kraken (kraken.com, not Zyn) `ago_seconds` ago: (order txid, trade id)."""
    txid = "OOUTSD-ZYNNNN-AAAAAA"
    kraken.orders[txid] = kraken._new_order("XXBTZUSD", "buy", "market", Decimal(volume), None, None, {})
    kraken._fill(txid, kraken.prices["XXBTZUSD"]["ask"])
    [tid] = kraken.orders[txid]["trades"]
    then = kraken.now() - ago_seconds
    kraken.trades[tid]["time"] = then
    kraken.orders[txid].update(opentm=then, closetm=then)
    return txid, tid


def fills_in(db_file: Path) -> dict[str, tuple[str, str | None, str]]:
    with sqlite3.connect(db_file) as db:
        return {fid: (order_id, source, amount) for fid, order_id, source, amount in
                db.execute("select id, order_id, source, amount from fills")}


def test_a_fill_the_sync_missed_two_days_ago_is_imported_once(kraken: KrakenStandin, capsys, tmp_path: Path) -> None:
    db_file = tmp_path / "data" / "live" / "zyn.db"
    code, out, err = run(capsys, "order", "buy", "XBTUSD", "0.001", "--yes", "--json")
    assert code == 0, err
    mine = json.loads(out)["order"]["id"]
    assert run(capsys, "trades")[0] == 0  # the routine sync journals it
    assert [v[0] for v in fills_in(db_file).values()] == [mine]
    # Kraken's history now shows a trade of 2 days ago the journal never saw (booked outside Zyn, or late).
    txid, tid = book_outside_zyn(kraken, "0.002", TWO_DAYS)
    assert run(capsys, "trades")[0] == 0
    assert tid not in fills_in(db_file)  # the sync reads only from its newest fill on: missed for good

    since = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    code, out, err = run(capsys, "reconcile", "--since", since)
    assert code == 0, err
    assert "Imported 1 missing fill(s)" in out and tid in out and txid in out, out
    assert "Imported 1 missing order(s)" in out and "(source reconciler)" in out
    fills = fills_in(db_file)
    assert fills[tid] == (txid, "reconciler", "0.00200000") or fills[tid][:2] == (txid, "reconciler")
    assert Decimal(fills[tid][2]) == Decimal("0.002")
    assert [v[1] for k, v in fills.items() if k != tid] == ["cli"]  # Zyn's own fill says who placed it

    code, out, err = run(capsys, "reconcile", "--since", since, "--json")  # again: nothing new, nothing changed
    assert code == 0, err
    report = json.loads(out)["report"]
    assert report["imported"] == [] and report["orders_imported"] == [] and report["differences"] == []
    assert report["kraken_trades"] == 2
    assert fills_in(db_file) == fills
    code, out, _ = run(capsys, "reconcile", "--since", since)
    assert "Nothing missing, nothing different." in out


def test_differences_are_reported_and_nothing_is_overwritten(kraken: KrakenStandin, capsys, tmp_path: Path) -> None:
    db_file = tmp_path / "data" / "live" / "zyn.db"
    assert run(capsys, "order", "buy", "XBTUSD", "0.001", "--yes")[0] == 0
    assert run(capsys, "trades")[0] == 0
    db = open_database(Mode.LIVE, tmp_path / "data")
    try:
        [fill] = db.list_fills()
        now = datetime.now(UTC)
        ghost = Order(id="OGHOST-ZYNNNN-BBBBBB", client_id="ghost-1", symbol="BTC/USD", side=Side.BUY,
                      type=OrderType.LIMIT, amount=Decimal("0.001"), status=OrderStatus.OPEN,
                      created_at=now - timedelta(hours=1), updated_at=now - timedelta(hours=1),
                      price=Decimal("50000"), source="cli")
        db.record_order(ghost)
    finally:
        db.close()
    with sqlite3.connect(db_file) as conn:  # the journal's price went wrong (a bug, a hand edit)
        conn.execute("update fills set price = '1.0' where id = ?", (fill.id,))
    code, out, err = run(capsys, "reconcile")
    assert code == 0, err
    assert "2 difference(s)" in out, out
    assert f"fill-differs {fill.id}" in out and "price 1.0 (journal)" in out
    assert "order-unknown-to-kraken OGHOST-ZYNNNN-BBBBBB" in out and "Kraken does not know this order" in out
    with sqlite3.connect(db_file) as conn:  # reported, not overwritten: the owner decides
        assert conn.execute("select price from fills where id = ?", (fill.id,)).fetchone() == ("1.0",)


def test_reconcile_is_live_only(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYN_MODE", "paper")
    code, _, err = run(capsys, "reconcile")
    assert code == 1 and "only available in LIVE" in err


def test_zyn_chat_prints_how_a_terminal_order_of_unknown_outcome_ended(kraken: KrakenStandin, capsys,
                                                                       tmp_path: Path) -> None:
    """An order asked at the terminal, settled by the service meanwhile: the open `zyn chat` prints it, once."""
    from trading.exchange.kraken.unresolved import OrderIntentRecord

    db = open_database(Mode.LIVE, tmp_path / "data")
    asked = datetime.now(UTC) - timedelta(minutes=12)
    db.record_unresolved(OrderIntentRecord(client_id="cli-intent-1", symbol="BTC/USD", side="sell",
                                           order_type="market", amount="0.002", asked_by="cli:local",
                                           asked_at=asked, reply_to="cli:terminal"))
    db.resolve_unresolved("cli-intent-1", "not_placed", at=asked + timedelta(minutes=10), note="not on Kraken")
    db.close()
    code, out, err = run(capsys, "chat", "-m", "status")
    assert code == 0, err
    assert "zyn> Resolved: your sell 0.002 BTC/USD at market was not placed; nothing was sold" in out
    code, out, err = run(capsys, "chat", "-m", "status")
    assert code == 0 and "Resolved:" not in out  # told once
