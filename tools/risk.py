"""Admin tools: the kill switch's state and reset, and the emergency flatten."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from pydantic import Field

from tools.base import Args
from tools.context import ToolContext
from tools.settings import effective_config
from trading.autopilot.flatten import flatten_all
from trading.errors import InputError
from trading.risk.limits import KillSwitch


class KillSwitchArgs(Args):
    pass


class KillResetArgs(Args):
    reason: str = Field("manual reset", min_length=1, max_length=200)


class FlattenArgs(Args):
    pass


@dataclass(frozen=True)
class KillSwitchResult:
    tripped: bool
    tripped_at: datetime | None
    reason: str | None
    equity_at_trip: Decimal | None
    start_equity: Decimal | None
    daily_loss_limit: Decimal | None  # as a share of today's start equity (None: money, start not known yet)
    was_reset: bool = False
    loss_limit: str = ""  # as the owner gave it: "3%" or "50 USD"
    loss_allowed: Decimal | None = None  # in money, from today's start equity (None: not known yet)
    limit_text: str = ""  # both forms, money and percent of the start-of-day equity

    def text(self) -> str:
        if self.was_reset:
            return "Kill switch re-armed: the autopilot may open new trades again."
        if self.tripped:
            return f"Kill switch TRIPPED at {self.tripped_at:%H:%M} UTC: {self.reason}"
        return f"Kill switch armed: trips at a daily loss of {self.limit_text}."


@dataclass(frozen=True)
class FlattenResult:
    sell_orders: list[str]

    def text(self) -> str:
        if not self.sell_orders:
            return "Flatten: every order cancelled; no holdings to sell."
        return f"Flatten: every order cancelled and {len(self.sell_orders)} holding(s) sold: {', '.join(self.sell_orders)}"


def describe_reset(args: KillResetArgs, symbol: str | None = None) -> str:
    """What kill_switch_reset will do."""
    return f"re-arm the kill switch ({args.reason})"


def describe_flatten(args: FlattenArgs, symbol: str | None = None) -> str:
    """What flatten_all will do."""
    return "EMERGENCY: cancel every order and sell every holding at market"


def _switch(ctx: ToolContext) -> KillSwitch:
    store, _ = ctx.stores("the kill switch")
    return KillSwitch(store, effective_config(ctx).risk, ctx.clock)


def _result(ctx: ToolContext, switch: KillSwitch, was_reset: bool = False) -> KillSwitchResult:
    state, tripped = switch.state, switch.is_tripped()
    limit, start = effective_config(ctx).risk.daily_loss_limit, day_start_equity(ctx)
    return KillSwitchResult(tripped=tripped, tripped_at=state.tripped_at if tripped else None,
                            reason=state.reason if tripped else None,
                            equity_at_trip=state.equity_at_trip if tripped else None,
                            start_equity=state.start_equity if tripped else start,
                            daily_loss_limit=limit.fraction_of(start), was_reset=was_reset, loss_limit=str(limit),
                            loss_allowed=limit.allowed(start) if start else limit.amount,
                            limit_text=limit.describe(start, ctx.quote_currency))


def day_start_equity(ctx: ToolContext) -> Decimal | None:
    """Today's (UTC) start-of-day equity, as the autopilot recorded it; None before its first tick today."""
    if ctx.store is None:
        return None
    day = ctx.store.get_day(ctx.clock.now().astimezone(UTC).date())
    return day.start_equity if day is not None else None


async def kill_switch_status(ctx: ToolContext, args: KillSwitchArgs) -> KillSwitchResult:
    """Whether the daily-loss kill switch is tripped, when and why."""
    return _result(ctx, _switch(ctx))


async def kill_switch_reset(ctx: ToolContext, args: KillResetArgs) -> KillSwitchResult:
    """Re-arm a tripped kill switch before the next UTC day (admin)."""
    switch = _switch(ctx)
    if not switch.reset(by=f"{ctx.actor}: {args.reason}"):
        raise InputError("the kill switch is not tripped; nothing to reset")
    return _result(ctx, switch, was_reset=True)


async def flatten(ctx: ToolContext, args: FlattenArgs) -> FlattenResult:
    """Emergency: cancel every open order and sell every holding at market (admin)."""
    return FlattenResult(sell_orders=await flatten_all(ctx.orders_exchange("flatten"), ctx.quote_currency,
                                                         ctx.order_source))
