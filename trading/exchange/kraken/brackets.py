"""LIVE brackets on Kraken spot: the stop rests on Kraken, the take-profit is watched, one cancels the other.

Kraken spot has no OCO, and an open order holds what it would sell, trigger orders included. A stop
and a take-profit for the same coins therefore cannot both rest: the second is refused for
insufficient funds or, when other coins cover it, both can fill and sell twice. So:

- the stop rests on Kraken: the entry's conditional close (found by its refid, adopted when it covers
  exactly the filled amount) or else Zyn's own stop-loss order, sized to the filled amount (partial
  fills: the stop is replaced as the entry grows);
- the take-profit is watched: on each run (the fill watcher's ~20 s and every tick), once the touch
  reaches the target, Zyn cancels the stop and sells at market. A target touched and left between two
  runs is missed; the stop never is, even while Zyn is down.

State lives in the brackets table (status, leg ids, exit_kind, leg_seq, note). Each leg's client id is
derived from the bracket id (uuid5) and looked up before the leg is placed, so a retry after a timeout
or a restart never places a leg twice. A failure is logged and retried on the next run; reconcile()
never raises. Fills are announced by the autopilot's fill sync only (exit_kind_of labels the market
take-profit), so nothing is announced twice.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from loguru import logger

from trading.clock import Clock
from trading.domain import (
    Bracket,
    BracketStatus,
    Mode,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    Ticker,
    quantize_down,
)
from trading.errors import ModeMismatchError, OrderNotFoundError, ZynError
from trading.events import ProtectionAlert
from trading.exchange.base import ModeStamped, require_mode
from trading.exchange.kraken.protection import Protection

if TYPE_CHECKING:
    from trading.exchange.kraken.journal import JournaledKraken

_log = logger.bind(component="brackets")
_NAMESPACE = uuid.UUID("6f1c2a9e-3b7d-4e55-9a0c-2d8e4b1f7a63")
ORPHAN_AFTER = timedelta(minutes=10)  # a bracket whose entry Kraken never saw is given up after this


class ExitKind(StrEnum):
    STOP_LOSS = "stop-loss"
    TAKE_PROFIT = "take-profit"
    ENTRY_CANCELLED = "entry-cancelled"  # the entry ended (cancelled, expired) before any fill
    STOP_CANCELLED = "stop-cancelled"  # someone cancelled the stop outside Zyn: the bracket is released
    TAKE_PROFIT_FAILED = "take-profit-failed"  # the market exit ended unfilled: the position needs a look
    FLATTENED = "flattened-unprotected"  # no stop could be placed: sold at market (flatten_unprotected)
    EXIT_SIGNAL = "exit-signal"  # the autopilot's strategy closed the position itself


def leg_client_id(bracket_id: str, leg: str, seq: int = 0) -> str:
    """A leg's client id: a UUID derived from the bracket id, the leg ("sl", "tp") and its generation."""
    return str(uuid.uuid5(_NAMESPACE, f"{bracket_id}/{leg}/{seq}"))


