"""LIVE orders written ahead, and those whose outcome is unknown: kept as an intent to settle by client id.

Before a LIVE order is sent, its intent (client id, pair, side, amount, price, who asked, in which chat, when)
is written to the LIVE database with status "sending" (write_ahead); once Kraken's answer is journaled it is
settled (settle_sent). A process that dies in between leaves it "sending", and the service's reconcile job
(trading/exchange/kraken/unresolved.py) settles it by client id at start-up or within minutes.

Never a plain failure: when the answer is lost the order may exist on Kraken. keep_unknown marks the intent
unknown and says so; the reconcile job looks it up every minute and the service tells the person, in the chat
where they asked, how it ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loguru import logger
from pydantic import Field

from tools.base import Args
from tools.context import ToolContext
from trading.domain import Mode
from trading.errors import ExchangeError, InputError, OrderOutcomeUnknownError
from trading.exchange.kraken.unresolved import GIVE_UP_AFTER, OrderIntentRecord

_log = logger.bind(component="orders")


@dataclass(frozen=True)
class OrderUnknownResult:
    """What place_order answers when Kraken's reply was lost and the order was not found by its client id yet."""

    intent: OrderIntentRecord
    journaled: bool

    def text(self) -> str:
        minutes = int(GIVE_UP_AFTER.total_seconds() // 60)
        kept = ("Zyn is checking Kraken by its client id every minute and will tell you whether it was placed "
                f"(at the latest {minutes} minutes from now)") if self.journaled else \
            "Zyn could not record it to check later: look at your open orders and trades on Kraken"
        return (f"Outcome unknown: Zyn is checking. Kraken did not confirm the order {self.intent.describe()}; "
                f"it may or may not have been placed. {kept}. Do not place it again meanwhile.")


def write_ahead(ctx: ToolContext, *, client_id: str, symbol: str, side: str, order_type: str, amount: object,
                price: object | None, bracket: bool) -> bool:
    """LIVE: record the order's intent before it is sent (True). Nothing to record in PAPER (False). If it cannot
    be recorded the order is not sent: raises ExchangeError."""
    record = getattr(ctx.journal, "record_unresolved", None)
    if ctx.mode is not Mode.LIVE or record is None:
        return False
    intent = OrderIntentRecord(client_id=client_id, symbol=symbol, side=side, order_type=order_type,
                               amount=str(amount), price=None if price is None else str(price), bracket=bracket,
                               asked_by=ctx.actor, asked_at=ctx.clock.now(), status="sending",
                               note="being sent", reply_to=ctx.reply_to, source=ctx.order_source)
    try:
        record(intent)
    except Exception as exc:  # noqa: BLE001 - an order Zyn could not keep track of is not sent
        _log.error("order {} not sent: its intent was not recorded ({})", client_id, type(exc).__name__)
        raise ExchangeError("the order was not sent: Zyn could not record it first (database); try again") from None
    return True


def settle_sent(ctx: ToolContext, client_id: str, *, placed: bool, order_id: str | None = None,
                note: str = "") -> None:
    """The send ended with Kraken's answer (placed and journaled, or refused): the intent is settled, and the
    person has their answer already. A failure here is logged; the reconcile job would settle it later."""
    resolve = getattr(ctx.journal, "resolve_unresolved", None)
    if resolve is None:
        return
    try:
        resolve(client_id, "placed" if placed else "not_placed", at=ctx.clock.now(), order_id=order_id,
                note=(note or ("placed" if placed else "refused"))[:500], told=True)
    except Exception as exc:  # noqa: BLE001 - the order is journaled; the intent is settled by the reconciler
        _log.warning("intent {} not settled after the send: {}", client_id, type(exc).__name__)


def keep_unknown(ctx: ToolContext, exc: OrderOutcomeUnknownError, *, bracket: bool) -> OrderUnknownResult:
    """Journal the intent behind an OrderOutcomeUnknownError (or mark the written-ahead one unknown) and say so
    (never raises)."""
    intent = OrderIntentRecord(client_id=exc.client_id, symbol=exc.symbol, side=exc.side, order_type=exc.order_type,
                               amount=exc.amount, price=exc.price, bracket=bracket, asked_by=ctx.actor,
                               asked_at=ctx.clock.now(), note=exc.message, reply_to=ctx.reply_to,
                               source=ctx.order_source)
    record = getattr(ctx.journal, "record_unresolved", None)
    journaled = False
    if record is not None:
        try:
            record(intent)
            journaled = True
        except Exception as exc2:  # noqa: BLE001 - the person must still hear "outcome unknown"
            _log.error("order {} of unknown outcome not journaled: {}", exc.client_id, type(exc2).__name__)
    _log.warning("order {} asked by {}: outcome unknown, {}", exc.client_id, ctx.actor,
                 "journaled for reconciliation" if journaled else "NOT journaled")
    return OrderUnknownResult(intent, journaled)


class SettleArgs(Args):
    client_id: str | None = Field(None, max_length=100,
                                  description="only this order's client id (default: every unsettled one)")


@dataclass(frozen=True)
class SettleResult:
    """What settle_unknown_orders found: each settled intent with its line, and those still open."""

    resolved: list[tuple[OrderIntentRecord, str]]
    waiting: list[OrderIntentRecord]
    now: datetime

    def text(self) -> str:
        lines = [line for _, line in self.resolved]
        minutes = int(GIVE_UP_AFTER.total_seconds() // 60)
        for intent in self.waiting:
            age = max(0, int((self.now - intent.asked_at).total_seconds() // 60))
            lines.append(f"Still unresolved: your {intent.what()} (client id {intent.client_id}, asked {age} min "
                         f"ago) is not on Kraken yet; it counts as not placed {minutes} minutes after it was asked. "
                         "Run `zyn reconcile` again, or let the running service settle it.")
        return "\n".join(lines) if lines else "No LIVE order of unknown outcome to settle."


async def settle_unknown_orders(ctx: ToolContext, args: SettleArgs) -> SettleResult:
    """LIVE: look every order of unknown outcome (and every stale "sending" one) up on Kraken by its client id and
    settle it, as the service's one-minute job does. A resolution asked from the caller's own chat (or from no
    chat) is marked told: the caller reads it here and the service never tells it again; one asked in another
    chat stays for the service to tell there."""
    from trading.exchange.kraken.unresolved import SEND_WINDOW, UnresolvedOrders

    if ctx.mode is not Mode.LIVE:
        raise InputError("orders of unknown outcome exist only in LIVE mode")
    store = ctx.journal
    if not callable(getattr(store, "unsettled_orders", None)) or not callable(getattr(ctx.exchange, "fetch_order",
                                                                                       None)):
        raise InputError("this LIVE setup keeps no order intents")
    settled = await UnresolvedOrders(ctx.exchange, store, ctx.clock).settle(args.client_id)
    now = ctx.clock.now()
    for intent, _ in settled:
        if intent.reply_to in ("", ctx.reply_to):
            try:
                store.mark_told(intent.client_id, now)
            except Exception as exc:  # noqa: BLE001 - told twice at worst
                _log.warning("order {} not marked told: {}", intent.client_id, type(exc).__name__)
    if args.client_id is not None:
        one = store.unresolved_order(args.client_id)
        waiting = [one] if one is not None and one.status in ("sending", "unknown") else []
    else:
        waiting = store.unsettled_orders(now - SEND_WINDOW)
    return SettleResult(settled, waiting, now)
