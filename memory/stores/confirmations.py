"""Pending confirmations, mixed into Database: add, resolve (one conditional UPDATE), list, expire."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from memory.tables.agent import CONFIRMATION_STATUSES, ConfirmationRow
from memory.vocab import ConfirmationRecord, PendingAction

if TYPE_CHECKING:
    from sqlmodel import Session


class ConfirmationStoreMixin:
    """Confirmations on top of Database.session()."""

    if TYPE_CHECKING:
        def session(self, *, write: bool = False) -> Session: ...

    def add_pending(self, action: PendingAction, *, channel: str = "") -> bool:
        """Store a pending action; False if its code is already taken by another pending one."""
        row = ConfirmationRow(code=action.code, tool=action.tool, args=json.dumps(action.args, sort_keys=True),
                              user_id=action.user_id, chat_id=action.chat_id, channel=channel,
                              created_at=action.created_at, expires_at=action.expires_at, status="pending",
                              summary=action.summary, reference_price=action.reference_price,
                              kind=getattr(action, "kind", "") or None)
        try:
            with self.session(write=True) as s:
                # The partial unique index settles races between processes; this check covers databases
                # without partial indexes, where the index is not limited to pending rows.
                taken = s.exec(select(ConfirmationRow.id).where(ConfirmationRow.code == action.code,
                                                                ConfirmationRow.status == "pending")).first()
                if taken is not None:
                    return False
                s.add(row)
                s.commit()
        except IntegrityError:
            return False
        return True

    def get_confirmation(self, code: str) -> ConfirmationRecord | None:
        """The confirmation with this code, whatever its status (the newest, as codes are reused)."""
        query = (select(ConfirmationRow).where(ConfirmationRow.code == code.strip().upper())
                 .order_by(ConfirmationRow.status != "pending", ConfirmationRow.id.desc()).limit(1))
        with self.session() as s:
            row = s.exec(query).first()
        return _record(row) if row is not None else None

    def get_pending(self, code: str) -> ConfirmationRecord | None:
        """The pending confirmation with this code (expired ones included until marked), else None."""
        record = self.get_confirmation(code)
        return record if record is not None and record.status == "pending" else None

    def mark_confirmation(self, code: str, status: str, result_text: str | None = None, *,
                          at: datetime | None = None, unexpired_at: datetime | None = None,
                          user_id: str | None = None, created_at: datetime | None = None) -> bool:
        """Move a pending confirmation to `status`; False if it was no longer pending (or had expired).

        One conditional UPDATE, so of two racing callers (a double press, two processes) exactly one wins.
        user_id and created_at pin the very row that was read, should its short code have been reused since.
        """
        if status not in CONFIRMATION_STATUSES or status == "pending":
            raise ValueError(f"cannot mark a confirmation '{status}'")
        conditions = [ConfirmationRow.code == code.strip().upper(), ConfirmationRow.status == "pending"]
        if unexpired_at is not None:
            conditions.append(ConfirmationRow.expires_at > unexpired_at)
        if user_id is not None:
            conditions.append(ConfirmationRow.user_id == user_id)
        if created_at is not None:
            conditions.append(ConfirmationRow.created_at == created_at)
        values: dict[str, Any] = {"status": status, "resolved_at": at or datetime.now(UTC)}
        if result_text is not None:
            values["result_text"] = result_text
        with self.session(write=True) as s:
            done = s.connection().execute(update(ConfirmationRow).where(*conditions).values(**values)).rowcount
            s.commit()
        return done == 1

    def record_confirmation_result(self, code: str, result_text: str, *, created_at: datetime | None = None
                                   ) -> bool:
        """Attach what happened to the newest resolved confirmation with this code (and creation time)."""
        query = select(ConfirmationRow).where(ConfirmationRow.code == code.strip().upper(),
                                              ConfirmationRow.status != "pending")
        if created_at is not None:
            query = query.where(ConfirmationRow.created_at == created_at)
        with self.session(write=True) as s:
            row = s.exec(query.order_by(ConfirmationRow.id.desc()).limit(1)).first()
            if row is None:
                return False
            row.result_text = result_text
            s.add(row)
            s.commit()
        return True

    def list_pending(self, chat_id: str | None = None, user_id: str | None = None, *,
                     now: datetime | None = None, channel: str | None = None) -> list[ConfirmationRecord]:
        """Pending confirmations, newest first; with `now`, only those not yet expired."""
        query = select(ConfirmationRow).where(ConfirmationRow.status == "pending")
        if chat_id is not None:
            query = query.where(ConfirmationRow.chat_id == chat_id)
        if user_id is not None:
            query = query.where(ConfirmationRow.user_id == user_id)
        if channel is not None:
            query = query.where(ConfirmationRow.channel == channel)
        if now is not None:
            query = query.where(ConfirmationRow.expires_at > now)
        with self.session() as s:
            rows = s.exec(query.order_by(ConfirmationRow.id.desc())).all()
        return [_record(r) for r in rows]

    def expire_confirmations(self, now: datetime) -> int:
        """Mark every pending confirmation past its expiry as expired (frees its code); returns how many."""
        with self.session(write=True) as s:
            done = s.connection().execute(
                update(ConfirmationRow)
                .where(ConfirmationRow.status == "pending", ConfirmationRow.expires_at <= now)
                .values(status="expired", resolved_at=now)).rowcount
            s.commit()
        return done


def _record(row: ConfirmationRow) -> ConfirmationRecord:
    return ConfirmationRecord(code=row.code, tool=row.tool, args=json.loads(row.args), user_id=row.user_id,
                              chat_id=row.chat_id, created_at=row.created_at, expires_at=row.expires_at,
                              summary=row.summary, reference_price=row.reference_price, status=row.status,
                              channel=row.channel, resolved_at=row.resolved_at, result_text=row.result_text,
                              kind=row.kind or "")
