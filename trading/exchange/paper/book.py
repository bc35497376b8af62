"""The paper account's state and bookkeeping: balances, active orders, positions, brackets, holds."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

from trading.domain import (
    ZERO,
    Bracket,
    BracketStatus,
    Fill,
    Liquidity,
    Market,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
    Ticker,
    quantize_down,
    quantize_up,
)
from trading.exchange.paper.ledger import PaperChange, PaperSnapshot

# All simulator arithmetic runs in this context: 60 digits keep sums and products of prices and
# amounts exact, so equity - start == realised + unrealised holds to the last digit.
EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])
FEE_QUANTUM = Decimal("0.00000001")  # fees are exact to 8 decimals, rounded half up
HOLD_QUANTUM = Decimal("0.00000001")  # holds round up, so a hold always covers what it guards
AVG_CONTEXT = Context(prec=20, rounding=ROUND_HALF_EVEN)  # average prices keep 20 significant digits
BPS = Decimal("10000")
EXIT_TYPES = (OrderType.STOP_LOSS, OrderType.TAKE_PROFIT)
_ALNUM = string.ascii_uppercase + string.digits


def kraken_id(prefix: str = "O") -> str:
    """A Kraken-style id: prefix + 5, 5 and 6 upper-case letters/digits, e.g. OQCLML-BW3P3-BUCMWZ."""
    pick = secrets.choice
    return (prefix + "".join(pick(_ALNUM) for _ in range(5)) + "-" + "".join(pick(_ALNUM) for _ in range(5))
            + "-" + "".join(pick(_ALNUM) for _ in range(6)))


def derived_id(prefix: str, order_id: str) -> str:
    """A fill or bracket id derived from an order id (orders fill once, so it is unique)."""
    return prefix + (order_id[1:] if order_id.startswith("O") else "-" + order_id)


def split_symbol(symbol: str) -> tuple[str, str]:
    """("BTC", "USD") from "BTC/USD"."""
    base, _, quote = symbol.partition("/")
    return base, quote


@dataclass(frozen=True, slots=True)
class PaperTerms:
    """The simulator's fee and slippage schedule (its own, not the market's)."""

    quote_currency: str
    maker_fee: Decimal
    taker_fee: Decimal
    slippage_bps: Decimal

    def fee(self, cost: Decimal, liquidity: Liquidity) -> Decimal:
        """Fee in the quote currency, exact to 8 decimals (half up)."""
        rate = self.maker_fee if liquidity is Liquidity.MAKER else self.taker_fee
        return (cost * rate).quantize(FEE_QUANTUM, rounding=ROUND_HALF_UP)

    def market_price(self, side: Side, ticker: Ticker, market: Market) -> Decimal:
        """A taker's fill price: the touch moved against us by the slippage, rounded adversely to the step."""
        return self.taker_price(side, ticker.ask if side is Side.BUY else ticker.bid, market)

    def taker_price(self, side: Side, touch: Decimal, market: Market) -> Decimal:
        """A taker's fill price from the touch (ask for a buy, bid for a sell); the backtester uses it too."""
        if side is Side.BUY:
            return quantize_up(touch * (1 + self.slippage_bps / BPS), market.price_step)
        return quantize_down(touch * (1 - self.slippage_bps / BPS), market.price_step)

    def buy_hold(self, amount: Decimal, price: Decimal) -> Decimal:
        """Quote held for a resting buy at price, including the taker fee."""
        return quantize_up(amount * price * (1 + self.taker_fee), HOLD_QUANTUM)

    def hold(self, order: Order) -> tuple[str, Decimal] | None:
        """(asset, amount) an OPEN order holds; sells hold base, buys hold quote with the fee."""
        if order.status is not OrderStatus.OPEN or order.type is OrderType.MARKET:
            return None
        base, quote = split_symbol(order.symbol)
        if order.side is Side.SELL:
            return base, order.remaining
        if order.type is OrderType.LIMIT:
            return quote, self.buy_hold(order.remaining, order.price)
        # A triggered buy fills at market with slippage, so hold for that too.
        return quote, self.buy_hold(order.remaining, order.stop_price * (1 + self.slippage_bps / BPS))


