"""A whole PAPER session through the CLI entry points, priced by a local Kraken stand-in over real ccxt.

Every `main()` call builds its services afresh from the database, as a new process would, so each
command is also a restart; one command runs in a real subprocess to prove it. The stand-in fails the
test on any /0/private request: PAPER never sends one, even with Kraken keys set.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.standins.kraken import KrakenStandin
from tests.standins.threaded import Threaded

ROOT = Path(__file__).resolve().parents[2]
KEY = "paper-should-never-use-this-key"
SECRET = base64.b64encode(b"paper must never sign with this").decode()


@pytest.fixture
def kraken(monkeypatch: pytest.MonkeyPatch):
    with Threaded(lambda: KrakenStandin(api_key=KEY, api_secret=SECRET)) as standin:
        standin.forbid_private = True  # leaving the context fails the test if PAPER called /0/private
        monkeypatch.setenv("KRAKEN_API_URL", standin.url)
        monkeypatch.setenv("KRAKEN_API_KEY", KEY)  # present, to prove PAPER still never signs
        monkeypatch.setenv("KRAKEN_API_SECRET", SECRET)
        standin.set_price("XXBTZUSD", "50000.0", "50010.0")
        standin.set_price("XETHZUSD", "3000.00", "3000.50")
        yield standin
        assert standin.private_violations == []
        assert any("/0/public/Ticker" in r[1] for r in standin.requests)


def cli(capsys, *argv: str) -> dict | list:
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, (argv, err)
    return json.loads(out)


def balances(capsys) -> dict[str, tuple[D, D]]:
    return {b["asset"]: (D(b["total"]), D(b["used"])) for b in cli(capsys, "portfolio")["balances"]}


def test_paper_session_through_the_cli(kraken: KrakenStandin, capsys, tmp_path: Path) -> None:
    # 1. Market buy 0.05 BTC: ask 50010 + 5 bps slippage = 50035.005 -> 50035.1 (tick 0.1, rounded against us).
    buy = cli(capsys, "order", "buy", "btcusd", "0.05")["order"]
    assert buy["status"] == "closed" and D(buy["average"]) == D("50035.1")
    assert D(buy["fee"]) == D("10.00702")  # 2501.755 * 0.40% taker
    assert balances(capsys)["USD"] == (D("7488.23798"), D("0"))

    # 2. Limit buy 0.05 BTC at 49000 rests and holds 0.05 * 49000 * 1.004 USD.
    limit = cli(capsys, "order", "buy", "XBT/USD", "0.05", "--price", "49000")["order"]
    assert limit["status"] == "open" and limit["type"] == "limit"
    assert balances(capsys)["USD"] == (D("7488.23798"), D("2459.8"))
    assert [o["id"] for o in cli(capsys, "orders")["orders"]] == [limit["id"]]

    # 3. The price drops through the limit: it fills at 49000 as maker (0.25%).
    kraken.set_price("XXBTZUSD", "48900.0", "48950.0")
    closed = cli(capsys, "orders", "--closed")["orders"]
    filled = next(o for o in closed if o["id"] == limit["id"])
    assert filled["status"] == "closed" and D(filled["average"]) == D("49000") and D(filled["fee"]) == D("6.125")
    assert balances(capsys)["USD"] == (D("5032.11298"), D("0"))

    # 4. Bracket on ETH: market entry 3000.50 * 1.0005 = 3002.00025 -> 3002.01; stop 2900, target 3300.
    bracket = cli(capsys, "order", "buy", "ETH/USD", "1", "--stop", "2900", "--take-profit", "3300")
    assert D(bracket["order"]["average"]) == D("3002.01") and D(bracket["order"]["fee"]) == D("12.00804")
    assert sorted(c["type"] for c in bracket["children"]) == ["stop-loss", "take-profit"]
    assert all(c["status"] == "open" for c in bracket["children"])
    bal = balances(capsys)
    assert bal["USD"] == (D("2018.09494"), D("0")) and bal["ETH"] == (D("1"), D("1"))  # one hold for both exits

    # 5. A limit sell rests, then is cancelled: its BTC hold is released.
    sell = cli(capsys, "order", "sell", "BTC/USD", "0.05", "--price", "60000")["order"]
    assert balances(capsys)["BTC"] == (D("0.1"), D("0.05"))
    cancelled = cli(capsys, "cancel", sell["id"], "--yes")["cancelled"]
    assert [o["status"] for o in cancelled] == ["canceled"]
    assert balances(capsys)["BTC"] == (D("0.1"), D("0"))

    # 6. Restart in a real new process: the same state, exactly.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "bot.cli.main", "portfolio", "--json"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    restarted = {b["asset"]: (D(b["total"]), D(b["used"])) for b in json.loads(proc.stdout)["balances"]}
    assert restarted == balances(capsys)

    # 7. ETH rallies through the target: take-profit sells at 3310 * 0.9995 = 3308.345 -> 3308.34; stop cancelled.
    kraken.set_price("XETHZUSD", "3310.00", "3310.50")
    closed = {o["id"]: o for o in cli(capsys, "orders", "--closed")["orders"]}
    stop_id, target_id = (bracket["bracket"]["stop_order_id"], bracket["bracket"]["take_profit_order_id"])
    assert closed[target_id]["status"] == "closed" and D(closed[target_id]["average"]) == D("3308.34")
    assert closed[stop_id]["status"] == "canceled"
    assert cli(capsys, "orders")["orders"] == []

    # 8. Sell the BTC at market: 48900 * 0.9995 = 48875.55 -> 48875.5.
    cli(capsys, "order", "sell", "BTC/USD", "0.1")
    folio = cli(capsys, "portfolio")
    bal = {b["asset"]: D(b["total"]) for b in folio["balances"]}
    assert bal["USD"] == D("10181.20138")
    realized = {p["position"]["symbol"]: D(p["position"]["realized_pnl"]) for p in folio["positions"]}
    assert realized == {"BTC/USD": D("-99.88722"), "ETH/USD": D("281.0886")}
    assert D(folio["realized_pnl"]) == D("181.20138") == bal["USD"] - D("10000")
    assert D(folio["fees_paid"]) == D("60.92362")
    trades = cli(capsys, "trades")["fills"]
    assert len(trades) == 5 and {t["liquidity"] for t in trades} == {"maker", "taker"}
