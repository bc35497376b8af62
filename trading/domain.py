"""Domain types: str Enums and frozen dataclasses. Money and amounts are Decimal, times are UTC."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from enum import StrEnum

ZERO = Decimal("0")


class Mode(StrEnum):
    PAPER = "paper"
    LIVE = "live"


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP_LOSS = "stop-loss"
    TAKE_PROFIT = "take-profit"


class OrderStatus(StrEnum):
    PENDING = "pending"  # waiting for a parent (a bracket's exits before the entry fills)
    OPEN = "open"
    CLOSED = "closed"  # fully filled
    CANCELED = "canceled"
    EXPIRED = "expired"
    REJECTED = "rejected"

    @property
    def is_active(self) -> bool:
        return self in (OrderStatus.PENDING, OrderStatus.OPEN)


class Liquidity(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


class BracketStatus(StrEnum):
    PENDING_ENTRY = "pending-entry"  # entry not filled yet
    ACTIVE = "active"  # entry filled, stop and target working (one cancels the other)
    CLOSED = "closed"  # one exit filled, the other cancelled
    CANCELED = "canceled"


def new_client_id() -> str:
    """A fresh client order id (a UUID, which Kraken accepts as cl_ord_id)."""
    return str(uuid.uuid4())


def quantize_down(value: Decimal, step: Decimal) -> Decimal:
    """Round value down to a multiple of step (for amounts)."""
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


def quantize_up(value: Decimal, step: Decimal) -> Decimal:
    """Round value up to a multiple of step."""
    return (value / step).to_integral_value(rounding=ROUND_UP) * step


def fits_step(value: Decimal, step: Decimal) -> bool:
    """True when value is an exact multiple of step."""
    return (value % step) == 0


@dataclass(frozen=True, slots=True)
class Market:
    """A tradable pair and its rules. price_step and amount_step are the smallest increments."""

    symbol: str  # unified, e.g. "BTC/USD"
    exchange_id: str  # Kraken pair id, e.g. "XXBTZUSD"
    altname: str  # e.g. "XBTUSD"
    base: str
    quote: str
    price_step: Decimal
    amount_step: Decimal
    min_amount: Decimal
    min_cost: Decimal
    maker_fee: Decimal = Decimal("0.0025")
    taker_fee: Decimal = Decimal("0.0040")
    active: bool = True


@dataclass(frozen=True, slots=True)
class Ticker:
    symbol: str
    bid: Decimal
    ask: Decimal
    last: Decimal
    timestamp: datetime
    source: str  # "kraken" or "offline replay"
    high_24h: Decimal | None = None
    low_24h: Decimal | None = None
    volume_24h: Decimal | None = None
    open_24h: Decimal | None = None
    quote_volume_24h: Decimal | None = None  # traded over 24h in the quote currency (Kraken: volume x VWAP)

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV candle; timestamp is the candle's open time. closed is False for the forming one."""

    symbol: str
    timestamp: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    closed: bool = True


@dataclass(frozen=True, slots=True)
class Balance:
    asset: str
    total: Decimal
    used: Decimal = ZERO  # held by open orders

    @property
    def free(self) -> Decimal:
        return self.total - self.used


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What a caller asks for. price is the limit price; stop_price the trigger of stop/take-profit."""

    symbol: str
    side: Side
    type: OrderType
    amount: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    client_id: str = field(default_factory=new_client_id)
    validate_only: bool = False  # LIVE: Kraken validate=true, checks and places nothing
    source: str | None = None  # who placed it (trading.attribution): "autopilot", "chat:telegram:42", "cli"...
    strategy: str | None = None  # the autopilot's strategy that placed it
    post_only: bool = False  # a limit that must rest (maker): refused if it would take liquidity (Kraken oflags=post)


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    client_id: str
    symbol: str
    side: Side
    type: OrderType
    amount: Decimal
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    price: Decimal | None = None
    stop_price: Decimal | None = None
    filled: Decimal = ZERO
    average: Decimal | None = None
    fee: Decimal = ZERO
    fee_currency: str | None = None
    bracket_id: str | None = None
    reason: str | None = None  # why it was cancelled/rejected, or "validated only"
    source: str | None = None  # who placed it (trading.attribution); None: not recorded (older rows, outside Zyn)
    strategy: str | None = None  # the autopilot's strategy that placed it
    post_only: bool = False  # a post-only limit (maker only): PAPER fills it only when price trades through it

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.filled

    def evolve(self, **changes: object) -> Order:
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Fill:
    id: str
    order_id: str
    client_id: str
    symbol: str
    side: Side
    amount: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: Liquidity
    timestamp: datetime
    source: str | None = None  # its order's source (trading.attribution); "reconciler" when imported unknown
    strategy: str | None = None  # its order's strategy

    @property
    def cost(self) -> Decimal:
        return self.amount * self.price


@dataclass(frozen=True, slots=True)
class Position:
    """An average-cost spot position. avg_price includes buy fees; realized_pnl is net of all fees."""

    symbol: str
    amount: Decimal
    avg_price: Decimal
    realized_pnl: Decimal = ZERO
    fees_paid: Decimal = ZERO
    updated_at: datetime | None = None

    def unrealized_pnl(self, mark: Decimal) -> Decimal:
        """Unrealised P&L at a mark price."""
        return (mark - self.avg_price) * self.amount


@dataclass(frozen=True, slots=True)
class BracketRequest:
    """An entry with a protective stop and a profit target (one cancels the other)."""

    symbol: str
    side: Side
    amount: Decimal
    stop_price: Decimal
    take_profit_price: Decimal
    entry_price: Decimal | None = None  # None: market entry; else a limit entry
    client_id: str = field(default_factory=new_client_id)
    source: str | None = None  # who placed it (trading.attribution), inherited by its entry and legs
    strategy: str | None = None
    post_only: bool = False  # the limit entry must rest (maker); the exits arm only once it fills


@dataclass(frozen=True, slots=True)
class Bracket:
    id: str
    symbol: str
    side: Side
    entry_order_id: str
    stop_order_id: str | None
    take_profit_order_id: str | None
    status: BracketStatus
    created_at: datetime
    stop_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    # LIVE bookkeeping (trading.exchange.kraken.brackets); PAPER leaves these at their defaults.
    exit_kind: str | None = None  # how it ended ("stop-loss", "take-profit", ...) or the exit under way
    leg_seq: int = 0  # generation of Zyn's own stop order, part of its client id
    note: str | None = None  # the last step or failure, for people reading the journal
    updated_at: datetime | None = None
    source: str | None = None  # who placed it (trading.attribution): its entry and legs inherit it
    strategy: str | None = None

    def evolve(self, **changes: object) -> Bracket:
        """A copy with some fields changed."""
        return replace(self, **changes)
