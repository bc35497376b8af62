"""Sizing a long entry: the ATR stop and target, risk per trade, the position and portfolio caps."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from trading.config import RiskSettings
from trading.decision.evaluation import SkipReason
from trading.domain import ZERO, Market, quantize_down, quantize_up
from trading.learning.learner import RealisedEdge

Refusal = tuple[SkipReason, str]


@dataclass(frozen=True, slots=True)
class Sizing:
    """A sized long entry: risk is the quote currency lost at the stop, fees of both legs included."""

    amount: Decimal
    entry: Decimal
    stop: Decimal
    target: Decimal
    risk: Decimal
    risk_factor: Decimal = Decimal(1)  # the share of the risk per trade it was sized with (the learner's, <= 1)


def num(value: Decimal, places: int = 8) -> str:
    """A Decimal for a message: plain notation, at most `places` decimals, no trailing zeros."""
    rounded = value.quantize(Decimal(1).scaleb(-places)) if value.as_tuple().exponent < -places else value
    text = format(rounded.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _min_buyable(market: Market, entry: Decimal) -> Decimal:
    """The smallest amount the market accepts at this price: its minimum amount and minimum cost."""
    by_cost = quantize_up(market.min_cost / entry, market.amount_step) if market.min_cost > 0 else ZERO
    return max(market.min_amount, by_cost)


def _below_min(amount: Decimal, entry: Decimal, market: Market) -> str | None:
    """Why an amount is too small for the market, or None."""
    if amount < market.min_amount or amount <= 0:
        return f"size {num(amount)} {market.base} below the {num(market.min_amount)} minimum"
    if amount * entry < market.min_cost:
        return (f"order cost {num(amount * entry, 2)} {market.quote} below the {num(market.min_cost)} "
                f"{market.quote} minimum")
    return None


def size_long(*, equity: Decimal, free_quote: Decimal, entry: Decimal, atr: Decimal, market: Market,
              cfg: RiskSettings, open_risk: Decimal, taker_fee: Decimal, realised: RealisedEdge | None = None,
              slippage: Decimal = ZERO, risk_factor: float | Decimal | None = None) -> Sizing | Refusal:
    """Size a long entry with an ATR stop, or say why not (a SkipReason and a message naming the numbers).

    risk_factor (the learner's, trading/learning/risk.py) scales the risk per trade DOWN: it is clamped to
    [0, 1], so it can shrink a trade but never enlarge it; every other cap and gate applies as without it.

    The cost gate: with `realised` (the learner's record of what this strategy x regime actually moved to its
    exit), that mean move less today's round trip (the taker fee and the slippage on both legs) must be above
    its min_net_edge; without it (the learner off), the ATR target must clear the fees min_reward_to_cost x.
    """
    if entry <= 0:
        return SkipReason.SIZE_BELOW_MIN, f"no usable entry price ({num(entry)}): cannot size the trade"
    if atr <= 0:
        return SkipReason.SIZE_BELOW_MIN, f"ATR is {num(atr)}: no stop distance, cannot size the trade"
    # Stop rounded down and target up: the stop never ends up closer than the ATR multiple asks for.
    stop = quantize_down(entry - atr * cfg.atr_stop_mult, market.price_step)
    target = quantize_up(entry + atr * cfg.atr_target_mult, market.price_step)
    if stop <= 0:
        return SkipReason.SIZE_BELOW_MIN, (f"stop {num(stop)} would be at or below zero (entry {num(entry)}, "
                                           f"ATR {num(atr)} x {num(cfg.atr_stop_mult)}): cannot size the trade")
    distance = entry - stop
    if realised is not None:
        trip = 2 * (float(taker_fee) + float(slippage))
        net = realised.mean_move - trip
        if net <= realised.min_net_edge:
            return SkipReason.EDGE_BELOW_COSTS, (
                f"{realised.arm} moved {realised.mean_move:+.2%} on average from entry to exit over {realised.n} "
                f"outcomes; today's round trip costs {trip:.2%} (fees and slippage both ways): {net:+.2%} net, "
                f"not above {realised.min_net_edge:.2%}")
    # Fees both ways: a target that does not clear them by a margin is a losing trade before it starts.
    costs = taker_fee * (entry + target)
    if realised is None and (target - entry) < (1 + cfg.min_reward_to_cost) * costs:
        return SkipReason.EDGE_BELOW_COSTS, (
            f"target {num(target)} is only {num(target - entry)} above the entry {num(entry)}; fees both ways cost "
            f"{num(costs, 2)} per {market.base}, and the reward must clear them {num(cfg.min_reward_to_cost)}x "
            f"(ATR {num(atr)} is too small for these fees)")
    # Loss per unit at the stop: the price distance plus the taker fee on the entry and on the stop's sale.
    per_unit = distance + taker_fee * (entry + stop)
    scale = shrink_only(risk_factor)
    by_risk = equity * cfg.risk_per_trade * scale / per_unit
    by_position = cfg.max_position_fraction * equity / entry
    amount = quantize_down(max(ZERO, min(by_risk, by_position)), market.amount_step)
    why = _below_min(amount, entry, market)
    if why is not None:
        cap = "risk per trade" if by_risk <= by_position else "position cap"
        if cap == "risk per trade" and scale < 1:
            cap = f"risk per trade shrunk to {scale:.0%} by the learner"
        return SkipReason.SIZE_BELOW_MIN, f"{why} ({cap} at equity {num(equity, 2)} {market.quote})"

    by_balance = quantize_down(max(ZERO, free_quote / (entry * (1 + taker_fee))), market.amount_step)
    minimum = _min_buyable(market, entry)
    if by_balance < minimum:
        need = minimum * entry * (1 + taker_fee)
        return SkipReason.INSUFFICIENT_BALANCE, (
            f"free {num(free_quote, 2)} {market.quote} cannot buy the minimum {num(minimum)} {market.base} "
            f"(needs {num(need, 2)} {market.quote} with fees)")
    amount = min(amount, by_balance)

    budget = cfg.max_portfolio_risk * equity
    left = budget - open_risk
    if amount * per_unit > left:
        shrunk = quantize_down(max(ZERO, left) / per_unit, market.amount_step)
        if _below_min(shrunk, entry, market) is not None:
            return SkipReason.RISK_CAP, (
                f"open risk {num(open_risk, 2)} + this trade's {num(amount * per_unit, 2)} {market.quote} would "
                f"exceed the {num(budget, 2)} {market.quote} cap ({num(cfg.max_portfolio_risk * 100)}% of equity); "
                f"the {num(max(ZERO, left), 2)} left buys {num(shrunk)} {market.base}, below the {num(minimum)} "
                f"minimum")
        amount = shrunk
    return Sizing(amount=amount, entry=entry, stop=stop, target=target, risk=amount * per_unit, risk_factor=scale)


def shrink_only(factor: float | Decimal | None) -> Decimal:
    """A risk factor as a Decimal in [0, 1]: None is the full risk; a factor above 1 is 1; NaN or <= 0 is 0 (no trade)."""
    if factor is None:
        return Decimal(1)
    try:
        d = Decimal(repr(factor)) if isinstance(factor, float) else Decimal(factor)
    except (ArithmeticError, ValueError):
        return ZERO
    if d.is_nan() or d <= 0:
        return ZERO
    return min(Decimal(1), d)  # +inf too: the configured risk, never more


def open_risk(positions_with_stops: Iterable[tuple[Decimal, Decimal, Decimal]]) -> Decimal:
    """Quote currency lost if every position (amount, average or mark price, stop) hit its stop now."""
    # A stop above the price locks in a gain: it adds no risk rather than cancelling others' risk.
    return sum((max(ZERO, amount * (price - stop)) for amount, price, stop in positions_with_stops), ZERO)
