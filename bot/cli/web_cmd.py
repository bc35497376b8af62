"""`zyn web-login`: a single-use link into the web dashboard, kept (as a hash) in the mode's database."""

from __future__ import annotations

from typing import Any


def login_link(settings: Any, *, viewer: bool = False) -> str:
    """The link and how long it is valid (the running service accepts it: both use this mode's database)."""
    from bot.web.auth import login_message
    from memory import open_database
    from trading.clock import SystemClock

    url = settings.database_url.get_secret_value() if settings.database_url else None
    db = open_database(settings.mode, settings.data_dir, url)
    try:
        return login_message(settings, db, SystemClock(), viewer=viewer)
    finally:
        db.close()
