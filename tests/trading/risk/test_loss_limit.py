"""The daily loss limit as money or a percentage: from the config file, the environment and chat; the kill switch
trips on whichever is given; both forms are shown back (money and percent of the start-of-day equity)."""

from __future__ import annotations

import json
from datetime import date
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
from trading.risk.limits import KillSwitch
from trading.risk.loss_limit import LossLimit
from trading.risk.state import DayState


@pytest.mark.parametrize(("given", "shown"), [("3%", "3%"), ("0.03", "3%"), ("$50", "50 USD"), ("50 USD", "50 USD"),
                                               ("usd 1,000", "1000 USD")])
def test_the_forms_an_owner_writes(given: str, shown: str) -> None:
    assert str(LossLimit.parse(given)) == shown


def test_a_bare_number_above_one_is_refused_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "zyn.toml"
    path.write_text('[trading.risk]\ndaily_loss_limit = "50"\n')
    with pytest.raises(ConfigError, match="percentage or money"):
        load_trading_config(path)


def test_file_then_environment(tmp_path: Path) -> None:
    path = tmp_path / "zyn.toml"
    path.write_text('[trading.risk]\ndaily_loss_limit = "$50"\n')
    assert str(load_trading_config(path).risk.daily_loss_limit) == "50 USD"
    assert str(load_trading_config(path, {"daily_loss_limit": "2%"}).risk.daily_loss_limit) == "2%"


def test_the_kill_switch_trips_on_money_when_money_is_given(tmp_path: Path) -> None:
    db = open_database(Mode.PAPER, tmp_path)
    clock = ManualClock(NOW)
    kill = KillSwitch(db, RiskSettings(daily_loss_limit="$50"), clock)
    assert not kill.check(D("2951"), D("3000"))  # down 49: under 50 USD (1.63%, far under the 3% default)
    assert kill.check(D("2950"), D("3000"))
    assert "(limit 50 USD = 1.67%)" in kill.state.reason
    db.close()


async def test_chat_sets_it_in_money_and_the_kill_switch_shows_both_forms(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.db.put_day(DayState(date(2024, 5, 6), D("3000")))
    reply = await world.agent.handle(OWNER, "set daily loss limit to $50")
    assert reply.outcomes[0].call.args == {"daily_loss_limit": "50 USD"}
    assert "Daily loss limit: 50.00 USD = 1.67% of the day's start equity 3,000.00 USD." in reply.text
    reply = await world.agent.handle(OWNER, "kill switch status")
    assert "trips at a daily loss of 50.00 USD = 1.67% of the day's start equity 3,000.00 USD" in reply.text
    reply = await world.agent.handle(OWNER, "daily loss limit 5%")
    assert "5% = 150.00 USD of the day's start equity" in reply.text
    reply = await world.agent.handle(OWNER, "autopilot status")
    assert "daily loss limit 5% = 150.00 USD" in reply.text
    world.db.close()


def test_auto_config_shows_both_forms_from_the_environment(tmp_path: Path, capsys,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    monkeypatch.setenv("ZYN_DAILY_LOSS_LIMIT", "50 USD")
    assert main(["auto-config", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["risk"]["daily_loss_limit"] == "50 USD" and doc["daily_loss"]["money"] == "50"
    assert main(["auto-config"]) == 0
    assert "Daily loss limit: 50 USD (as a percentage once the day's start equity is known)" in capsys.readouterr().out