class LiveBrackets:
    """Reconciles every active LIVE bracket with Kraken (see the module docstring)."""

    def __init__(self, exchange: JournaledKraken, clock: Clock) -> None:
        self.ex, self.journal, self.clock = exchange, exchange.journal, clock
        self.lock = asyncio.Lock()  # one run at a time; the autopilot's strategy exit takes it too
        self._open: dict[str, Order] = {}
        self._claimed: set[str] = set()  # stops that belong to a bracket already
        self._children: dict[str, list[Order]] | None = None
        self._tickers: dict[str, Ticker] = {}
        self.protection = Protection(clock)
        self._uncovered: dict[str, str] = {}  # bracket id -> what is unprotected, as of the last run

    async def reconcile(self) -> None:
        """One pass over the active brackets; never raises (a failure is logged and retried next run)."""
        async with self.lock:
            try:
                self._guard()
            except ModeMismatchError as exc:
                _log.error("brackets not reconciled: {}", exc.message)
                return
            try:
                active = sorted(self.journal.list_brackets(active_only=True), key=lambda b: b.created_at)
                self._claimed = {b.stop_order_id for b in active if b.stop_order_id}
                if active:
                    await self._load_open_orders()
            except Exception as exc:  # noqa: BLE001 - the scheduler must keep running
                _log.warning("brackets not reconciled: {}; retrying next run", _describe(exc))
                self._uncovered = {"*": f"the stops could not be checked: {_describe(exc)}"}
                return
            self._tickers = {}
            self._uncovered = {}
            for bracket in active:
                try:
                    await self._step(bracket)
                except Exception as exc:  # noqa: BLE001 - one bracket's failure must not stop the others
                    self._failed(bracket, exc)

    def release(self, symbol: str, reason: str) -> None:
        """Stop managing the symbol's active brackets: the caller, holding `lock`, sells the position itself."""
        for b in self.journal.list_brackets(symbol, active_only=True):
            if b.status is BracketStatus.ACTIVE:
                self._close(b, BracketStatus.CLOSED, ExitKind.EXIT_SIGNAL, reason)

    def unprotected(self) -> list[str]:
        """One line per active bracket whose holding the last run left without full stop cover."""
        return list(self._uncovered.values())

    def configure(self, *, retries: int, flatten: bool) -> None:
        """How many failed attempts before the owner is alerted, and whether to sell what cannot be protected."""
        self.protection.retries, self.protection.flatten = retries, flatten

    def drain_alerts(self) -> list[ProtectionAlert]:
        """Protection alerts raised since the last call (the autopilot publishes them)."""
        return self.protection.drain()

    def exit_kind_of(self, order: Order) -> str | None:
        """"take-profit" for a bracket's market take-profit exit (its fills are bracket exits), else None."""
        known = self.journal.get_order(order.id)
        bracket_id = (known.bracket_id if known else None) or order.bracket_id
        if bracket_id and order.client_id == leg_client_id(bracket_id, "tp"):
            return ExitKind.TAKE_PROFIT.value
        return None

    def _guard(self) -> None:
        """Refuse (nothing sent) unless the journal, i.e. the context this reconciler serves, is LIVE like Kraken."""
        mode = self.journal.mode if isinstance(self.journal, ModeStamped) else Mode.LIVE
        require_mode(self.ex, mode, "place or cancel bracket legs")

    # --- one bracket ----------------------------------------------------------------------------

    async def _step(self, b: Bracket) -> None:
        entry = await self._entry(b)
        if entry is None:
            if self.clock.now() - b.created_at > ORPHAN_AFTER:
                self._close(b, BracketStatus.CANCELED, ExitKind.ENTRY_CANCELLED, "the entry never reached Kraken")
            return
        if b.entry_order_id != entry.id:
            b = self._save(b, entry_order_id=entry.id)
        self._journal(entry, b)
        if entry.filled <= 0:
            if not entry.status.is_active:
                self._close(b, BracketStatus.CANCELED, ExitKind.ENTRY_CANCELLED,
                            f"entry {entry.id} {entry.status.value} unfilled")
            return
        if b.exit_kind == ExitKind.TAKE_PROFIT and (b := await self._resume_take_profit(b, entry)) is None:
            return
        b, stop = await self._ensure_stop(b, entry)
        if stop is None:
            return
        if stop.status is OrderStatus.CLOSED:
            entry = await self._cancel_rest_of(b, entry)
            await self._cancel_legs(b, entry, keep=None)  # the other legs would sell coins already sold
            self._close(b, BracketStatus.CLOSED, ExitKind.STOP_LOSS, f"stop {stop.id} filled at {stop.average}")
            return
        if b.status is BracketStatus.PENDING_ENTRY:
            b = self._save(b, status=BracketStatus.ACTIVE)
        if await self._target_reached(b):
            await self._take_profit(b, entry, stop)

    async def _entry(self, b: Bracket) -> Order | None:
        """The entry as Kraken reports it (the journal's copy once it is final); None if Kraken never saw it."""
        if b.entry_order_id in self._open:
            return self._open[b.entry_order_id]
        known = self.journal.get_order(b.entry_order_id) if b.entry_order_id else None
        if known is not None and not known.status.is_active:
            return known
        return await self._find(b.entry_order_id or b.id)

    async def _legs(self, b: Bracket, entry: Order) -> list[Order]:
        """The resting stops that protect this bracket: Kraken's conditional closes of its entry and Zyn's own."""
        ours = {leg_client_id(b.id, "sl", k) for k in range(b.leg_seq + 1)}
        children = {o.id for o in await self._children_of(entry.id)}
        legs = [o for o in self._open.values() if o.status.is_active and o.type is OrderType.STOP_LOSS
                and o.side is b.side.opposite and o.symbol == b.symbol
                and (o.id == b.stop_order_id or o.id in children or o.client_id in ours)]
        if not legs and not entry.status.is_active:
            legs = self._unlinked_close(b, entry)
        return sorted(legs, key=lambda o: o.created_at)

    async def _ensure_stop(self, b: Bracket, entry: Order) -> tuple[Bracket, Order | None]:
        """Stops resting for exactly the filled amount; the bracket's main stop (None: not protected yet).

        Protection only ever grows before it shrinks: a missing part gets a stop of its own (a top-up) while
        what rests stays, because on Kraken spot a resting stop holds its coins and a replacement for the whole
        amount would be refused for insufficient funds. So a partly filled entry keeps Kraken's conditional
        close of each part (several stops that add up), and nothing is cancelled unless it is surplus.
        """
        stop = await self._order(b.stop_order_id) if b.stop_order_id else None
        if stop is not None and stop.status is OrderStatus.CLOSED:
            self._journal(stop, b)
            return b, stop  # the stop-loss exit
        if stop is not None and not stop.status.is_active:  # cancelled or expired outside Zyn: replace it
            self._journal(stop, b)
            _log.warning("bracket {}: stop {} was {} outside Zyn; replacing it", b.id, stop.id, stop.status.value)
            self.protection.notice(b, f"stop {stop.id} ({stop.amount} at {b.stop_price}) was "
                                      f"{stop.status.value} outside Zyn; Zyn is replacing it")
            b = self._save(b, stop_order_id=None, note=f"stop {stop.id} {stop.status.value} outside Zyn: replacing it")
        legs = await self._legs(b, entry)
        covered = sum((o.amount - o.filled for o in legs), Decimal(0))
        gap = entry.filled - covered
        if gap > 0:
            self._uncovered[b.id] = f"{b.symbol}: {gap} of {entry.filled} has no resting stop (bracket {b.id})"
            b, placed, gone = await self._top_up(b, entry, gap, covered)
            if gone:
                return b, None
            if placed is not None:
                legs.append(placed)
        elif gap < 0:
            legs = await self._cancel_surplus(b, entry, legs)
        if not legs:
            return b, None
        main = next((o for o in legs if o.id == b.stop_order_id), None) or max(legs, key=lambda o: o.amount)
        for leg in legs:
            self._journal(leg, b)
        covered = sum((o.amount - o.filled for o in legs), Decimal(0))
        note = (f"protected by stop {main.id} for {main.amount}" if len(legs) == 1
                else f"protected by {len(legs)} stops for {covered}")
        if covered >= entry.filled:
            self._uncovered.pop(b.id, None)
            self.protection.succeeded(b, note)
        if (b.stop_order_id, b.note) != (main.id, note):
            b = self._save(b, stop_order_id=main.id, note=note)
        return b, main

    async def _top_up(self, b: Bracket, entry: Order, gap: Decimal, covered: Decimal
                      ) -> tuple[Bracket, Order | None, bool]:
        """Place a stop for the unprotected `gap`; (bracket, the stop or None, whether the coins are gone)."""
        market = await self.ex.market(b.symbol)
        if gap < market.min_amount:
            if not entry.status.is_active:  # Kraken refuses a stop this small: say so, once
                self.protection.failed(b, f"{gap} {market.base} is below Kraken's minimum for a stop")
            return b, None, False
        held = (await self.ex.fetch_balances()).get(market.base if b.side is Side.BUY else market.quote)
        free = held.free if held is not None else Decimal(0)
        if b.side is Side.BUY and free < gap:
            if covered <= 0 and free < market.min_amount:  # sold outside Zyn: nothing left to protect
                self._close(b, BracketStatus.CANCELED, ExitKind.STOP_CANCELLED,
                            f"the {entry.filled} {market.base} left the account outside Zyn: bracket released")
                self.protection.notice(b, f"the position ({entry.filled} {market.base}) was closed outside Zyn; "
                                          "Zyn no longer manages it", urgent=False)
                self._uncovered.pop(b.id, None)
                return b, None, True
            gap = quantize_down(free, market.amount_step)  # protect what is still here
            if gap < market.min_amount:
                return b, None, False
        client_id = leg_client_id(b.id, "sl", b.leg_seq)
        stop = await self._find(client_id)
        if stop is not None and not stop.status.is_active:  # that generation ended: use a fresh client id
            b = self._save(b, leg_seq=b.leg_seq + 1)
            client_id, stop = leg_client_id(b.id, "sl", b.leg_seq), None
        if stop is not None:
            _log.info("bracket {}: stop {} was already placed (found by client id)", b.id, stop.id)
        else:
            try:
                stop = await self._place(OrderRequest(
                    symbol=b.symbol, side=b.side.opposite, type=OrderType.STOP_LOSS, amount=gap,
                    stop_price=b.stop_price, client_id=client_id), b)
            except ZynError as exc:
                await self._placement_failed(b, gap, market.base, exc)
                raise
            _log.info("bracket {}: placed stop {} {} {} {} at {}", b.id, stop.id, stop.side.value, stop.amount,
                      b.symbol, b.stop_price)
            if not self.protection.is_alerted(b.id):
                self.protection.notice(b, f"Zyn placed stop {stop.id}: {stop.side.value} {stop.amount} at "
                                          f"{b.stop_price}", urgent=False)
        self._open[stop.id] = stop
        b = self._save(b, leg_seq=b.leg_seq + 1, note=f"stop {stop.id} for {stop.amount}")
        return b, stop, False

    async def _placement_failed(self, b: Bracket, gap: Decimal, asset: str, exc: ZynError) -> None:
        """Count a refused or unanswered stop; at the bound the owner is told and, if configured, it is sold."""
        what = f"the stop for {gap} {asset} at {b.stop_price} was refused ({exc.message})"
        if self.protection.failed(b, what) and self.protection.flatten:
            order = await self._place(OrderRequest(symbol=b.symbol, side=b.side.opposite, type=OrderType.MARKET,
                                                   amount=gap, client_id=leg_client_id(b.id, "fl", b.leg_seq)), b)
            self._journal(order, b)
            self.protection.notice(b, f"sold {order.filled or gap} at market (order {order.id}): it could not be "
                                      "protected")
            self._uncovered.pop(b.id, None)
            self._close(b, BracketStatus.CLOSED, ExitKind.FLATTENED, f"no stop could be placed; sold by {order.id}")

    async def _cancel_surplus(self, b: Bracket, entry: Order, legs: list[Order]) -> list[Order]:
        """Cancel stops beyond the filled amount (a late conditional close would sell coins twice), newest first."""
        covered = sum((o.amount - o.filled for o in legs), Decimal(0))
        kept = list(legs)
        for leg in sorted(legs, key=lambda o: o.created_at, reverse=True):
            rest = leg.amount - leg.filled
            if leg.id != b.stop_order_id and covered - rest >= entry.filled:
                ended = await self._cancel(leg)
                self._journal(ended, b)
                covered -= rest
                kept.remove(leg)
                _log.info("bracket {}: cancelled surplus stop {} ({})", b.id, leg.id, leg.amount)
        return kept

    def _unlinked_close(self, b: Bracket, entry: Order) -> list[Order]:
        """Kraken's conditional close if Kraken did not link it (no refid): the one open order of its exact shape."""
        twins = [o for o in self._open.values() if not o.client_id and o.id not in self._claimed
                 and o.symbol == b.symbol and o.side is b.side.opposite and o.type is OrderType.STOP_LOSS
                 and o.stop_price == b.stop_price and o.amount == entry.filled]
        return twins if len(twins) == 1 else []

    async def _cancel_legs(self, b: Bracket, entry: Order, keep: str | None) -> None:
        """Cancel the bracket's resting stops other than `keep` (its exit is under way: they would sell twice)."""
        for leg in await self._legs(b, entry):
            if leg.id != keep:
                ended = await self._cancel(leg)
                self._journal(ended, b)
                _log.info("bracket {}: cancelled stop {} ({})", b.id, leg.id, leg.amount)

    # --- the take-profit ------------------------------------------------------------------------

    async def _target_reached(self, b: Bracket) -> bool:
        if b.take_profit_price is None:
            return False
        ticker = self._tickers.get(b.symbol) or await self.ex.fetch_ticker(b.symbol)
        self._tickers[b.symbol] = ticker
        return ticker.bid >= b.take_profit_price if b.side is Side.BUY else ticker.ask <= b.take_profit_price

    async def _take_profit(self, b: Bracket, entry: Order, stop: Order) -> None:
        _log.info("bracket {}: target {} reached; cancelling stop {} to take profit at market", b.id,
                  b.take_profit_price, stop.id)
        b = self._save(b, exit_kind=ExitKind.TAKE_PROFIT.value, note="target reached: taking profit")
        entry = await self._cancel_rest_of(b, entry, keep=stop.id)
        await self._cancel_legs(b, entry, keep=stop.id)
        stop = await self._cancel(stop)
        self._journal(stop, b)
        if stop.status is OrderStatus.CLOSED:  # the stop filled first
            self._close(b, BracketStatus.CLOSED, ExitKind.STOP_LOSS, f"stop {stop.id} filled at {stop.average}")
            return
        await self._place_take_profit(b, entry.filled)

    async def _place_take_profit(self, b: Bracket, amount: Decimal) -> None:
        client_id = leg_client_id(b.id, "tp")
        order = await self._find(client_id)
        if order is None:
            order = await self._place(OrderRequest(symbol=b.symbol, side=b.side.opposite,
                                                            type=OrderType.MARKET, amount=amount, client_id=client_id), b)
            _log.info("bracket {}: take-profit {} {} {} {} at market", b.id, order.id, order.side.value, amount, b.symbol)
        self._journal(order, b)
        b = self._save(b, take_profit_order_id=order.id)
        if order.status is OrderStatus.CLOSED:
            self._close(b, BracketStatus.CLOSED, ExitKind.TAKE_PROFIT, f"take-profit {order.id} filled at {order.average}")

    async def _resume_take_profit(self, b: Bracket, entry: Order) -> Bracket | None:
        """A take-profit under way: finish it; the bracket back (exit cleared) when the stop must be kept."""
        tp = (await self._order(b.take_profit_order_id) if b.take_profit_order_id
              else await self._find(leg_client_id(b.id, "tp")))
        if tp is not None:
            self._journal(tp, b)
            b = self._save(b, take_profit_order_id=tp.id) if b.take_profit_order_id != tp.id else b
            if tp.status is OrderStatus.CLOSED:
                self._close(b, BracketStatus.CLOSED, ExitKind.TAKE_PROFIT, f"take-profit {tp.id} filled at {tp.average}")
            elif not tp.status.is_active:
                _log.error("bracket {}: take-profit {} ended {} with {} of {} filled; check the position", b.id,
                           tp.id, tp.status.value, tp.filled, tp.amount)
                self._close(b, BracketStatus.CANCELED, ExitKind.TAKE_PROFIT_FAILED,
                            f"take-profit {tp.id} {tp.status.value}, {tp.filled} of {tp.amount} filled")
            return None
        stop = await self._order(b.stop_order_id) if b.stop_order_id else None
        if stop is not None and stop.status is OrderStatus.CLOSED:
            self._close(b, BracketStatus.CLOSED, ExitKind.STOP_LOSS, f"stop {stop.id} filled at {stop.average}")
            return None
        if stop is not None and stop.status.is_active:  # interrupted before the stop was cancelled
            return self._save(b, exit_kind=None, note="take-profit interrupted; stop still working")
        if await self._target_reached(b):
            await self._place_take_profit(b, entry.filled)
            return None
        _log.warning("bracket {}: the price left the target before the sale was sent; restoring the stop", b.id)
        return self._save(b, exit_kind=None, stop_order_id=None, leg_seq=b.leg_seq + 1, note="restoring the stop")

    # --- helpers --------------------------------------------------------------------------------

    async def _load_open_orders(self) -> None:
        rows = await self.ex.open_orders_with_parents()
        self._open = {order.id: order for order, _parent in rows}
        self._children = {}
        for order, parent in rows:
            if parent:
                self._children.setdefault(parent, []).append(order)

    async def _children_of(self, entry_id: str) -> list[Order]:
        """Open orders that Kraken opened for this entry (its conditional closes)."""
        if self._children is None:
            await self._load_open_orders()
        return list((self._children or {}).get(entry_id, []))

    async def _order(self, order_id: str) -> Order:
        """An order by Kraken id: from this run's open orders, else asked for."""
        return self._open[order_id] if order_id in self._open else await self.ex.fetch_order(order_id)

    async def _find(self, order_id: str) -> Order | None:
        """An order by Kraken id or client id, or None when Kraken has none."""
        try:
            return await self._order(order_id)
        except OrderNotFoundError:
            return None

    async def _place(self, request: OrderRequest, b: Bracket) -> Order:
        """Place a leg of a bracket (after the mode check), under the bracket's source and strategy."""
        self._guard()
        return await self.ex.create_order(replace(request, source=b.source, strategy=b.strategy))

    async def _cancel(self, order: Order) -> Order:
        """Cancel an order; the order as it ended (it may have filled or ended meanwhile)."""
        self._guard()
        self._open.pop(order.id, None)
        for siblings in (self._children or {}).values():
            siblings[:] = [o for o in siblings if o.id != order.id]
        try:
            return await self.ex.cancel_order(order.id)
        except OrderNotFoundError:
            return await self.ex.fetch_order(order.id)

    async def _cancel_rest_of(self, b: Bracket, entry: Order, keep: str | None = None) -> Order:
        """Stop a partly filled entry from buying more once the bracket exits; the entry as it ended."""
        if not entry.status.is_active:
            return entry
        _log.info("bracket {}: cancelling the unfilled rest of entry {}", b.id, entry.id)
        ended = await self._cancel(entry)
        self._journal(ended, b)
        self._children = None  # its last fills may have opened more conditional closes
        await self._cancel_legs(b, ended, keep=keep)
        return ended

    def _journal(self, order: Order, b: Bracket) -> None:
        known = self.journal.get_order(order.id)
        source, strategy = (known.source, known.strategy) if known is not None and known.source else (b.source, b.strategy)
        linked = order.evolve(bracket_id=b.id, client_id=order.client_id or order.id,
                              source=order.source or source, strategy=order.strategy or strategy)
        if known != linked:
            self.journal.record_order(linked)

    def _save(self, b: Bracket, **changes: Any) -> Bracket:
        updated = b.evolve(**changes, updated_at=self.clock.now())
        self.journal.save_bracket(updated)
        return updated

    def _close(self, b: Bracket, status: BracketStatus, kind: ExitKind, note: str) -> None:
        self._save(b, status=status, exit_kind=kind.value, note=note)
        _log.info("bracket {} {} {}: {} ({})", b.id, b.symbol, status.value, kind.value, note)

    def _failed(self, b: Bracket, exc: Exception) -> None:
        text = _describe(exc)
        if b.id not in self._uncovered and b.status is BracketStatus.ACTIVE:
            self._uncovered[b.id] = f"{b.symbol}: the stop could not be checked ({text}; bracket {b.id})"
        _log.opt(exception=not isinstance(exc, ZynError)).warning("bracket {}: {}; retrying next run", b.id, text)
        try:
            current = self.journal.get_bracket(b.id) or b
            self._save(current, note=f"retrying: {text}"[:500])
        except Exception as err:  # noqa: BLE001 - the journal itself may be what failed
            _log.warning("bracket {}: note not saved: {}", b.id, err)


def _describe(exc: Exception) -> str:
    return exc.message if isinstance(exc, ZynError) else type(exc).__name__
