"""LIVE orders whose outcome is unknown: kept as an intent to settle by client id, and said so to the person.

Never a plain failure: the order may exist on Kraken. The intent (client id, pair, side, amount, price, who
asked, when) goes into the LIVE database; the service's reconcile job (trading/exchange/kraken/unresolved.py)
looks it up by its client id every minute and at start-up and tells the person how it ended.
"""

from __future__ import annotations

from dataclasses import dataclass

from loguru import logger

from tools.context import ToolContext
from trading.errors import OrderOutcomeUnknownError
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


def keep_unknown(ctx: ToolContext, exc: OrderOutcomeUnknownError, *, bracket: bool) -> OrderUnknownResult:
    """Journal the intent behind an OrderOutcomeUnknownError and say so (never raises)."""
    intent = OrderIntentRecord(client_id=exc.client_id, symbol=exc.symbol, side=exc.side, order_type=exc.order_type,
                               amount=exc.amount, price=exc.price, bracket=bracket, asked_by=ctx.actor,
                               asked_at=ctx.clock.now(), note=exc.message)
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
