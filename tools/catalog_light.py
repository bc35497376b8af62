"""The catalogue's first entries, which need only the market tools: `zyn status` and `zyn ticker` run through the
gate without importing every tool module (tools.catalog holds the rest; tools.gate reads these first)."""

from __future__ import annotations

from dataclasses import replace

from tools import market
from tools.base import ConfirmPolicy, Permission, Tool, ToolFlag

# Every reply with money or trades says the mode and the data's time (ToolFlag.STAMPED): every tool but these,
# which show neither (run_backtest is a simulation over past days, which says so with its own dates).
UNSTAMPED = frozenset({"get_status", "alert_settings", "set_alert", "set_risk", "autopilot_start", "autopilot_stop",
                       "kill_switch_reset", "run_backtest", "export_report", "learning_status", "why_strategy_off",
                       "learning_freeze", "learning_reset"})  # what the learner knows: no money, no trades


def stamped(tool: Tool) -> Tool:
    """The tool as the catalogue holds it: STAMPED unless it is one of UNSTAMPED."""
    if tool.name in UNSTAMPED or ToolFlag.STAMPED in tool.flags:
        return tool
    return replace(tool, flags=tool.flags | {ToolFlag.STAMPED})


P, C = Permission, ConfirmPolicy
LIGHT: dict[str, Tool] = {t.name: stamped(t) for t in (
    Tool("get_status", "Mode, data source, connectivity and credentials", market.NoArgs, P.READ, C.NEVER,
         market.get_status),
    Tool("get_price", "Current bid, ask and last price of a pair", market.PriceArgs, P.READ, C.NEVER,
         market.get_price),
)}
