"""LIVE through the CLI, against the local Kraken stand-in over real HTTP with real ccxt and signatures."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.standins.kraken import KrakenStandin
from tests.standins.threaded import Threaded

KEY = "live-cli-key-123456"
SECRET = base64.b64encode(b"live cli secret for the stand-in only").decode()


@pytest.fixture
def kraken(monkeypatch: pytest.MonkeyPatch):
    with Threaded(lambda: KrakenStandin(api_key=KEY, api_secret=SECRET)) as standin:
        monkeypatch.setenv("ZYN_MODE", "live")
        monkeypatch.setenv("KRAKEN_API_URL", standin.url)
        monkeypatch.setenv("KRAKEN_API_KEY", KEY)
        monkeypatch.setenv("KRAKEN_API_SECRET", SECRET)
        monkeypatch.setenv("ZYN_REQUEST_TIMEOUT", "5")
        yield standin


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_live_status_and_portfolio(kraken: KrakenStandin, capsys) -> None:
    code, out, err = run(capsys, "status", "--json")
    assert code == 0, err
    status = json.loads(out)
    assert status["mode"] == "live" and status["credentials_present"] is True
    assert status["connectivity"].startswith("ok: Kraken private API")
    code, out, err = run(capsys, "portfolio", "--json")
    assert code == 0, err
    balances = {b["asset"]: b["total"] for b in json.loads(out)["balances"]}
    assert balances["USD"] == "10000" and balances["BTC"] == "0.5"


def test_live_order_validates_unless_yes(kraken: KrakenStandin, capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, "order", "buy", "XBTUSD", "0.001")
    assert code == 0, err
    assert "not placed" in out and "--yes" in out
    adds = kraken.calls("AddOrder")
    assert len(adds) == 1 and adds[0]["validate"] == "true" and not kraken.orders
    code, out, err = run(capsys, "order", "buy", "XBTUSD", "0.001", "--yes", "--json")
    assert code == 0, err
    placed = json.loads(out)["order"]
    assert len(kraken.orders) == 1 and placed["id"] in kraken.orders
    assert kraken.calls("AddOrder")[-1]["cl_ord_id"] == placed["client_id"]
    with sqlite3.connect(tmp_path / "data" / "live" / "zyn.db") as db:
        rows = db.execute("select id, client_id from orders").fetchall()
    assert rows == [(placed["id"], placed["client_id"])]


def test_live_withdraw_and_export_need_confirm(kraken: KrakenStandin, capsys) -> None:
    code, _, err = run(capsys, "withdraw", "BTC", "0.1", "--key", "my-cold-wallet")
    assert code == 1 and "--confirm" in err and not kraken.withdrawals
    code, out, err = run(capsys, "withdraw", "XBT", "0.1", "--key", "nowhere", "--confirm")
    assert code != 0 and "withdraw key" in err.lower() and not kraken.withdrawals
    code, out, err = run(capsys, "withdraw", "XBT", "0.1", "--key", "my-cold-wallet", "--confirm", "--json")
    assert code == 0, err
    assert json.loads(out)["reference"] == kraken.withdrawals[0]["refid"]
    assert kraken.withdrawals[0]["asset"] == "XXBT" and str(kraken.withdrawals[0]["amount"]) == "0.1"
    code, out, err = run(capsys, "export-report", "--report", "ledgers", "--confirm")
    assert code == 0, err
    assert kraken.exports and kraken.exports[0]["report"] == "ledgers" and kraken.exports[0]["id"] in out


def test_live_wrong_secret_is_reported_not_crashed(kraken: KrakenStandin, capsys, monkeypatch) -> None:
    monkeypatch.setenv("KRAKEN_API_SECRET", base64.b64encode(b"a different secret entirely").decode())
    code, out, err = run(capsys, "status", "--json")
    assert code == 0, err
    assert json.loads(out)["connectivity"].startswith("failed:")
    code, out, err = run(capsys, "portfolio")
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err
    assert "different secret" not in out + err


def test_live_autopilot_start_asks_and_stop_never_waits(kraken: KrakenStandin, capsys) -> None:
    code, _, err = run(capsys, "auto-start")  # LIVE policy: asked, and a pipe cannot answer
    assert code == 1 and "Let the autopilot open new trades from the next tick (LIVE)?" in err and "--yes" in err
    code, out, err = run(capsys, "auto-start", "--yes")
    assert code == 0 and "Autopilot is ON" in out, err
    code, out, err = run(capsys, "auto-stop")  # stopping is never held back, in LIVE too
    assert code == 0 and "OFF" in out, err
