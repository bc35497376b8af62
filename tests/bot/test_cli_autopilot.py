"""The automation commands: auto-start/stop/status/config, the kill switch and the emergency flatten."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli.main import main
from memory import open_database
from trading.domain import Mode
from trading.risk.state import KillSwitchState


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_auto_start_stop_and_status(capsys) -> None:
    code, out, _ = run(capsys, "auto-status", "--json")
    status = json.loads(out)
    assert code == 0 and status["enabled"] is False and status["trades_total"] == 0
    assert status["max_total"] == 30 and status["max_per_symbol"] == 10 and status["kill_switch_tripped"] is False
    assert status["universe"] == ["BTC/USD", "ETH/USD", "SOL/USD"]
    code, out, _ = run(capsys, "auto-start")
    assert code == 0 and "Autopilot is ON" in out
    code, out, _ = run(capsys, "auto-start")
    assert "already ON" in out
    assert json.loads(run(capsys, "auto-status", "--json")[1])["enabled"] is True
    code, out, _ = run(capsys, "auto-stop")
    assert code == 0 and "OFF" in out
    code, out, _ = run(capsys, "auto-status")
    assert code == 0 and "Kill switch" in out and "armed" in out


def test_auto_config_warns_when_the_live_feed_cannot_warm_a_4h_trend_up(capsys, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "auto-config")
    assert code == 0 and "Warning" not in out  # the 1h default fits Kraken's window
    four = tmp_path / "4h.toml"
    four.write_text('[trading.indicators.higher]\ntrend_timeframe = "4h"\n')
    code, out, _ = run(capsys, "auto-config", "--file", str(four))
    flat = " ".join(out.split())
    assert code == 0 and "Warning: the 4h trend needs 8.5 days of 5-minute candles (2448)" in flat
    assert "Kraken's OHLC serves only 2.5 days" in flat and "zyn data fetch PAIR --since DATE" in flat
    cfg = json.loads(run(capsys, "auto-config", "--file", str(four), "--json")[1])
    assert len(cfg["warnings"]) == 1 and "8.5 days" in cfg["warnings"][0]


def test_auto_config_shows_and_validates(capsys, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "auto-config")
    assert code == 0 and "risk_per_trade" in out and "htf_breakout" in out and "daily_loss_limit" in out
    good = tmp_path / "good.toml"
    good.write_text('[trading]\nuniverse = ["xbtusd", "ETH/USD"]\n[trading.risk]\nrisk_per_trade = "0.02"\n')
    code, out, _ = run(capsys, "auto-config", "--file", str(good), "--json")
    cfg = json.loads(out)
    assert code == 0 and cfg["universe"] == ["BTC/USD", "ETH/USD"] and cfg["risk"]["risk_per_trade"] == "0.02"
    for text, expected in (('[trading.risk]\nrisk_per_trade = "0.5"\n', "risk.risk_per_trade"),
                           ("[trading]\nfavourite_colour = 3\n", "favourite_colour"),
                           ('[trading]\nuniverse = ["nonsense!!"]\n', "nonsense"),
                           ("[trading\n", "not valid TOML")):
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        code, out, err = run(capsys, "auto-config", "--file", str(bad))
        assert code == 1 and expected in err and len(err.strip().splitlines()) == 1, (text, err)
    code, _, err = run(capsys, "auto-config", "--file", str(tmp_path / "missing.toml"))
    assert code == 1 and "no such file" in err


def test_auto_config_and_auto_status_show_the_entry_mode(capsys, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "auto-config")
    assert code == 0 and "Entries: taker: a market buy" in " ".join(out.split())
    maker = tmp_path / "maker.toml"
    maker.write_text('[trading]\nentry = "maker"\nmaker_timeout_bars = 4\n')
    code, out, _ = run(capsys, "auto-config", "--file", str(maker))
    flat = " ".join(out.split())
    assert code == 0 and "Entries: maker: a post-only limit buy at the bid" in flat and "after 4 closed" in flat
    code, out, _ = run(capsys, "auto-config", "--file", str(maker), "--json")
    assert (json.loads(out)["entry"], json.loads(out)["maker_timeout_bars"]) == ("maker", 4)
    maker.write_text('[trading]\nentry = "limit"\n')
    code, _, err = run(capsys, "auto-config", "--file", str(maker))
    assert code == 1 and "entry" in err and len(err.strip().splitlines()) == 1
    code, out, _ = run(capsys, "auto-status")
    assert code == 0 and "taker (market)" in out


def test_kill_switch_status_and_reset(capsys, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "killswitch")
    assert code == 0 and "armed" in out
    code, _, err = run(capsys, "killswitch", "--reset", "--yes")
    assert code == 1 and "not tripped" in err
    db = open_database(Mode.PAPER, tmp_path / "data")
    now = datetime.now(UTC)
    db.put_kill_switch(KillSwitchState(tripped=True, tripped_at=now, day=now.date(), reason="down 3.2% today",
                                       equity_at_trip=Decimal("9680"), start_equity=Decimal("10000")))
    db.close()
    code, out, _ = run(capsys, "killswitch", "--json")
    assert code == 0 and json.loads(out)["tripped"] is True
    code, out, _ = run(capsys, "killswitch", "--reset", "--reason", "checked the market", "--yes")
    assert code == 0 and "re-armed" in out
    assert json.loads(run(capsys, "killswitch", "--json")[1])["tripped"] is False


def test_flatten_sells_everything_and_cancels_orders(capsys) -> None:
    assert run(capsys, "order", "buy", "BTC/USD", "0.01")[0] == 0
    assert run(capsys, "order", "buy", "ETH/USD", "0.5", "--stop", "1000", "--take-profit", "9000")[0] == 0
    assert run(capsys, "order", "buy", "SOL/USD", "1", "--price", "1")[0] == 0
    code, out, err = run(capsys, "flatten")  # no --yes and no answer: nothing happens
    assert code == 1 and "--yes" in err and "Nothing changed" in err
    assert len(json.loads(run(capsys, "orders", "--json")[1])["orders"]) == 3
    code, out, err = run(capsys, "flatten", "--yes", "--json")
    assert code == 0, err
    assert len(json.loads(out)["sell_orders"]) == 2
    assert json.loads(run(capsys, "orders", "--json")[1])["orders"] == []
    balances = {b["asset"]: Decimal(b["total"]) for b in json.loads(run(capsys, "portfolio", "--json")[1])["balances"]}
    assert balances.get("BTC", 0) == 0 and balances.get("ETH", 0) == 0
