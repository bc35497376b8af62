"""LIVE orders of unknown outcome for an owner who only uses the CLI (no `zyn run`): the real CLI against the
Kraken stand-in (real ccxt, real HTTP). `zyn order` keeps checking by client id for a bounded time and prints the
resolution, or says plainly the order may exist (exit 3); `zyn reconcile` settles every unresolved intent, prints
how each ended and marks the terminal's told (the service and `zyn chat` never tell it again)."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.cli.unknown import EXIT_UNKNOWN
from memory.db import open_database
from tests.bot import test_cli_live as live
from tests.standins.kraken import KrakenStandin
from trading.domain import Mode
from trading.exchange.kraken.unresolved import OrderIntentRecord

kraken = live.kraken
PLACED = "Resolved: your buy 0.001 BTC/USD at market was placed (Kraken order"


@pytest.fixture(autouse=True)
def quick(kraken: KrakenStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYN_REQUEST_TIMEOUT", "0.3")  # AddOrder's answer is lost in a third of a second
    monkeypatch.setenv("ZYN_KRAKEN_TIER", "pro")  # a quick budget: the reconciles' history calls do not wait


def factory(settings):  # noqa: ANN001, ANN201 - the real services, with no re-send and quick lookups (the drill's shape)
    from bot.app import build_services

    services = build_services(settings)
    services.exchange._retries, services.exchange._lookup_grace = 0, 0.05
    return services


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), factory=factory)
    out, err = capsys.readouterr()
    return code, out, err


def intents(tmp_path: Path) -> list[OrderIntentRecord]:
    db = open_database(Mode.LIVE, tmp_path / "data")
    try:
        return db.unresolved_orders(None)
    finally:
        db.close()


def test_a_late_booked_order_is_resolved_while_zyn_order_checks(kraken: KrakenStandin, capsys, tmp_path) -> None:
    kraken.book_late_next("AddOrder", 1.0)  # past the timeout and the lookups, then Kraken books it
    code, out, err = run(capsys, "order", "buy", "XBTUSD", "0.001", "--yes")
    assert code == 0, err
    assert "Outcome unknown: Zyn is checking" in out and "checking Kraken for client id" in out
    (txid,) = kraken.orders
    resolved = [line for line in out.splitlines() if line.startswith("Resolved:")]
    assert len(resolved) == 1 and resolved[0].startswith(PLACED) and txid in resolved[0], out
    (intent,) = intents(tmp_path)
    assert intent.status == "placed" and intent.order_id == txid and intent.told_at is not None
    assert intent.client_id in resolved[0]
    with sqlite3.connect(tmp_path / "data" / "live" / "zyn.db") as db:  # journaled once, as placed by the CLI
        assert db.execute("select id, source from orders").fetchall() == [(txid, "cli")]
    code, out, _ = run(capsys, "reconcile")  # nothing left to settle or tell
    assert code == 0 and "Resolved:" not in out and "Still unresolved" not in out


def test_no_answer_in_time_exits_3_and_zyn_reconcile_settles_it_later(kraken: KrakenStandin, capsys,
                                                                      tmp_path) -> None:
    kraken.book_late_next("AddOrder", 1.0)
    code, out, err = run(capsys, "order", "buy", "XBTUSD", "0.001", "--yes", "--check-for", "0")
    assert code == EXIT_UNKNOWN, (out, err)
    assert "Still unknown: the order with client id" in out and "may exist on Kraken" in out
    assert "`zyn reconcile` or the running service" in out and "Resolved:" not in out
    (intent,) = intents(tmp_path)
    assert intent.status == "unknown"
    for _ in range(200):  # the stand-in runs in its own thread: it books the order meanwhile
        if kraken.orders:
            break
        time.sleep(0.05)
    (txid,) = kraken.orders

    code, out, err = run(capsys, "reconcile")
    assert code == 0, err
    resolved = [line for line in out.splitlines() if line.startswith("Resolved:")]
    assert len(resolved) == 1 and resolved[0].startswith(PLACED) and txid in resolved[0], out
    # The order is journaled before the compare (not a missing order); its fill is imported with who placed it.
    assert "missing order" not in out and "Imported 1 missing fill(s)" in out and "(source cli)" in out
    (intent,) = intents(tmp_path)
    assert intent.status == "placed" and intent.told_at is not None
    code, out, _ = run(capsys, "reconcile")
    assert code == 0 and "Resolved:" not in out
    code, out, _ = run(capsys, "chat", "-m", "status")  # the terminal's chat does not repeat it either
    assert code == 0 and "Resolved:" not in out


def test_a_dropped_order_stays_unknown_while_it_is_young(kraken: KrakenStandin, capsys, tmp_path) -> None:
    kraken.drop_next("AddOrder", 2.0)  # lost on the way: Kraken never books it
    code, out, err = run(capsys, "order", "buy", "XBTUSD", "0.001", "--yes", "--check-for", "0.5", "--json")
    assert code == EXIT_UNKNOWN, (out, err)
    assert '"client_id"' in out and "checking Kraken for client id" in err and "may exist on Kraken" in err
    assert not kraken.orders
    code, out, err = run(capsys, "reconcile")  # young: it may still be booked late
    assert code == 0, err
    assert "Still unresolved: your buy 0.001 BTC/USD at market" in out and "Resolved:" not in out
    (intent,) = intents(tmp_path)
    assert intent.status == "unknown" and intent.told_at is None


def test_old_intents_are_settled_not_placed_and_only_the_terminals_marked_told(kraken: KrakenStandin, capsys,
                                                                                tmp_path) -> None:
    db = open_database(Mode.LIVE, tmp_path / "data")
    asked = datetime.now(UTC) - timedelta(minutes=12)  # past the ten minutes a late booking could take
    db.record_unresolved(OrderIntentRecord(client_id="cli-intent-1", symbol="BTC/USD", side="buy",
                                           order_type="market", amount="0.001", asked_by="cli:local",
                                           asked_at=asked, reply_to="cli:terminal", status="unknown"))
    db.record_unresolved(OrderIntentRecord(client_id="tg-intent-1", symbol="BTC/USD", side="sell",
                                           order_type="market", amount="0.002", asked_by="telegram:42",
                                           asked_at=asked, reply_to="telegram:42", status="sending"))
    db.close()
    code, out, err = run(capsys, "reconcile", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["report"]["differences"] == [] and data["unresolved"] == []
    lines = {r["client_id"]: (r["placed"], r["text"]) for r in data["resolutions"]}
    assert lines["cli-intent-1"][0] is False and lines["cli-intent-1"][1].startswith(
        "Resolved: your buy 0.001 BTC/USD at market was not placed; nothing was bought")
    assert lines["tg-intent-1"][1].startswith("Resolved: your sell 0.002 BTC/USD at market was not placed")
    told = {i.client_id: i.told_at is not None for i in intents(tmp_path)}
    assert told == {"cli-intent-1": True, "tg-intent-1": False}  # the service tells that one in its Telegram chat
    code, out, _ = run(capsys, "reconcile")
    assert code == 0 and "Resolved:" not in out
