"""Pending confirmations: bound to the asking user and chat, the exact arguments, a short code and an expiry."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from memory.vocab import ConfirmationRecord
from tools.gate.types import Caller, PendingAction, ToolCall
from trading.clock import Clock
from trading.errors import InputError

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud or typed on a phone, unambiguous
CODE_LENGTH = 4
_ATTEMPTS = 50  # 32**4 codes: a free one is found at once unless ~a million are pending


class ConfirmationStore(Protocol):
    """What Confirmations needs from the database (memory.stores.confirmations.ConfirmationStoreMixin)."""

    def add_pending(self, action: Any, *, channel: str = "") -> bool: ...

    def get_confirmation(self, code: str) -> Any: ...

    def mark_confirmation(self, code: str, status: str, result_text: str | None = None, *, at: Any = None,
                          unexpired_at: Any = None, user_id: str | None = None, created_at: Any = None) -> bool: ...

    def record_confirmation_result(self, code: str, result_text: str, *, created_at: Any = None) -> bool: ...

    def list_pending(self, chat_id: str | None = None, user_id: str | None = None, *,
                     now: Any = None, channel: str | None = None) -> list[ConfirmationRecord]: ...

    def expire_confirmations(self, now: Any) -> int: ...


def normalize_code(code: str) -> str:
    """A code as the user typed it, upper-cased and trimmed ("/confirm k7q2" works)."""
    return code.strip().upper()


def price_moved(reference: str | None, current: Decimal | None, tolerance: Decimal) -> bool:
    """Whether the price moved by more than `tolerance` (a fraction) since the reference."""
    if reference is None or current is None:
        return False
    try:
        ref = Decimal(reference)
    except InvalidOperation:
        return True  # an unreadable reference cannot vouch for the price: ask again
    if not ref.is_finite() or ref <= 0:
        return True
    return abs(current - ref) / ref > tolerance


class Confirmations:
    """Create, resolve and cancel pending actions; every bit of state lives in the store (survives restarts)."""

    def __init__(self, store: ConfirmationStore, clock: Clock, *, ttl: timedelta = timedelta(minutes=2),
                 price_tolerance: Decimal = Decimal("0.01")) -> None:
        if ttl <= timedelta(0):
            raise ValueError("a confirmation's time to live must be positive")
        self.store = store
        self.clock = clock
        self.ttl = ttl
        self.price_tolerance = Decimal(str(price_tolerance))

    def create(self, caller: Caller, call: ToolCall, summary: str, reference_price: Decimal | str | None,
               kind: str = "") -> PendingAction:
        """Store a new pending action for this caller and return it (with a fresh, unused code)."""
        now = self.clock.now()
        self.store.expire_confirmations(now)  # frees the codes of expired ones
        ref = None if reference_price is None else str(reference_price)
        for _ in range(_ATTEMPTS):
            action = PendingAction(code=_new_code(), tool=call.name, args=dict(call.args), user_id=caller.user_id,
                                   chat_id=caller.chat_id, created_at=now, expires_at=now + self.ttl,
                                   summary=summary, reference_price=ref, kind=kind)
            if self.store.add_pending(action, channel=caller.channel):
                return action
        raise InputError("too many confirmations are pending; cancel some and try again")

    def resolve(self, caller: Caller, code: str) -> PendingAction:
        """The caller's own live pending action with this code, or an InputError saying why not."""
        return self._live(self._own(caller, code, "confirm"))

    def claim(self, action: PendingAction) -> None:
        """Mark it executed before it runs: of two racing confirmations only one gets past this."""
        now = self.clock.now()
        if not self._mark(action, "executed", unexpired_at=now):
            record = self.store.get_confirmation(action.code)
            if record is not None and record.status == "pending":  # still pending, so it expired meanwhile
                self._mark(action, "expired")
                raise InputError("that confirmation expired; ask again")
            raise InputError(_why_not_pending(record.status if record is not None else "executed"))

    def record_result(self, action: PendingAction, text: str) -> None:
        """Keep what the executed action returned, for the audit trail."""
        self.store.record_confirmation_result(action.code, text[:4000], created_at=action.created_at)

    def refuse(self, action: PendingAction, reason: str) -> bool:
        """Refuse a pending action for good (e.g. the caller may no longer run it); False if already handled."""
        return self._mark(action, "refused", reason)

    def refuse_stale(self, caller: Caller, action: PendingAction, current_price: Decimal, summary: str
                     ) -> PendingAction:
        """Refuse a confirmation whose price moved and ask again: a new pending at the new price."""
        if not self._mark(action, "refused", f"price moved from {action.reference_price} to {current_price}"):
            raise InputError("already handled")
        return self.create(caller, ToolCall(name=action.tool, args=dict(action.args)), summary, current_price,
                           action.kind)

    def cancel(self, caller: Caller, code: str | None = None) -> PendingAction:
        """Cancel that code, or the caller's newest pending action in this chat."""
        if code is None:
            mine = self.pending_for(caller)
            if not mine:
                raise InputError("nothing is waiting for your confirmation")
            action = mine[0]
        else:
            action = self._live(self._own(caller, code, "cancel"))
        if not self._mark(action, "cancelled", "cancelled by the user"):
            raise InputError("already handled")
        return action

    def pending_for(self, caller: Caller) -> list[PendingAction]:
        """The caller's live pending actions in this chat, newest first."""
        return [_action(r) for r in self.store.list_pending(caller.chat_id, caller.user_id, now=self.clock.now(),
                                                             channel=caller.channel)]

    def is_stale(self, action: PendingAction, current_price: Decimal | None) -> bool:
        """Whether the price moved beyond the tolerance since the action was asked."""
        return price_moved(action.reference_price, current_price, self.price_tolerance)

    def _own(self, caller: Caller, code: str, verb: str) -> ConfirmationRecord:
        wanted = normalize_code(code or "")
        record = self.store.get_confirmation(wanted) if wanted else None
        if record is None:
            raise InputError(f"no confirmation has the code {wanted or '(none)'}")
        # A user id is only unique within one front end, and a pending action belongs to one chat.
        if (record.user_id, record.channel or caller.channel) != (caller.user_id, caller.channel):
            raise InputError(f"only the person who asked can {verb} it")
        if record.chat_id != caller.chat_id:
            raise InputError(f"{verb} it in the chat where you asked")
        return record

    def _live(self, record: ConfirmationRecord) -> PendingAction:
        """The record as a PendingAction if it is still pending and unexpired; else why not."""
        if record.status != "pending":
            raise InputError(_why_not_pending(record.status))
        action = _action(record)
        if self.clock.now() >= record.expires_at:
            self._mark(action, "expired")
            raise InputError("that confirmation expired; ask again")
        return action

    def _mark(self, action: PendingAction, status: str, note: str | None = None, *, unexpired_at: Any = None
              ) -> bool:
        return self.store.mark_confirmation(action.code, status, note, at=self.clock.now(), unexpired_at=unexpired_at,
                                            user_id=action.user_id, created_at=action.created_at)


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def _why_not_pending(status: str) -> str:
    return {"executed": "already confirmed", "expired": "that confirmation expired; ask again",
            "cancelled": "that confirmation was cancelled", "refused": "already handled"}.get(status, "already handled")


def _action(record: ConfirmationRecord) -> PendingAction:
    return record.action()
