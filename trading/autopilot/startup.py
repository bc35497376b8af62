"""LIVE start-up check: what is on the account when Zyn starts, reported once.

Run by the service after recovery and the first fill watch (which announces each fill made while Zyn was down
and has the bracket reconciler put back the stops it can): the open orders on Kraken, the fills made while Zyn
was down, the orders whose outcome is still being checked, and every holding that no resting stop covers, Zyn's
brackets or not. One StartupReport event carries it (urgent when a holding is unprotected); never raises.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from loguru import logger

from trading.clock import Clock
from trading.domain import ZERO, Fill, Mode, OrderType, Side
from trading.errors import ZynError
from trading.events import EventKind, StartupReport
from trading.exchange.base import Exchange

_log = logger.bind(component="startup")
SHOWN = 5  # orders and fills listed by name; the rest are counted


class StartupJournal(Protocol):
    def list_fills(self, symbol: str | None = None, limit: int | None = None) -> list[Fill]: ...


async def startup_report(exchange: Exchange, journal: StartupJournal, clock: Clock, *, quote: str,
                         down_since: datetime | None, unresolved: int = 0) -> StartupReport | None:
    """The start-up findings as one event, or None when Kraken could not be read (logged)."""
    try:
        orders = await exchange.fetch_open_orders()
        balances = await exchange.fetch_balances()
        markets = await exchange.load_markets()
    except ZynError as exc:
        _log.warning("start-up check skipped: {}", exc.message)
        return None
    lines = [_orders_line(orders)]
    fills = [f for f in journal.list_fills(limit=500) if down_since is None or f.timestamp > down_since]
    if down_since is not None:
        shown = ", ".join(f"{f.side.value} {_n(f.amount)} {f.symbol} @ {_n(f.price)}" for f in fills[:SHOWN])
        more = f" and {len(fills) - SHOWN} more" if len(fills) > SHOWN else ""
        lines.append(f"{len(fills)} fill(s) while Zyn was down (since {down_since:%Y-%m-%d %H:%M} UTC)"
                     + (f": {shown}{more}" if fills else ""))
    if unresolved:
        lines.append(f"{unresolved} order(s) of unknown outcome being checked by client id")
    naked = []
    for asset, balance in sorted(balances.items()):
        symbol = f"{asset}/{quote}"
        market = markets.get(symbol)
        if asset == quote or market is None or balance.total < max(market.min_amount, Decimal("1e-12")):
            continue
        covered = sum((o.amount - o.filled for o in orders if o.symbol == symbol and o.side is Side.SELL
                       and o.type is OrderType.STOP_LOSS), ZERO)
        if balance.total - covered >= market.min_amount:
            naked.append(f"{symbol}: {_n(balance.total)} {asset} held, {_n(covered)} under a resting stop")
    lines.append("every holding has a resting stop" if not naked else
                 "NO RESTING STOP for " + "; ".join(naked) + " (Zyn's brackets get theirs back now; others are yours "
                 "to protect or sell)")
    text = "LIVE start-up check: " + " · ".join(lines)
    _log.info(text)
    return StartupReport(EventKind.PROTECTION, clock.now(), Mode.LIVE.value, text, urgent=bool(naked),
                         open_orders=len(orders), fills_while_down=len(fills) if down_since else 0,
                         unprotected=tuple(naked))


def _n(value: Decimal | None) -> str:
    """A Decimal without trailing zeros: 1000.0 -> "1000", 0.50 -> "0.5"."""
    return "0" if not value else f"{value.normalize():f}"


def _orders_line(orders: list) -> str:
    if not orders:
        return "no open orders on Kraken"
    shown = ", ".join(f"{o.side.value} {_n(o.amount)} {o.symbol} {o.type.value}"
                      f"{' @ ' + _n(o.price or o.stop_price) if (o.price or o.stop_price) else ''} ({o.id})"
                      for o in orders[:SHOWN])
    more = f" and {len(orders) - SHOWN} more" if len(orders) > SHOWN else ""
    return f"{len(orders)} open order(s) on Kraken: {shown}{more}"
