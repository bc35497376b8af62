"""Login links and web sessions in the database: single use, expiry, a bounded number of sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memory import open_database
from memory.stores.web import MAX_SESSIONS, WebSession

T0 = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)


def test_a_login_is_spent_once_and_not_after_expiry(tmp_path) -> None:  # noqa: ANN001
    db = open_database("paper", tmp_path)
    try:
        db.add_web_login("a" * 64, "owner", at=T0, expires_at=T0 + timedelta(minutes=5))
        db.add_web_login("b" * 64, "viewer", at=T0, expires_at=T0 + timedelta(minutes=5))
        assert db.use_web_login("a" * 64, T0 + timedelta(minutes=1)) == "owner"
        assert db.use_web_login("a" * 64, T0 + timedelta(minutes=1)) is None
        assert db.use_web_login("b" * 64, T0 + timedelta(minutes=5)) is None  # expired
        assert db.use_web_login("c" * 64, T0) is None
    finally:
        db.close()


def test_sessions_expire_and_stay_bounded(tmp_path) -> None:  # noqa: ANN001
    db = open_database("paper", tmp_path)
    try:
        for i in range(MAX_SESSIONS + 3):
            at = T0 + timedelta(seconds=i)
            db.add_web_session(f"{i:064d}", WebSession("owner", f"c{i}", "t", at + timedelta(hours=1)), at=at)
        assert db.get_web_session(f"{0:064d}", T0) is None  # the oldest went
        newest = f"{MAX_SESSIONS + 2:064d}"
        assert db.get_web_session(newest, T0).chat_id == f"c{MAX_SESSIONS + 2}"
        assert db.get_web_session(newest, T0 + timedelta(hours=2)) is None  # expired
        db.drop_web_session(newest)
        assert db.get_web_session(newest, T0) is None
    finally:
        db.close()
