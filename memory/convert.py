"""The one place where table rows become domain dataclasses and back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from memory.tables.ledger import BracketRow, FillRow, OrderRow, PositionRow
from trading.domain import (
    Balance,
    Bracket,
    BracketStatus,
    Fill,
    Liquidity,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
)


@dataclass(frozen=True, slots=True)
class BalanceSnapshot:
    """Balances recorded at one moment (LIVE telemetry), with the equity in the quote currency if known."""

    timestamp: datetime
    source: str
    equity_quote: Decimal | None
    balances: dict[str, Balance] = field(default_factory=dict)


def order_values(order: Order) -> dict[str, Any]:
    """Column values of an order (everything but seq)."""
    return {
        "id": order.id, "client_id": order.client_id, "symbol": order.symbol, "side": order.side.value,
        "type": order.type.value, "amount": order.amount, "price": order.price, "stop_price": order.stop_price,
        "status": order.status.value, "filled": order.filled, "average": order.average, "fee": order.fee,
        "fee_currency": order.fee_currency, "bracket_id": order.bracket_id,
        "reason": order.reason[:500] if order.reason else order.reason,  # the column's size (PostgreSQL enforces it)
        "created_at": order.created_at, "updated_at": order.updated_at, "source": order.source,
        "strategy": order.strategy, "post_only": order.post_only or None,
    }


def order_from_row(row: OrderRow) -> Order:
    return Order(
        id=row.id, client_id=row.client_id, symbol=row.symbol, side=Side(row.side), type=OrderType(row.type),
        amount=row.amount, status=OrderStatus(row.status), created_at=row.created_at, updated_at=row.updated_at,
        price=row.price, stop_price=row.stop_price, filled=row.filled, average=row.average, fee=row.fee,
        fee_currency=row.fee_currency, bracket_id=row.bracket_id, reason=row.reason, source=row.source,
        strategy=row.strategy, post_only=bool(row.post_only),
    )


def fill_values(fill: Fill) -> dict[str, Any]:
    return {
        "id": fill.id, "order_id": fill.order_id, "client_id": fill.client_id, "symbol": fill.symbol,
        "side": fill.side.value, "amount": fill.amount, "price": fill.price, "fee": fill.fee,
        "fee_currency": fill.fee_currency, "liquidity": fill.liquidity.value, "timestamp": fill.timestamp,
        "source": fill.source, "strategy": fill.strategy,
    }


def fill_from_row(row: FillRow) -> Fill:
    return Fill(
        id=row.id, order_id=row.order_id, client_id=row.client_id, symbol=row.symbol, side=Side(row.side),
        amount=row.amount, price=row.price, fee=row.fee, fee_currency=row.fee_currency,
        liquidity=Liquidity(row.liquidity), timestamp=row.timestamp, source=row.source, strategy=row.strategy,
    )


FILL_COLUMNS = ("id", "order_id", "client_id", "symbol", "side", "amount", "price", "fee", "fee_currency",
                "liquidity", "timestamp", "source", "strategy")  # fill_from_columns' order: a Core select is 5x faster
FILL_WIDTH = len(FILL_COLUMNS)  # what follows them in a row is the caller's (e.g. the cost chain's columns)


def fill_from_columns(row: Any) -> Fill:
    """A Fill from a Core row whose first columns are FILL_COLUMNS (bulk reads skip the ORM objects)."""
    fid, oid, cid, symbol, side, amount, price, fee, fee_ccy, liquidity, at, source, strategy = row[:FILL_WIDTH]
    return Fill(id=fid, order_id=oid, client_id=cid, symbol=symbol, side=Side(side), amount=amount, price=price,
                fee=fee, fee_currency=fee_ccy, liquidity=Liquidity(liquidity), timestamp=at, source=source,
                strategy=strategy)


def position_values(pos: Position) -> dict[str, Any]:
    return {
        "symbol": pos.symbol, "amount": pos.amount, "avg_price": pos.avg_price,
        "realized_pnl": pos.realized_pnl, "fees_paid": pos.fees_paid, "updated_at": pos.updated_at,
    }


def position_from_row(row: PositionRow) -> Position:
    return Position(symbol=row.symbol, amount=row.amount, avg_price=row.avg_price, realized_pnl=row.realized_pnl,
                    fees_paid=row.fees_paid, updated_at=row.updated_at)


def bracket_values(b: Bracket) -> dict[str, Any]:
    return {
        "id": b.id, "symbol": b.symbol, "side": b.side.value, "entry_order_id": b.entry_order_id,
        "stop_order_id": b.stop_order_id, "take_profit_order_id": b.take_profit_order_id,
        "status": b.status.value, "created_at": b.created_at, "stop_price": b.stop_price,
        "take_profit_price": b.take_profit_price, "exit_kind": b.exit_kind, "leg_seq": b.leg_seq,
        "note": b.note[:500] if b.note else b.note, "updated_at": b.updated_at, "source": b.source,
        "strategy": b.strategy,
    }


def bracket_from_row(row: BracketRow) -> Bracket:
    return Bracket(
        id=row.id, symbol=row.symbol, side=Side(row.side), entry_order_id=row.entry_order_id,
        stop_order_id=row.stop_order_id, take_profit_order_id=row.take_profit_order_id,
        status=BracketStatus(row.status), created_at=row.created_at, stop_price=row.stop_price,
        take_profit_price=row.take_profit_price, exit_kind=row.exit_kind, leg_seq=row.leg_seq or 0,
        note=row.note, updated_at=row.updated_at, source=row.source, strategy=row.strategy,
    )
