"""The daily profit target as money or a percentage: parsed like the loss limit, from the config file, the
environment and chat ("set daily profit target to 2%", "no daily profit target"); shown in both forms, reached or
not today, in chat, /status, `zyn auto-status` and `zyn auto-config`."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from bot.cli.main import main
from memory import open_database
from tests.agent.world import NOW, OWNER, make_world
from trading.clock import ManualClock
from trading.config import RiskSettings, load_trading_config
from trading.domain import Mode
from trading.errors import ConfigError
from trading.risk.daily_target import DailyProfitTarget, TargetReached
from trading.risk.profit_target import ProfitTarget
from trading.risk.state import DayState


@pytest.mark.parametrize(("given", "shown"), [("2%", "2%"), ("0.02", "2%"), ("$50", "50 USD"), ("50 USD", "50 USD"),
                                               ("none", None), ("off", None), (None, None)])
def test_the_forms_an_owner_writes(given: str | None, shown: str | None) -> None:
    target = ProfitTarget.parse_optional(given)
    assert (str(target) if target is not None else None) == shown


def test_file_environment_and_refusals(tmp_path: Path) -> None:
    path = tmp_path / "zyn.toml"
    path.write_text('[trading.risk]\ndaily_profit_target = "$80"\n')
    assert str(load_trading_config(path).risk.daily_profit_target) == "80 USD"
    assert str(load_trading_config(path, {"daily_profit_target": "1.5%"}).risk.daily_profit_target) == "1.5%"
    assert load_trading_config(None).risk.daily_profit_target is None  # the default: no target
    path.write_text('[trading.risk]\ndaily_profit_target = "50"\n')
    with pytest.raises(ConfigError, match="percentage or money"):
        load_trading_config(path)
    path.write_text('[trading.risk]\ndaily_profit_target = "-2%"\n')
    with pytest.raises(ConfigError, match="daily profit target"):
        load_trading_config(path)


def test_the_gate_trips_on_the_gain_in_money_or_percent(tmp_path: Path) -> None:
    db = open_database(Mode.PAPER, tmp_path)
    clock = ManualClock(NOW)
    gate = DailyProfitTarget(db, RiskSettings(daily_profit_target="$50"), clock)
    assert not gate.check(D("3049.99"), D("3000")) and gate.blocking_reason() is None
    assert gate.check(D("3050"), D("3000")) and not gate.check(D("3060"), D("3000"))  # reached once
    skip, why = gate.blocking_reason()
    assert skip.value == "profit_target" and why.startswith("daily profit target reached at 14:07 UTC")
    assert "(target 50 USD = 1.67%)" in why
    gate.cfg = RiskSettings(daily_profit_target="5%")  # a new target: judged afresh, not still "reached"
    assert gate.blocking_reason() is None and not gate.check(D("3060"), D("3000"))
    clock.advance(timedelta(days=1))
    assert DailyProfitTarget(db, RiskSettings(daily_profit_target="$50"), clock).reached() is None  # a new UTC day
    db.close()


async def test_chat_sets_and_removes_it_and_status_shows_it(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.db.put_day(DayState(date(2024, 5, 6), D("3000")))
    reply = await world.agent.handle(OWNER, "set daily profit target to 2%")
    assert "Daily profit target: 2% = 60.00 USD of the day's start equity 3,000.00 USD." in reply.text
    assert world.db.get_overrides("risk")["daily_profit_target"] == "2%"
    reply = await world.agent.handle(OWNER, "autopilot status")
    assert "Daily profit target: 2% = 60.00 USD of the day's start equity 3,000.00 USD; not reached today" in \
        reply.text
    assert "Universe: BTC/USD, ETH/USD, SOL/USD (the configured pairs" in reply.text
    reply = await world.agent.handle(OWNER, "daily profit target $50")
    assert "50.00 USD = 1.67% of the day's start equity" in reply.text
    world.db.put_target_reached(TargetReached(date(2024, 5, 6), NOW, D("3051"), D("3000"), "50 USD"))
    reply = await world.agent.handle(OWNER, "status")
    assert "Daily profit target: 50.00 USD = 1.67% of the day's start equity 3,000.00 USD; REACHED at 14:07 UTC " \
           "(+51.00 USD, 1.70%): no new entries until 00:00 UTC" in reply.text
    reply = await world.agent.handle(OWNER, "no daily profit target")
    assert "daily_profit_target none" in reply.text and "Daily profit target: none" in reply.text
    assert world.db.get_overrides("risk")["daily_profit_target"] == "none"
    reply = await world.agent.handle(OWNER, "daily profit target 50")  # money or percent? asked, nothing changed
    assert "percentage or money" in reply.text and world.db.get_overrides("risk")["daily_profit_target"] == "none"
    reply = await world.agent.handle(OWNER, "daily profit target 90%")
    assert "between 0.1% and 50%" in reply.text and world.db.get_overrides("risk")["daily_profit_target"] == "none"
    world.db.close()


def test_auto_config_and_auto_status_show_it(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    monkeypatch.setenv("ZYN_DAILY_PROFIT_TARGET", "1.5%")
    assert main(["auto-config", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["risk"]["daily_profit_target"] == "1.5%" and doc["daily_profit"]["percent"] == "1.5"
    assert doc["universe_in_force"]["how"] == "configured"
    assert main(["auto-config"]) == 0
    out = capsys.readouterr().out
    assert "Daily profit target: 1.5% (in money once the day's start equity is known); not reached today" in out
    assert "Universe: BTC/USD, ETH/USD, SOL/USD (configured)" in out
    assert main(["auto-status"]) == 0
    out = capsys.readouterr().out
    assert "Daily profit target" in out and "1.5%" in out and "configured pairs" in out
