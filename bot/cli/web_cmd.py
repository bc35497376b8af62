"""`zyn web-login`: a single-use link into the web dashboard, kept (as a hash) in the mode's database."""

from __future__ import annotations

from typing import Any


def login_link(settings: Any, *, viewer: bool = False) -> str:
    """The link and how long it is valid (the running service accepts it: both use this mode's database)."""
    from bot.web.auth import LOGIN_TTL, new_login_link
    from memory import open_database
    from tools.gate import Role
    from trading.clock import SystemClock

    url = settings.database_url.get_secret_value() if settings.database_url else None
    db = open_database(settings.mode, settings.data_dir, url)
    try:
        link = new_login_link(settings, db, SystemClock(), Role.VIEWER if viewer else Role.OWNER)
    finally:
        db.close()
    who = "read-only viewer" if viewer else "owner"
    return (f"{link}\nOpen it within {LOGIN_TTL.seconds // 60} minutes to sign in as the {who}; it works once. "
            f"No token stays in the address bar after that.")