class PaperBook:
    """Mutable working state; fork() before a step, change() to persist it, then adopt the fork."""

    def __init__(self, balances: dict[str, Decimal], orders: dict[str, Order], positions: dict[str, Position],
                 brackets: dict[str, Bracket]) -> None:
        self.balances = balances
        self.orders = orders  # active (PENDING or OPEN) orders by id, in placement order
        self.positions = positions
        self.brackets = brackets  # active brackets by id
        self._bal: dict[str, Decimal] = {}
        self._ord: dict[str, Order] = {}
        self._fills: list[Fill] = []
        self._pos: dict[str, Position] = {}
        self._br: dict[str, Bracket] = {}

    @classmethod
    def from_snapshot(cls, snap: PaperSnapshot) -> PaperBook:
        """State as the ledger persisted it."""
        return cls(dict(snap.balances), {o.id: o for o in snap.active_orders}, dict(snap.positions),
                   {b.id: b for b in snap.active_brackets})

    def fork(self) -> PaperBook:
        """A copy to work on (values are immutable, so shallow copies suffice)."""
        return PaperBook(dict(self.balances), dict(self.orders), dict(self.positions), dict(self.brackets))

    def change(self) -> PaperChange:
        """Everything changed since the fork."""
        return PaperChange(balances=dict(self._bal), orders=list(self._ord.values()), fills=list(self._fills),
                           positions=list(self._pos.values()), brackets=list(self._br.values()))

    @property
    def new_fills(self) -> list[Fill]:
        return list(self._fills)

    # ---- reads ------------------------------------------------------------------------------------

    def find(self, ref: str) -> Order | None:
        """An active order by id or client id."""
        if ref in self.orders:
            return self.orders[ref]
        return next((o for o in self.orders.values() if o.client_id == ref), None)

    def latest_order(self, order_id: str) -> Order | None:
        """The newest version of an order touched in this step (or still active)."""
        return self._ord.get(order_id) or self.orders.get(order_id)

    def latest_bracket(self, bracket_id: str) -> Bracket | None:
        return self._br.get(bracket_id) or self.brackets.get(bracket_id)

    def total(self, asset: str) -> Decimal:
        return self.balances.get(asset, ZERO)

    def holds(self, terms: PaperTerms, exclude: Iterable[str] = ()) -> dict[str, Decimal]:
        """Held amounts per asset; a bracket's two exits share one hold (the larger)."""
        skip = set(exclude)
        out: dict[str, Decimal] = {}
        shared: dict[tuple[str, str], Decimal] = {}
        for order in self.orders.values():
            if order.id in skip:
                continue
            held = terms.hold(order)
            if held is None:
                continue
            asset, amount = held
            if order.bracket_id and order.type in EXIT_TYPES:
                key = (order.bracket_id, asset)
                shared[key] = max(shared.get(key, ZERO), amount)
            else:
                out[asset] = out.get(asset, ZERO) + amount
        for (_, asset), amount in shared.items():
            out[asset] = out.get(asset, ZERO) + amount
        return out

    def free(self, asset: str, terms: PaperTerms, exclude: Iterable[str] = ()) -> Decimal:
        """Total minus holds (optionally ignoring some orders' holds)."""
        return self.total(asset) - self.holds(terms, exclude).get(asset, ZERO)

    def siblings(self, order: Order) -> list[str]:
        """Ids of the order and, for a bracket exit, its partner (they share one hold)."""
        bracket = self.brackets.get(order.bracket_id) if order.bracket_id else None
        if bracket is None or order.id == bracket.entry_order_id:
            return [order.id]
        return [i for i in (bracket.stop_order_id, bracket.take_profit_order_id) if i]

    # ---- writes -----------------------------------------------------------------------------------

    def put_order(self, order: Order) -> None:
        if order.status.is_active:
            self.orders[order.id] = order
        else:
            self.orders.pop(order.id, None)
        self._ord[order.id] = order

    def put_bracket(self, bracket: Bracket) -> None:
        if bracket.status in (BracketStatus.PENDING_ENTRY, BracketStatus.ACTIVE):
            self.brackets[bracket.id] = bracket
        else:
            self.brackets.pop(bracket.id, None)
        self._br[bracket.id] = bracket

    def set_balance(self, asset: str, total: Decimal) -> None:
        self.balances[asset] = total
        self._bal[asset] = total

    def set_bracket_status(self, bracket: Bracket, status: BracketStatus) -> Bracket:
        updated = replace(bracket, status=status)
        self.put_bracket(updated)
        return updated

    def apply_fill(self, fill: Fill, now: datetime) -> None:
        """Move the money and update the average-cost position."""
        base, quote = split_symbol(fill.symbol)
        cost = fill.amount * fill.price
        if fill.side is Side.BUY:
            self.set_balance(quote, self.total(quote) - cost - fill.fee)
            self.set_balance(base, self.total(base) + fill.amount)
        else:
            self.set_balance(quote, self.total(quote) + cost - fill.fee)
            self.set_balance(base, self.total(base) - fill.amount)
        pos = self.positions.get(fill.symbol) or Position(symbol=fill.symbol, amount=ZERO, avg_price=ZERO)
        pos = _position_after(pos, fill, cost, now)
        self.positions[fill.symbol] = pos
        self._pos[fill.symbol] = pos
        self._fills.append(fill)


def _position_after(pos: Position, fill: Fill, cost: Decimal, now: datetime) -> Position:
    """Average cost: buy fees go into the average; sells realise (price - avg) * amount - fee."""
    fees = pos.fees_paid + fill.fee
    if fill.side is Side.BUY:
        basis = pos.amount * pos.avg_price + cost + fill.fee
        amount = pos.amount + fill.amount
        avg = AVG_CONTEXT.divide(basis, amount)
        # The average is rounded to 20 digits; the sub-digit remainder of the basis is booked as
        # realised, so no cost ever disappears and the equity identity stays exact.
        residue = basis - avg * amount
        realized = pos.realized_pnl - residue if residue else pos.realized_pnl
        return Position(fill.symbol, amount, avg, realized, fees, now)
    amount = pos.amount - fill.amount
    realized = pos.realized_pnl + (fill.price - pos.avg_price) * fill.amount - fill.fee
    return Position(fill.symbol, amount, pos.avg_price if amount else ZERO, realized, fees, now)
