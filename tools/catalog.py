"""The catalogue: every action by name. Front ends and the agent call tools only through here."""

from __future__ import annotations

from typing import Any

from tools import account, autopilot, funding, market, orders, risk
from tools.base import ConfirmPolicy, Permission, Tool
from tools.context import ToolContext
from trading.errors import InputError

P, C = Permission, ConfirmPolicy

CATALOG: dict[str, Tool] = {t.name: t for t in (
    Tool("get_status", "Mode, data source, connectivity and credentials", market.NoArgs, P.READ, C.NEVER,
         market.get_status),
    Tool("get_price", "Current bid, ask and last price of a pair", market.PriceArgs, P.READ, C.NEVER,
         market.get_price),
    Tool("get_portfolio", "Balances, positions, equity and P&L", account.PortfolioArgs, P.READ, C.NEVER,
         account.get_portfolio),
    Tool("trade_history", "Our fills, newest first", account.TradesArgs, P.READ, C.NEVER, account.trade_history),
    Tool("place_order", "Place a market, limit, stop-loss or take-profit order, or a bracket",
         orders.PlaceOrderArgs, P.TRADE, C.LIVE, orders.place_order),
    Tool("cancel_order", "Cancel one open order", orders.CancelArgs, P.TRADE, C.LIVE, orders.cancel_order),
    Tool("cancel_all", "Cancel every open order", orders.CancelAllArgs, P.TRADE, C.ALWAYS, orders.cancel_all),
    Tool("list_open_orders", "Open or closed orders", orders.ListOrdersArgs, P.READ, C.NEVER, orders.list_orders),
    Tool("autopilot_status", "Autopilot state, today's trades vs limits, kill switch", autopilot.AutopilotArgs,
         P.READ, C.NEVER, autopilot.autopilot_status),
    Tool("autopilot_start", "Let the autopilot trade", autopilot.AutopilotArgs, P.TRADE, C.LIVE,
         autopilot.autopilot_start),
    Tool("autopilot_stop", "Stop new autopilot trades", autopilot.AutopilotArgs, P.TRADE, C.NEVER,
         autopilot.autopilot_stop),
    Tool("kill_switch_status", "Daily-loss kill switch state", risk.KillSwitchArgs, P.READ, C.NEVER,
         risk.kill_switch_status),
    Tool("kill_switch_reset", "Re-arm a tripped kill switch", risk.KillResetArgs, P.ADMIN, C.ALWAYS,
         risk.kill_switch_reset),
    Tool("flatten_all", "Emergency: cancel all orders, sell every holding at market", risk.FlattenArgs, P.ADMIN,
         C.ALWAYS, risk.flatten),
    Tool("withdraw", "LIVE: withdraw to a saved Kraken withdrawal address", funding.WithdrawArgs, P.ADMIN,
         C.ALWAYS, funding.withdraw),
    Tool("export_report", "LIVE: ask Kraken to build a trades or ledgers export", funding.ExportArgs, P.ADMIN,
         C.ALWAYS, funding.export_report),
)}


async def invoke(ctx: ToolContext, name: str, args: dict[str, Any] | None = None) -> Any:
    """Run a tool by name with raw arguments (validated by its args model)."""
    tool = CATALOG.get(name)
    if tool is None:
        raise InputError(f"unknown action '{name}'")
    return await tool.run(ctx, args or {})
