"""The catalogue: every action by name, with its permission and confirmation policy (tools/base.py Tool).

People's requests (chat, commands, the CLI, the web) run tools only through the gate (tools/gate); `invoke`
is for the service's own jobs (the daily report) and for tests."""

from __future__ import annotations

from typing import Any

from tools import (
    account,
    alerts,
    autopilot,
    charts,
    funding,
    insight,
    journal,
    learning,
    orders,
    report,
    risk,
    selftest,
    settings,
    universe,
    unknown,
    views,
)
from tools.backtest import BacktestArgs, run_backtest
from tools.base import ConfirmPolicy, Permission, Tool, ToolFlag
from tools.catalog_light import LIGHT, UNSTAMPED, stamped
from tools.context import ToolContext
from trading.errors import InputError

P, C = Permission, ConfirmPolicy
ORDER = {"flags": frozenset({ToolFlag.RECHECK_PRICE}), "describe": orders.describe_order,
         "dry_run": orders.validates_only, "caution": orders.order_caution, "precheck": orders.order_funds}

# get_status and get_price come first, from tools.catalog_light (the gate reads them without this module).
CATALOG: dict[str, Tool] = {**LIGHT, **{t.name: t for t in (
    Tool("get_portfolio", "Balances, positions, equity and P&L", account.PortfolioArgs, P.READ, C.NEVER,
         account.get_portfolio),
    Tool("get_balances", "Balances per asset and what open orders hold", account.BalancesArgs, P.READ, C.NEVER,
         account.get_balances),
    Tool("get_positions", "Open positions with cost, mark and unrealised P&L", account.PortfolioArgs, P.READ,
         C.NEVER, account.get_positions),
    Tool("performance_report", "Realised P&L, win rate, best/worst by pair and strategy for today, week, month "
         "or all", insight.PerformanceArgs, P.READ, C.NEVER, insight.performance_report),
    Tool("explain_evaluation", "Why the autopilot did what it did for a pair at a time (or its last action)",
         insight.ExplainArgs, P.READ, C.NEVER, insight.explain_evaluation),
    Tool("why_not_trade", "Why the autopilot did not trade: at a moment, or over a time range",
         insight.WhyNotArgs, P.READ, C.NEVER, insight.why_not_trade),
    Tool("set_risk", "Change risk settings within safe bounds", settings.SetRiskArgs, P.ADMIN, C.LIVE,
         settings.set_risk),
    Tool("set_universe", "Choose the pairs the autopilot trades: the N most liquid (1 to 20) or the configured "
         "pairs", settings.SetUniverseArgs, P.ADMIN, C.LIVE, settings.set_universe,
         describe=settings.describe_universe),
    Tool("trade_history", "Our fills, newest first", account.TradesArgs, P.READ, C.NEVER, account.trade_history),
    Tool("place_order", "Place a market, limit, stop-loss or take-profit order, or a bracket",
         orders.PlaceOrderArgs, P.TRADE, C.LIVE, orders.place_order, **ORDER),
    Tool("place_bracket_order", "Entry with a stop and a target (prices or percentages), one cancels the other",
         orders.BracketArgs, P.TRADE, C.LIVE, orders.place_order, **ORDER),
    Tool("cancel_order", "Cancel one open order", orders.CancelArgs, P.TRADE, C.LIVE, orders.cancel_order,
         describe=orders.describe_cancel),
    Tool("cancel_all", "Cancel every open order", orders.CancelAllArgs, P.TRADE, C.ALWAYS, orders.cancel_all,
         describe=orders.describe_cancel_all),
    Tool("list_open_orders", "Open or closed orders", orders.ListOrdersArgs, P.READ, C.NEVER, orders.list_orders),
    Tool("autopilot_status", "Autopilot state, today's trades vs limits, kill switch", autopilot.AutopilotArgs,
         P.READ, C.NEVER, autopilot.autopilot_status),
    Tool("universe_status", "Which pairs the autopilot trades, how and when they were chosen (by Kraken 24h volume "
         "and history, or configured), why others were left out, and the daily profit target",
         universe.UniverseArgs, P.READ, C.NEVER, universe.universe_status),
    Tool("autopilot_start", "Let the autopilot trade", autopilot.AutopilotArgs, P.TRADE, C.LIVE,
         autopilot.autopilot_start, describe=autopilot.describe_start),
    Tool("autopilot_self_test", "Run the autopilot's tick once on current data and show every step",
         selftest.SelfTestArgs, P.TRADE, C.NEVER, selftest.autopilot_self_test),  # LIVE validates only
    Tool("autopilot_stop", "Stop new autopilot trades", autopilot.AutopilotArgs, P.TRADE, C.NEVER,
         autopilot.autopilot_stop),
    Tool("kill_switch_status", "Daily-loss kill switch state", risk.KillSwitchArgs, P.READ, C.NEVER,
         risk.kill_switch_status),
    Tool("kill_switch_reset", "Re-arm a tripped kill switch", risk.KillResetArgs, P.ADMIN, C.ALWAYS,
         risk.kill_switch_reset, describe=risk.describe_reset),
    Tool("flatten_all", "Emergency: cancel all orders, sell every holding at market", risk.FlattenArgs, P.ADMIN,
         C.ALWAYS, risk.flatten, describe=risk.describe_flatten),
    Tool("make_chart", "Candlestick chart PNG of a pair with our trades marked", charts.ChartArgs, P.READ, C.NEVER,
         charts.make_chart),
    Tool("run_backtest", "Backtest the autopilot on a pair over past UTC days (bundled: rescaled Jan-2018 "
         "altcoin/BTC candles; at most "
         "366 days): return, drawdown, trades, fees, equity PNG", BacktestArgs, P.READ, C.NEVER, run_backtest),
    Tool("report", "Report of a UTC day, week or month: P&L, trades, win rate, best/worst, positions, equity "
         "curve PNG", report.ReportArgs, P.READ, C.NEVER, report.report),
    Tool("withdraw", "LIVE: withdraw to a saved Kraken withdrawal address", funding.WithdrawArgs, P.ADMIN,
         C.ALWAYS, funding.withdraw, describe=funding.describe_withdraw),
    Tool("export_report", "LIVE: ask Kraken to build a trades or ledgers export", funding.ExportArgs, P.ADMIN,
         C.ALWAYS, funding.export_report),
    Tool("alert_settings", "Which events (fills, exits, kill switch, errors, reports) reach which channel: on, "
         "silent or off", alerts.AlertSettingsArgs, P.READ, C.NEVER, alerts.alert_settings),
    Tool("get_candles", "A pair's recent 5-minute candles with our fills and active stop/target lines",
         views.CandlesArgs, P.READ, C.NEVER, views.get_candles),
    Tool("list_decisions", "The autopilot's decision log: evaluations by pair, decision and time, with reasons",
         views.DecisionsArgs, P.READ, C.NEVER, views.list_decisions),
    Tool("reconcile_journal", "LIVE: compare Kraken's trades and orders since a day with the journal, import what "
         "is missing, report every difference", journal.ReconcileArgs, P.ADMIN, C.NEVER, journal.reconcile_journal),
    Tool("settle_unknown_orders", "LIVE: look the orders of unknown outcome up on Kraken by client id and say "
         "whether each was placed", unknown.SettleArgs, P.ADMIN, C.NEVER, unknown.settle_unknown_orders),
    Tool("learning_status", "What the autopilot has learned from its outcomes: every strategy x regime on or "
         "off with its evidence, the freeze, the last changes", learning.LearnArgs, P.READ, C.NEVER,
         learning.learning_status),
    Tool("why_strategy_off", "Why a strategy is off (or on): its outcomes against the learner's rule",
         learning.WhyOffArgs, P.READ, C.NEVER, learning.why_strategy_off),
    Tool("learning_freeze", "Freeze (or unfreeze) what the learner allows; holds across restarts",
         learning.FreezeArgs, P.ADMIN, C.ALWAYS, learning.learning_freeze, describe=learning.describe_freeze),
    Tool("learning_reset", "Forget every outcome and switch every strategy x regime off", learning.ResetArgs,
         P.ADMIN, C.ALWAYS, learning.learning_reset, describe=learning.describe_reset),
    Tool("set_alert", "Turn an event type on, silent or off on a channel (or all)", alerts.SetAlertArgs, P.ADMIN,
         C.NEVER, alerts.set_alert),
)}}
CATALOG = {name: stamped(t) for name, t in CATALOG.items()}  # UNSTAMPED (tools.catalog_light) say no mode and time
__all__ = ["CATALOG", "UNSTAMPED", "invoke"]
# The model gets no confirm tool; a catalogue that had one would hand it a way round the person (the gate checks
# a catalogue it is given; this one it loads lazily, so it is checked here).
if any(n.lower().startswith("confirm") for n in CATALOG):
    raise ValueError("tools named confirm* are not allowed in the catalogue")


async def invoke(ctx: ToolContext, name: str, args: dict[str, Any] | None = None) -> Any:
    """Run a tool by name with raw arguments (validated by its args model)."""
    tool = CATALOG.get(name)
    if tool is None:
        raise InputError(f"unknown action '{name}'")
    return await tool.run(ctx, args or {})
