"""Login links and web sessions, mixed into Database (the web front end and `zyn web-login` share them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from memory.tables.web import WebLoginRow, WebSessionRow

if TYPE_CHECKING:
    from sqlmodel import Session

MAX_SESSIONS = 500  # the newest ones are kept


@dataclass(frozen=True)
class WebSession:
    role: str
    chat_id: str
    csrf: str
    expires_at: datetime


class WebStoreMixin:
    """Single-use login links and sessions on top of Database.session()."""

    if TYPE_CHECKING:
        def session(self, *, write: bool = False) -> Session: ...

    def add_web_login(self, token_hash: str, role: str, *, at: datetime, expires_at: datetime) -> None:
        """Keep a new login link (its hash only)."""
        with self.session(write=True) as s:
            s.exec(delete(WebLoginRow).where(WebLoginRow.expires_at < at))  # type: ignore[call-overload]
            s.add(WebLoginRow(token_hash=token_hash, role=role, created_at=at, expires_at=expires_at))
            s.commit()

    def use_web_login(self, token_hash: str, at: datetime) -> str | None:
        """Spend a login link once: its role, or None if unknown, used or expired (one atomic update)."""
        with self.session(write=True) as s:
            done = s.connection().execute(
                update(WebLoginRow).where(WebLoginRow.token_hash == token_hash, WebLoginRow.used_at.is_(None),
                                          WebLoginRow.expires_at > at).values(used_at=at)).rowcount
            row = s.get(WebLoginRow, token_hash) if done else None
            s.commit()
            return row.role if row is not None else None

    def add_web_session(self, id_hash: str, session: WebSession, *, at: datetime) -> None:
        """Keep a new session (its hash only); expired ones are dropped."""
        with self.session(write=True) as s:
            s.exec(delete(WebSessionRow).where(WebSessionRow.expires_at < at))  # type: ignore[call-overload]
            s.add(WebSessionRow(id_hash=id_hash, role=session.role, chat_id=session.chat_id, csrf=session.csrf,
                                created_at=at, expires_at=session.expires_at))
            # Bounded: a script hitting localhost without a cookie opens a session per request.
            old = select(WebSessionRow.id_hash).order_by(WebSessionRow.created_at.desc()).offset(MAX_SESSIONS)
            s.exec(delete(WebSessionRow).where(WebSessionRow.id_hash.in_(old)))  # type: ignore[call-overload]
            s.commit()

    def get_web_session(self, id_hash: str, at: datetime) -> WebSession | None:
        """The live session with this hash, or None."""
        with self.session() as s:
            row = s.get(WebSessionRow, id_hash)
        if row is None or row.expires_at <= at:
            return None
        return WebSession(role=row.role, chat_id=row.chat_id, csrf=row.csrf, expires_at=row.expires_at)

    def drop_web_session(self, id_hash: str) -> None:
        """Sign a session out."""
        with self.session(write=True) as s:
            s.exec(delete(WebSessionRow).where(WebSessionRow.id_hash == id_hash))  # type: ignore[call-overload]
            s.commit()
