"""Typed tool results, each with a JSON form (for scripts) and a short chat text."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any

from trading.domain import Balance, Bracket, Fill, Mode, Order, Position, Ticker


def jsonable(obj: Any) -> Any:
    """Dataclasses, Decimals, datetimes and enums as plain JSON values (Decimals as exact strings)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        for extra in getattr(obj, "_json_extra", ()):
            out[extra] = jsonable(getattr(obj, extra))
        return out
    if isinstance(obj, Decimal):
        return format(obj.normalize(), "f") if obj == obj.to_integral_value() else format(obj, "f")
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, PurePath):
        return str(obj)
    return obj


def money(value: Decimal | None, places: int = 2) -> str:
    """A money figure with thousands separators."""
    if value is None:
        return "-"
    text = f"{value:,.{places}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text  # never "-0.00"


FIAT = frozenset({"USD", "EUR", "GBP", "CAD", "CHF", "JPY", "AUD", "USDT", "USDC"})


def asset_amount(asset: str, value: Decimal | None) -> str:
    """An asset's amount as a person reads it: cash as money (7,995.97), coins exactly (0.06550375)."""
    return money(value) if asset.upper() in FIAT else amount_str(value)


def data_stamp(mode: Mode, at: datetime, zone: str = "UTC") -> str:
    """'PAPER · as of 2024-05-06 14:07 UTC': the line every reply with money or trades ends with."""
    from tools.window import both

    return f"{mode.value.upper()} · as of {both(at, zone)}"


def data_time(result: Any, now: datetime) -> datetime:
    """When a result's figures are from: the last good read it fell back on, a quote's own time, else now."""
    as_of = getattr(result, "as_of", None)
    if isinstance(as_of, datetime):
        return as_of
    ticker = getattr(result, "ticker", None)
    stamp = getattr(ticker, "timestamp", None)
    return stamp if isinstance(stamp, datetime) else now


def amount_str(value: Decimal | None) -> str:
    """An amount without trailing zeros."""
    if value is None:
        return "-"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class StatusResult:
    mode: Mode
    data_source: str
    connectivity: str
    credentials_present: bool
    log_level: str
    database: str
    time: datetime
    service: str = ""  # the service's liveness in words ("" where it cannot be told)
    universe: str = ""  # the pairs in force and how they were chosen ("" without the mode's database)
    profit_target: str = ""  # the daily profit target, and whether it was reached today

    def text(self) -> str:
        creds = "present" if self.credentials_present else "not set"
        text = (f"Mode {self.mode.value.upper()} · data: {self.data_source} · connectivity: {self.connectivity}"
                f" · Kraken keys {creds}")
        text += f"\nUniverse: {self.universe}" if self.universe else ""
        text += f"\nDaily profit target: {self.profit_target}" if self.profit_target else ""
        return f"{text}\n{self.service[:1].upper()}{self.service[1:]}." if self.service else text


@dataclass(frozen=True)
class PriceResult:
    ticker: Ticker

    def text(self) -> str:
        t = self.ticker
        return f"{t.symbol}: last {money(t.last)} (bid {money(t.bid)} / ask {money(t.ask)}) [{t.source}]"


@dataclass(frozen=True)
class PositionLine:
    position: Position
    mark: Decimal | None
    value: Decimal | None
    unrealized_pnl: Decimal | None


@dataclass(frozen=True)
class PortfolioResult:
    mode: Mode
    source: str
    quote_currency: str
    balances: list[Balance]
    positions: list[PositionLine]
    equity: Decimal | None  # in quote currency, valued at the bid
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees_paid: Decimal
    time: datetime
    warning: str = ""  # a contradiction or an unexplained change, said first
    as_of: datetime | None = None  # the figures are the last good ones from then, not this read's

    def text(self) -> str:
        eq = money(self.equity) if self.equity is not None else "unknown"
        when = f" as of {self.as_of:%H:%M} UTC" if self.as_of else ""
        head = f"⚠️ {self.warning}\n" if self.warning else ""
        return (f"{head}Equity {eq} {self.quote_currency}{when} · realised {money(self.realized_pnl)}"
                f" · unrealised {money(self.unrealized_pnl)} [{self.mode.value}, {self.source}]")


@dataclass(frozen=True)
class OrderResult:
    order: Order
    bracket: Bracket | None = None
    children: list[Order] = field(default_factory=list)
    validated_only: bool = False
    source: str = ""

    def text(self) -> str:
        o = self.order
        if self.validated_only:
            return f"Validated (not placed): {o.side.value} {amount_str(o.amount)} {o.symbol} {o.type.value}"
        price = f" @ {money(o.average or o.price)}" if (o.average or o.price) else ""
        if not price and o.stop_price:
            price = f" at {money(o.stop_price)}"
        fee = f", fee {money(o.fee)} {o.fee_currency or ''}".rstrip() if o.fee else ""
        line = f"Order {o.id} {o.side.value} {amount_str(o.amount)} {o.symbol} {o.type.value}{price}: {o.status.value}{fee}"
        if "offline replay" in self.source and price:  # a replay price is never taken for the pair's real price
            line += f" [{self.source}]"
        b = self.bracket
        if b is not None:
            stop = f"stop {money(b.stop_price)}" if b.stop_price else "no stop"
            target = f"target {money(b.take_profit_price)}" if b.take_profit_price else "no target"
            line += f"\nBracket {b.id}: {stop} · {target} ({b.status.value})"
        return line


@dataclass(frozen=True)
class OrdersResult:
    orders: list[Order]
    closed: bool

    def text(self) -> str:
        if not self.orders:
            return "No closed orders." if self.closed else "No open orders."
        return "\n".join(OrderResult(o).text() for o in self.orders)


@dataclass(frozen=True)
class CancelResult:
    cancelled: list[Order]

    def text(self) -> str:
        if not self.cancelled:
            return "Nothing to cancel."
        return "Cancelled " + ", ".join(o.id for o in self.cancelled)


@dataclass(frozen=True)
class TradesResult:
    fills: list[Fill]

    def text(self) -> str:
        if not self.fills:
            return "No trades yet."
        return "\n".join(f"{f.timestamp:%Y-%m-%d %H:%M} {f.side.value} {amount_str(f.amount)} {f.symbol} @ "
                         f"{money(f.price)} fee {money(f.fee, 4)}" for f in self.fills)
