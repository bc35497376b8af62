"""The one place where ccxt's Kraken dicts become domain types. Numbers go through str() into Decimal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from trading.clock import from_ms
from trading.domain import (
    ZERO,
    Balance,
    Candle,
    Fill,
    Liquidity,
    Market,
    Order,
    OrderStatus,
    OrderType,
    Side,
    Ticker,
)
from trading.errors import ExchangeError

SOURCE = "kraken"

_STATUS = {
    "open": OrderStatus.OPEN,
    "closed": OrderStatus.CLOSED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}

# Kraken's own order types (descr.ordertype). Variants Zyn never places (stop-loss-limit, trailing
# stops, placed by hand on kraken.com) map to the closest kind so they still show up sensibly.
_KRAKEN_TYPES = {
    "market": OrderType.MARKET,
    "limit": OrderType.LIMIT,
    "iceberg": OrderType.LIMIT,
    "stop-loss": OrderType.STOP_LOSS,
    "stop-loss-limit": OrderType.STOP_LOSS,
    "trailing-stop": OrderType.STOP_LOSS,
    "trailing-stop-limit": OrderType.STOP_LOSS,
    "take-profit": OrderType.TAKE_PROFIT,
    "take-profit-limit": OrderType.TAKE_PROFIT,
    "settle-position": OrderType.MARKET,
}

_TIMEFRAME_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}

_SKIP_BALANCE_KEYS = {"info", "timestamp", "datetime", "free", "used", "total", "debt"}


def dec(value: Any) -> Decimal | None:
    """Decimal from a ccxt value (str, int, float or Decimal) via str(); None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def _dec0(value: Any) -> Decimal:
    result = dec(value)
    return ZERO if result is None else result


def _positive(value: Any) -> Decimal | None:
    result = dec(value)
    return result if result is not None and result > 0 else None


def timeframe_seconds(timeframe: str) -> int:
    """Seconds in a ccxt timeframe such as "5m", "1h" or "1d"."""
    try:
        count, unit = int(timeframe[:-1]), timeframe[-1]
        return count * _TIMEFRAME_UNITS[unit]
    except (ValueError, KeyError, IndexError):
        raise ExchangeError(f"unsupported timeframe '{timeframe}'") from None


def market_from_ccxt(m: Mapping[str, Any]) -> Market:
    """Market rules from a ccxt market (TICK_SIZE precision: the values already are step sizes)."""
    info = m.get("info") or {}
    precision = m.get("precision") or {}
    limits = m.get("limits") or {}
    price_step = _positive(precision.get("price")) or _positive(info.get("tick_size"))
    amount_step = _positive(precision.get("amount"))
    if price_step is None or amount_step is None:
        raise ExchangeError(f"Kraken market {m.get('id')} has no price or amount precision")
    # Fees fall back to Market's defaults when Kraken sends none.
    fees = {name: dec(m[key]) for name, key in (("maker_fee", "maker"), ("taker_fee", "taker"))
            if m.get(key) is not None}
    return Market(
        symbol=m["symbol"],
        exchange_id=m["id"],
        altname=info.get("altname") or m.get("altname") or m["id"],
        base=m["base"],
        quote=m["quote"],
        price_step=price_step,
        amount_step=amount_step,
        min_amount=_dec0((limits.get("amount") or {}).get("min") or info.get("ordermin")),
        min_cost=_dec0((limits.get("cost") or {}).get("min") or info.get("costmin")),
        active=bool(m.get("active", True)),
        **fees,
    )


def ticker_from_ccxt(t: Mapping[str, Any], symbol: str, now: datetime) -> Ticker:
    """A Ticker; Kraken sends no timestamp, so the clock's now is used."""
    bid, ask, last = dec(t.get("bid")), dec(t.get("ask")), dec(t.get("last"))
    if bid is None or ask is None or last is None:
        raise ExchangeError(f"Kraken sent no price for {symbol}")
    stamp = from_ms(t["timestamp"]) if t.get("timestamp") else now
    return Ticker(
        symbol=symbol,
        bid=bid,
        ask=ask,
        last=last,
        timestamp=stamp,
        source=SOURCE,
        high_24h=dec(t.get("high")),
        low_24h=dec(t.get("low")),
        volume_24h=dec(t.get("baseVolume")),
        open_24h=dec(t.get("open")),
        quote_volume_24h=dec(t.get("quoteVolume")),
    )


def candles_from_ccxt(rows: list[list[Any]], symbol: str, timeframe: str, now: datetime) -> list[Candle]:
    """Candles oldest first; the last is closed=False while its period has not ended at `now`."""
    span = timedelta(seconds=timeframe_seconds(timeframe))
    candles: list[Candle] = []
    for row in sorted(rows, key=lambda r: r[0]):
        opened = from_ms(row[0])
        candles.append(
            Candle(
                symbol=symbol,
                timestamp=opened,
                open=_dec0(row[1]),
                high=_dec0(row[2]),
                low=_dec0(row[3]),
                close=_dec0(row[4]),
                volume=_dec0(row[5]),
                closed=True,
            )
        )
    # Only the newest candle can still be forming; Kraken always sends it last.
    if candles and candles[-1].timestamp + span > now:
        last = candles[-1]
        candles[-1] = Candle(last.symbol, last.timestamp, last.open, last.high, last.low, last.close,
                             last.volume, closed=False)
    return candles


