"""reconcile_journal: make the LIVE journal complete against Kraken's own trade and order history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from pydantic import Field

from tools.base import Args
from tools.context import ToolContext
from tools.results import amount_str
from trading.domain import Mode
from trading.errors import InputError

DEFAULT_WINDOW = timedelta(days=7)  # `zyn reconcile` without --since, at start-up and daily


@runtime_checkable
class JournalReconciler(Protocol):
    """A LIVE exchange whose journal can be reconciled (trading.exchange.kraken.journal.JournaledKraken)."""

    async def reconcile(self, since: datetime) -> Any: ...


class ReconcileArgs(Args):
    since: dt.date | datetime | None = Field(None, description="a UTC day (YYYY-MM-DD) or time; default: 7 days ago")


@dataclass(frozen=True)
class ReconcileResult:
    report: Any  # trading.exchange.kraken.reconcile.ReconcileReport

    def text(self) -> str:
        r = self.report
        head = (f"LIVE journal vs Kraken, {r.since:%Y-%m-%d %H:%M} to {r.until:%Y-%m-%d %H:%M} UTC: "
                f"{r.kraken_trades} trade(s), {r.kraken_orders} order(s) on Kraken.")
        if r.clean:
            return f"{head}\nNothing missing, nothing different."
        lines = [head]
        if r.imported:
            lines.append(f"Imported {len(r.imported)} missing fill(s):")
            lines += [f"- {f.id}: {f.side.value} {amount_str(f.amount)} {f.symbol} @ {amount_str(f.price)}, "
                      f"{f.timestamp:%Y-%m-%d %H:%M} UTC, order {f.order_id} (source {f.source or 'unrecorded'})"
                      for f in r.imported]
        if r.orders_imported:
            lines.append(f"Imported {len(r.orders_imported)} missing order(s):")
            lines += [f"- {o.id}: {o.side.value} {amount_str(o.amount)} {o.symbol} {o.type.value}, {o.status.value}"
                      for o in r.orders_imported]
        if r.differences:
            lines.append(f"{len(r.differences)} difference(s):")
            lines += [f"- {d.kind} {d.ref}: {d.detail}" for d in r.differences]
        return "\n".join(lines)


async def reconcile_journal(ctx: ToolContext, args: ReconcileArgs) -> ReconcileResult:
    """Compare Kraken's trades and orders since a day with the journal, import what is missing, report the rest."""
    if ctx.mode is not Mode.LIVE:
        raise InputError("reconcile compares the LIVE journal with Kraken; in PAPER the simulator's ledger is the "
                         "only record")
    exchange = ctx.orders_exchange("reconcile the journal")  # refused unless the exchange is of this mode
    if not isinstance(exchange, JournalReconciler):
        raise InputError("this exchange keeps no journal to reconcile")
    now = ctx.clock.now()
    since = _start(args.since, now)
    if since >= now:
        raise InputError(f"{since:%Y-%m-%d %H:%M} UTC is not in the past")
    return ReconcileResult(await exchange.reconcile(since))


def _start(value: dt.date | datetime | None, now: datetime) -> datetime:
    if value is None:
        return now - DEFAULT_WINDOW
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)
