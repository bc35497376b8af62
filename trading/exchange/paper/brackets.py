"""Brackets (an entry with a stop-loss and a take-profit, one cancels the other) and cancellation."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from loguru import logger

from trading.clock import Clock
from trading.domain import (
    Bracket,
    BracketRequest,
    BracketStatus,
    Liquidity,
    Market,
    Order,
    OrderStatus,
    OrderType,
    Side,
    Ticker,
)
from trading.errors import InvalidOrderError
from trading.exchange.paper import checks
from trading.exchange.paper.book import BPS, PaperBook, PaperTerms, derived_id, split_symbol

log = logger.bind(component="paper")
OCO_REASON = "OCO: sibling filled"


class BracketDesk:
    """The bracket and cancel half of PaperExchange (kept apart to keep each module small)."""

    terms: PaperTerms
    _clock: Clock
    _new_id: Callable[[], str]

    # Provided by PaperExchange.
    def _fill(self, work: PaperBook, order: Order, price: Decimal, liquidity: Liquidity, market: Market) -> None:
        raise NotImplementedError

    def _check_client_id(self, work: PaperBook, client_id: str) -> None:
        raise NotImplementedError

    def _place_bracket(self, work: PaperBook, req: BracketRequest, market: Market, ticker: Ticker,
                       auto_adjust: bool) -> Bracket:
        """Validate and add a bracket; a market (or marketable limit) entry fills at once."""
        side = Side(req.side)
        buy = side is Side.BUY
        amount = checks.amount_on_step(req.amount, market, auto_adjust)
        stop = checks.price_on_step("stop price", req.stop_price, market, auto_adjust)
        target = checks.price_on_step("take-profit price", req.take_profit_price, market, auto_adjust)
        limit = (checks.price_on_step("entry price", req.entry_price, market, auto_adjust)
                 if req.entry_price is not None else None)
        touch = ticker.ask if buy else ticker.bid
        if req.post_only:  # a maker entry: it must rest; the exits arm once it fills
            if limit is None:
                raise InvalidOrderError("a post-only bracket needs a limit entry price")
            checks.refuse_taking(side, limit, ticker)
        marketable = limit is None or (limit >= ticker.ask if buy else limit <= ticker.bid)
        reference = touch if marketable else limit
        _check_levels(side, stop, target, reference, ticker, marketable)
        for client_id in (req.client_id, f"{req.client_id}-sl", f"{req.client_id}-tp"):
            self._check_client_id(work, client_id)
        checks.minimums(amount, reference, market)
        checks.minimums(amount, min(stop, target), market, "exit value")
        price = (self.terms.market_price(side, ticker, market) if limit is None else touch) if marketable else limit
        if buy:
            cost = amount * price
            need = cost + self.terms.fee(cost, Liquidity.TAKER) if marketable else self.terms.buy_hold(amount, limit)
            checks.funds(market.quote, need, work.free(market.quote, self.terms))
        else:
            checks.funds(market.base, amount, work.free(market.base, self.terms))
            # The buy-back exits will hold quote once the entry has sold; the sale's proceeds count.
            proceeds = amount * price - self.terms.fee(amount * price, Liquidity.TAKER)
            exit_hold = self.terms.buy_hold(amount, max(stop, target) * (1 + self.terms.slippage_bps / BPS))
            checks.funds(market.quote, exit_hold, work.free(market.quote, self.terms) + proceeds)

        now = self._clock.now()
        entry_id = self._new_id()
        bracket_id = derived_id("B", entry_id)
        entry = Order(id=entry_id, client_id=req.client_id, symbol=market.symbol, side=side,
                      type=OrderType.MARKET if limit is None else OrderType.LIMIT, amount=amount,
                      status=OrderStatus.OPEN, created_at=now, updated_at=now, price=limit, bracket_id=bracket_id,
                      source=req.source, strategy=req.strategy, post_only=bool(req.post_only))
        exits = [Order(id=self._new_id(), client_id=f"{req.client_id}-{tag}", symbol=market.symbol,
                       side=side.opposite, type=otype, amount=amount, status=OrderStatus.PENDING, created_at=now,
                       updated_at=now, stop_price=level, bracket_id=bracket_id, source=req.source,
                       strategy=req.strategy)
                 for tag, otype, level in (("sl", OrderType.STOP_LOSS, stop), ("tp", OrderType.TAKE_PROFIT, target))]
        bracket = Bracket(id=bracket_id, symbol=market.symbol, side=side, entry_order_id=entry_id,
                          stop_order_id=exits[0].id, take_profit_order_id=exits[1].id,
                          status=BracketStatus.PENDING_ENTRY, created_at=now, stop_price=stop,
                          take_profit_price=target, source=req.source, strategy=req.strategy)
        work.put_bracket(bracket)
        for order in (entry, *exits):
            work.put_order(order)
        if marketable:
            self._fill(work, entry, price, Liquidity.TAKER, market)
        return bracket

    def _bracket_filled(self, work: PaperBook, order: Order) -> None:
        """Entry filled: arm the exits. An exit filled: cancel its sibling and close the bracket."""
        bracket = work.brackets.get(order.bracket_id)
        if bracket is None:
            return
        now = self._clock.now()
        exit_ids = [i for i in (bracket.stop_order_id, bracket.take_profit_order_id) if i]
        if order.id != bracket.entry_order_id:
            for sibling in exit_ids:
                if sibling != order.id and sibling in work.orders:
                    work.put_order(work.orders[sibling].evolve(status=OrderStatus.CANCELED, reason=OCO_REASON,
                                                               updated_at=now))
            work.set_bracket_status(bracket, BracketStatus.CLOSED)
            return
        exits = [work.orders[i] for i in exit_ids if i in work.orders]
        if not exits:  # both exits were cancelled while the entry waited
            work.set_bracket_status(bracket, BracketStatus.CANCELED)
            return
        for exit_order in exits:
            work.put_order(exit_order.evolve(status=OrderStatus.OPEN, updated_at=now))
        base, quote = split_symbol(order.symbol)
        asset = base if exits[0].side is Side.SELL else quote
        if work.free(asset, self.terms) < 0:
            reason = f"not enough {asset} to hold the bracket's exits"
            log.warning("paper bracket {} cancelled: {}", bracket.id, reason)
            for exit_order in exits:
                work.put_order(work.orders[exit_order.id].evolve(status=OrderStatus.CANCELED, reason=reason,
                                                                 updated_at=now))
            work.set_bracket_status(bracket, BracketStatus.CANCELED)
            return
        work.set_bracket_status(bracket, BracketStatus.ACTIVE)

    def _cancel(self, work: PaperBook, order: Order, reason: str) -> list[Order]:
        """Cancel an order; a bracket's entry takes its exits (and the bracket) with it."""
        now = self._clock.now()
        done = order.evolve(status=OrderStatus.CANCELED, reason=reason, updated_at=now)
        work.put_order(done)
        out = [done]
        bracket = work.brackets.get(order.bracket_id) if order.bracket_id else None
        if bracket is None:
            return out
        exit_ids = [i for i in (bracket.stop_order_id, bracket.take_profit_order_id) if i]
        if order.id == bracket.entry_order_id:
            for exit_id in exit_ids:
                if exit_id in work.orders:
                    gone = work.orders[exit_id].evolve(status=OrderStatus.CANCELED,
                                                       reason="bracket entry cancelled", updated_at=now)
                    work.put_order(gone)
                    out.append(gone)
            work.set_bracket_status(bracket, BracketStatus.CANCELED)
        elif bracket.status is BracketStatus.ACTIVE and not any(i in work.orders for i in exit_ids):
            work.set_bracket_status(bracket, BracketStatus.CANCELED)
        return out


def _check_levels(side: Side, stop: Decimal, target: Decimal, reference: Decimal, ticker: Ticker,
                  immediate: bool) -> None:
    """Buy: stop < entry < take-profit; sell: the reverse. An immediate entry's stop must not trigger at once."""
    p = checks.plain
    if side is Side.BUY:
        if stop >= reference:
            raise InvalidOrderError(f"stop {p(stop)} must be below the entry price {p(reference)} for a buy bracket")
        if target <= reference:
            raise InvalidOrderError(f"take-profit {p(target)} must be above the entry price {p(reference)} "
                                    "for a buy bracket")
        if immediate and stop >= ticker.bid:
            raise InvalidOrderError(f"stop {p(stop)} is at or above the bid {p(ticker.bid)}; it would trigger at once")
        return
    if stop <= reference:
        raise InvalidOrderError(f"stop {p(stop)} must be above the entry price {p(reference)} for a sell bracket")
    if target >= reference:
        raise InvalidOrderError(f"take-profit {p(target)} must be below the entry price {p(reference)} "
                                "for a sell bracket")
    if immediate and stop <= ticker.ask:
        raise InvalidOrderError(f"stop {p(stop)} is at or below the ask {p(ticker.ask)}; it would trigger at once")
