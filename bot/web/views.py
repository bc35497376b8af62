"""The dashboard's figures, all read through the gate with the visitor's role (the same read tools as chat).

A section whose tool failed says so and shows no figure: the page never shows an old number as a current one.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tools.gate import Caller, CallerKind, Gate, ToolCall, ToolOutcome
from tools.results import jsonable
from trading.clock import Clock

TICK_EVERY = timedelta(minutes=5)
LATE_AFTER = timedelta(seconds=90)  # past the tick's due time before the header warns


def _section(outcome: ToolOutcome) -> dict[str, Any]:
    if outcome.ok and outcome.result is not None:
        return {"ok": True, "data": jsonable(outcome.result), "text": outcome.text()}
    return {"ok": False, "error": outcome.error or "unavailable"}


async def read(gate: Gate, caller: Caller, name: str, args: dict[str, Any] | None = None) -> ToolOutcome:
    """One read tool through the gate."""
    return await gate.execute(caller, ToolCall(name, dict(args or {})), kind=CallerKind.COMMAND)


def heartbeat(status: Any, now: datetime, tick_delay: timedelta, since: datetime | None = None) -> dict[str, Any]:
    """Last and next tick, and whether a tick is late: one was due (since the service started) and did not come
    within LATE_AFTER."""
    due = status.next_tick_at - TICK_EVERY  # the latest scheduled tick at or before now
    if due > now:
        due -= TICK_EVERY
    last = status.last_tick_at
    expected = due if since is None or due >= since else None
    late = expected is not None and now - expected > LATE_AFTER and (last is None or last < expected - tick_delay)
    return {"last_tick_at": last.isoformat() if last else None, "next_tick_at": status.next_tick_at.isoformat(),
            "due_at": due.isoformat(), "late": bool(late)}


def today_pnl(equity: Decimal | None, start: Decimal | None, limit: Decimal | None) -> dict[str, Any]:
    """Today's P&L against the daily loss limit (both in the quote currency; None when unknown)."""
    if equity is None or start is None or start <= 0 or limit is None:
        return {"pnl": None, "limit": None, "used": None}
    pnl = equity - start
    allowed = start * limit
    used = (-pnl / allowed) if pnl < 0 and allowed > 0 else Decimal(0)
    return {"pnl": jsonable(pnl.quantize(Decimal("0.01"))), "limit": jsonable(allowed.quantize(Decimal("0.01"))),
            "used": jsonable(used.quantize(Decimal("0.0001")))}  # past 1: beyond the limit, shown as it is


async def dashboard(gate: Gate, caller: Caller, clock: Clock, *, data_source: str, store: Any,
                    since: datetime | None = None, fills: int = 20) -> dict[str, Any]:
    """Everything the dashboard shows, at one instant."""
    now = clock.now()
    auto, kill, folio, orders, trades, alerts = await asyncio.gather(
        read(gate, caller, "autopilot_status"), read(gate, caller, "kill_switch_status"),
        read(gate, caller, "get_portfolio"), read(gate, caller, "list_open_orders"),
        read(gate, caller, "trade_history", {"limit": fills}), read(gate, caller, "alert_settings"))
    out: dict[str, Any] = {
        "now": now.isoformat(), "mode": gate.mode.value, "data_source": data_source,
        "offline": "replay" in data_source.lower(), "autopilot": _section(auto), "kill_switch": _section(kill),
        "portfolio": _section(folio), "orders": _section(orders), "fills": _section(trades),
        "alerts": _section(alerts), "brackets": [], "equity": [],
    }
    if auto.ok:
        cfg = getattr(gate.ctx, "trading_config", None)
        delay = timedelta(seconds=cfg.tick_delay_seconds if cfg is not None else 5)
        out["heartbeat"] = heartbeat(auto.result, now, delay, since)
        if folio.ok and kill.ok:
            out["today"] = today_pnl(folio.result.equity, auto.result.day_start_equity, kill.result.daily_loss_limit)
    if store is not None:
        out["brackets"] = jsonable(store.list_brackets(active_only=True))
        points = store.equity_points(now - timedelta(days=7), now)
        out["equity"] = [{"time": t.isoformat(), "value": jsonable(v)} for t, v in points[-2000:]]
    return out


def state_fingerprint(store: Any) -> tuple[Any, ...]:
    """What other front ends may change without an event: the autopilot switch, the kill switch, the last tick,
    the open orders and the newest fill (cheap reads, compared every few seconds)."""
    from trading.domain import OrderStatus

    auto = store.get_autopilot_state()
    kill = store.get_kill_switch()
    fills = store.list_fills(limit=1)
    opened = store.list_orders(statuses=(OrderStatus.PENDING, OrderStatus.OPEN), limit=200)
    return (auto.enabled, auto.last_tick_at, kill.tripped, kill.day, kill.reset_at,
            fills[0].id if fills else None, tuple(o.id for o in opened))
