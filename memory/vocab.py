"""Memory's plain records and vocabularies, without the database layer: importing them stays cheap (the CLI's
start-up, the gate's types, the alert settings' names). The stores re-export them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# The database's schema (memory.db stamps and upgrades it; memory.quick reads a file of it without SQLAlchemy).
# 2: brackets gained exit_kind, leg_seq, note, updated_at (added to older files by memory.db's migration).
# 3: orders, fills and brackets gained source and strategy (who placed them); confirmations gained kind;
#    indexes for reads by window (memory/tables/pnl.py: fills by time, orders by status and time) and the
#    fills' cost chain (new tables, filled from the fills at the upgrade).
# 4: an index of brackets by entry order (the source lookup of orders and fills written without one);
#    unresolved_orders gained reply_to, source and told_at (LIVE orders written ahead, the asker told);
#    orders gained post_only (a maker limit: PAPER fills it only when price trades through it).
# 5: autopilot_intents gained limit_price and stop_price (a maker entry's planned risk while it rests).
SCHEMA_VERSION = 5

ALERT_KINDS = ("fill", "bracket_exit", "kill_switch", "autopilot_error", "daily_report", "watchdog",
               "protection", "profit_target")
ALERT_CHANNELS = ("telegram", "discord", "webhook", "email", "sms")
DELIVERIES = ("on", "silent", "off")
# SMS is for urgent things: a reached profit target (good news, nothing to do) stays off there too.
DEFAULT_OFF = frozenset({("autopilot_error", "sms"), ("daily_report", "sms"), ("watchdog", "sms"),
                         ("profit_target", "sms")})


def default_delivery(kind: str, channel: str) -> str:
    """The delivery of a (kind, channel) pair nobody has set."""
    return "off" if (kind, channel) in DEFAULT_OFF else "on"


@dataclass(frozen=True)
class PendingAction:
    """A state-changing call waiting for its requester's confirmation (declared once, here; tools.gate uses it)."""

    code: str  # short, e.g. "K7Q2"
    tool: str
    args: dict[str, Any]
    user_id: str
    chat_id: str
    created_at: datetime
    expires_at: datetime
    summary: str  # what will happen, in words
    reference_price: str | None = None  # price when asked (re-checked at execution), an exact Decimal string
    kind: str = ""  # how it was asked (tools.gate CallerKind: text, model, command, cli): the order's source


@dataclass(frozen=True)
class ConfirmationRecord(PendingAction):
    """A stored confirmation: the pending action plus where it stands."""

    status: str = "pending"
    channel: str = ""
    resolved_at: datetime | None = None
    result_text: str | None = None

    def action(self) -> PendingAction:
        """Just the pending action."""
        return PendingAction(code=self.code, tool=self.tool, args=dict(self.args), user_id=self.user_id,
                             chat_id=self.chat_id, created_at=self.created_at, expires_at=self.expires_at,
                             summary=self.summary, reference_price=self.reference_price, kind=self.kind)
