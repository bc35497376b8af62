"""Tables of the web front end: single-use login links and sessions, stored only as keyed hashes."""

# No `from __future__ import annotations` here: SQLModel reads the field annotations at class creation.
from datetime import datetime

from sqlmodel import Field, SQLModel

from memory.tables.ledger import UTCDateTime, when


class WebLoginRow(SQLModel, table=True):
    """A login link `zyn web-login` printed: the hash of its token, the role it grants, expiry, when used."""

    __tablename__ = "web_logins"

    token_hash: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=20)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = when(nullable=True)


class WebSessionRow(SQLModel, table=True):
    """A browser session: the hash of its cookie, its role, its chat, its CSRF token and expiry."""

    __tablename__ = "web_sessions"

    id_hash: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=20)
    chat_id: str = Field(max_length=40)
    csrf: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
