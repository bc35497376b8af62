"""Order validation for the paper simulator: one-line, user-facing errors that name the numbers."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation

from trading.domain import Market, Side, Ticker, fits_step, quantize_down
from trading.errors import (
    BelowMinimumError,
    InsufficientFundsError,
    InvalidAmountError,
    PostOnlyRejectedError,
    PrecisionError,
)

# Assets shown with two decimals in messages (cash-like); everything else gets up to eight.
CASH_LIKE = frozenset({"USD", "EUR", "GBP", "CAD", "JPY", "CHF", "AUD", "USDT", "USDC", "DAI"})


def plain(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: 1E-8 -> 0.00000001, 65000.10 -> 65000.1."""
    text = format(value.normalize(), "f")
    return text


def show(asset: str, value: Decimal, rounding: str = ROUND_HALF_UP) -> str:
    """An amount of an asset for a message: 2 decimals for cash, up to 8 for coins."""
    if asset in CASH_LIKE:
        return format(value.quantize(Decimal("0.01"), rounding=rounding), "f")
    return plain(value.quantize(Decimal("0.00000001"), rounding=rounding))


def number(name: str, value: object) -> Decimal:
    """value as a finite, positive Decimal, or InvalidAmountError."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise InvalidAmountError(f"{name} must be a number, not {type(value).__name__}")
    try:
        number_ = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidAmountError(f"{name} '{value}' is not a number") from None
    if not number_.is_finite() or number_ <= 0:
        raise InvalidAmountError(f"{name} {value} must be a positive number")
    return number_


def amount_on_step(value: object, market: Market, auto_adjust: bool) -> Decimal:
    """A valid order amount; with auto_adjust it is rounded down to the step."""
    amount = number("amount", value)
    if fits_step(amount, market.amount_step):
        return amount
    if not auto_adjust:
        raise PrecisionError(f"amount {plain(amount)} has more decimals than {market.symbol} allows "
                             f"(step {plain(market.amount_step)})")
    adjusted = quantize_down(amount, market.amount_step)
    if adjusted <= 0:
        raise BelowMinimumError(f"amount {plain(amount)} rounds down to 0 at the {market.symbol} step "
                                f"{plain(market.amount_step)}")
    return adjusted


def price_on_step(name: str, value: object, market: Market, auto_adjust: bool) -> Decimal:
    """A valid price; with auto_adjust it is rounded to the nearest step."""
    price = number(name, value)
    if fits_step(price, market.price_step):
        return price
    if not auto_adjust:
        raise PrecisionError(f"{name} {plain(price)} has more decimals than {market.symbol} allows "
                             f"(step {plain(market.price_step)})")
    adjusted = (price / market.price_step).to_integral_value(rounding=ROUND_HALF_UP) * market.price_step
    if adjusted <= 0:
        raise InvalidAmountError(f"{name} {plain(price)} rounds to 0 at the {market.symbol} step "
                                 f"{plain(market.price_step)}")
    return adjusted


def minimums(amount: Decimal, price: Decimal, market: Market, what: str = "order value") -> None:
    """BelowMinimumError when the amount or its value at price is under the market's minimum."""
    if amount < market.min_amount:
        raise BelowMinimumError(f"amount {plain(amount)} {market.base} is below the {market.symbol} minimum "
                                f"of {plain(market.min_amount)} {market.base}")
    cost = amount * price
    if cost < market.min_cost:
        raise BelowMinimumError(f"{what} {show(market.quote, cost, ROUND_DOWN)} {market.quote} is below the "
                                f"{market.symbol} minimum of {plain(market.min_cost)} {market.quote}")


def funds(asset: str, need: Decimal, free: Decimal) -> None:
    """InsufficientFundsError when need exceeds free (need rounded up, free down, so they never look equal)."""
    if need > free:
        raise InsufficientFundsError(f"insufficient {asset}: need {show(asset, need, ROUND_UP)}, "
                                     f"free {show(asset, max(free, Decimal(0)), ROUND_DOWN)}")


def refuse_taking(side: Side, price: Decimal, ticker: Ticker) -> None:
    """PostOnlyRejectedError when a post-only limit would take liquidity: a buy at or above the ask (a sell at or
    below the bid). Kraken refuses it the same way ("EOrder:Post only order"); nothing is placed."""
    buy = side is Side.BUY
    if price >= ticker.ask if buy else price <= ticker.bid:
        touch = ticker.ask if buy else ticker.bid
        raise PostOnlyRejectedError(
            f"post-only {side.value} at {plain(price)} refused: it would take liquidity (the "
            f"{'ask' if buy else 'bid'} is {plain(touch)}); nothing was placed (EOrder:Post only order)")
