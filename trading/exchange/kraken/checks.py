"""Local order checks: what Kraken would refuse or ccxt would silently round is refused before anything is sent."""

from __future__ import annotations

from decimal import Decimal

from trading.domain import BracketRequest, Market, OrderRequest, OrderType, Side, fits_step
from trading.errors import BelowMinimumError, InputError, InvalidAmountError, PrecisionError


def _check_order(request: OrderRequest, market: Market) -> None:
    """Refuse locally what Kraken would refuse or ccxt would silently round (nothing is sent)."""
    if request.amount <= 0:
        raise InvalidAmountError("the amount must be greater than zero")
    if not fits_step(request.amount, market.amount_step):
        raise PrecisionError(f"{market.symbol} amounts go in steps of {market.amount_step}")
    if request.amount < market.min_amount:
        raise BelowMinimumError(f"{market.symbol} orders need at least {market.min_amount} {market.base}")
    if request.post_only and request.type is not OrderType.LIMIT:
        raise InputError("only a limit order can be post-only")
    needed = {OrderType.LIMIT: ("price", request.price), OrderType.STOP_LOSS: ("stop price", request.stop_price),
              OrderType.TAKE_PROFIT: ("stop price", request.stop_price)}.get(request.type)
    if needed is None:
        return
    label, value = needed
    if value is None or value <= 0:
        raise InvalidAmountError(f"a {request.type.value} order needs a {label} greater than zero")
    if not fits_step(value, market.price_step):
        raise PrecisionError(f"{market.symbol} prices go in steps of {market.price_step}")
    if market.min_cost and value * request.amount < market.min_cost:
        raise BelowMinimumError(f"{market.symbol} orders need a value of at least {market.min_cost} {market.quote}")


def _check_bracket(request: BracketRequest, market: Market) -> None:
    """The stop must sit on the losing side and the target on the winning side of the entry."""
    for value in (request.stop_price, request.take_profit_price):
        if value <= 0:
            raise InvalidAmountError("bracket prices must be greater than zero")
        if not fits_step(value, market.price_step):
            raise PrecisionError(f"{market.symbol} prices go in steps of {market.price_step}")
    low, high = (request.stop_price, request.take_profit_price)
    if request.side is Side.SELL:
        low, high = high, low
    entry: Decimal | None = request.entry_price
    if not low < high or (entry is not None and not low < entry < high):
        raise InputError("for a buy the stop must be below the entry and the target above it "
                         "(the other way round for a sell)")
