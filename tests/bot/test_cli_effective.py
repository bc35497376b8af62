"""One source of truth for settings: what chat changed (set_risk) is what auto-config shows, with who and when,
and what `zyn backtest` uses, as the autopilot and a chat backtest do."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.tools.test_backtest_tool import make_ctx
from tools.catalog import invoke
from tools.context import ToolContext


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ToolContext:
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    context = make_ctx(tmp_path / "data")  # the same paper database the CLI opens
    context.actor = "telegram:100"
    yield context
    context.store.close()


def test_auto_config_shows_the_values_in_force_and_who_changed_them(ctx: ToolContext, capsys) -> None:
    asyncio.run(invoke(ctx, "set_risk", {"risk_per_trade": "0.005"}))
    assert main(["auto-config", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["risk"]["risk_per_trade"] == "0.005"
    [override] = doc["overrides"]
    assert override["setting"] == "risk.risk_per_trade" and override["file_value"] == "0.01"
    assert override["by"] == "telegram:100" and override["value"] == "0.005"
    assert main(["auto-config"]) == 0
    out = capsys.readouterr().out
    assert "0.005*" in out and "set by" in out and "telegram:100 at" in out and "overridden at run time" in out


def test_zyn_backtest_uses_the_overridden_risk_like_the_chat_backtest(ctx: ToolContext, capsys) -> None:
    argv = ["backtest", "btcusd", "--from", "2018-01-15", "--to", "2018-01-22", "--json"]
    assert main(argv) == 0
    before = json.loads(capsys.readouterr().out)
    asyncio.run(invoke(ctx, "set_risk", {"risk_per_trade": "0.002"}))  # the position cap binds above ~1%
    assert main(argv) == 0
    after = json.loads(capsys.readouterr().out)
    chat = asyncio.run(invoke(ctx, "run_backtest", {"start": "2018-01-15", "end": "2018-01-22"}))
    assert Decimal(after["final_equity"]) == chat.final_equity and after["metrics"]["trades"] == chat.trades
    if chat.trades:  # a different risk per trade sizes the same trades differently
        assert Decimal(after["final_equity"]) != Decimal(before["final_equity"])