def balances_from_ccxt(b: Mapping[str, Any]) -> dict[str, Balance]:
    """Balances keyed by common asset name; used = held by open orders (BalanceEx hold_trade)."""
    result: dict[str, Balance] = {}
    for code, account in b.items():
        if code in _SKIP_BALANCE_KEYS or not isinstance(account, Mapping):
            continue
        total = _dec0(account.get("total"))
        used = _dec0(account.get("used"))
        result[code] = Balance(asset=code, total=total, used=used)
    return result


def _order_type(o: Mapping[str, Any], descr: Mapping[str, Any]) -> OrderType:
    raw = descr.get("ordertype")
    if raw in _KRAKEN_TYPES:
        return _KRAKEN_TYPES[raw]
    # Responses without descr.ordertype (AddOrder's answer) come back as ccxt type "market" with
    # stopLossPrice / takeProfitPrice set, parsed from the "@ stop loss 55000.0" sentence.
    if o.get("stopLossPrice") is not None:
        return OrderType.STOP_LOSS
    if o.get("takeProfitPrice") is not None:
        return OrderType.TAKE_PROFIT
    return _KRAKEN_TYPES.get(o.get("type") or "", OrderType.MARKET)


def order_from_ccxt(
    o: Mapping[str, Any],
    *,
    now: datetime,
    symbol: str | None = None,
    side: Side | None = None,
    client_id: str | None = None,
    default_status: OrderStatus = OrderStatus.OPEN,
) -> Order:
    """An Order from a ccxt order; keyword fallbacks fill what Kraken's reply leaves out."""
    info = o.get("info") or {}
    descr = info.get("descr") if isinstance(info.get("descr"), Mapping) else {}
    kind = _order_type(o, descr)
    price: Decimal | None = None
    stop_price: Decimal | None = None
    if kind is OrderType.LIMIT:
        price = _positive(o.get("price")) or _positive(descr.get("price"))
    elif kind is OrderType.STOP_LOSS:
        stop_price = _positive(o.get("stopLossPrice")) or _positive(o.get("triggerPrice"))
        stop_price = stop_price or _positive(descr.get("price"))
        price = _positive(descr.get("price2"))  # only a stop-loss-limit has a limit price
    elif kind is OrderType.TAKE_PROFIT:
        stop_price = _positive(o.get("takeProfitPrice")) or _positive(o.get("triggerPrice"))
        stop_price = stop_price or _positive(descr.get("price"))
        price = _positive(descr.get("price2"))
    fee = o.get("fee") or {}
    created = from_ms(o["timestamp"]) if o.get("timestamp") else now
    updated = from_ms(o["lastUpdateTimestamp"]) if o.get("lastUpdateTimestamp") else created
    raw_side = o.get("side")
    sym = o.get("symbol") or symbol
    if sym is None or (raw_side is None and side is None):
        raise ExchangeError("Kraken sent an order without pair or side")
    return Order(
        id=o.get("id") or "",
        client_id=info.get("cl_ord_id") or client_id or "",
        symbol=sym,
        side=Side(raw_side) if raw_side else side,  # type: ignore[arg-type]
        type=kind,
        amount=_dec0(o.get("amount")),
        status=_STATUS.get(o.get("status") or "", default_status),
        created_at=created,
        updated_at=updated,
        price=price,
        stop_price=stop_price,
        filled=_dec0(o.get("filled")),
        average=_positive(o.get("average")),
        fee=_dec0(fee.get("cost")),
        fee_currency=fee.get("currency"),
        reason=info.get("reason") or None,
        post_only=bool(o.get("postOnly")),  # ccxt reads Kraken's oflags (post)
    )


def fill_from_ccxt(t: Mapping[str, Any], *, client_id: str = "") -> Fill:
    """A Fill from a ccxt trade of ours (TradesHistory)."""
    fee = t.get("fee") or {}
    info = t.get("info") or {}
    maker = t.get("takerOrMaker") == "maker" or info.get("maker") is True
    return Fill(
        id=t.get("id") or "",
        order_id=t.get("order") or "",
        client_id=client_id,
        symbol=t["symbol"],
        side=Side(t["side"]),
        amount=_dec0(t.get("amount")),
        price=_dec0(t.get("price")),
        fee=_dec0(fee.get("cost")),
        fee_currency=fee.get("currency") or "",
        liquidity=Liquidity.MAKER if maker else Liquidity.TAKER,
        timestamp=from_ms(t["timestamp"]),
    )
