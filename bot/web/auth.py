"""Who is at the browser: localhost opens as the owner; anywhere else a single-use login link (`zyn web-login`)
sets an HttpOnly, SameSite=Strict session cookie. Every state-changing request carries the session's CSRF token.

Only keyed hashes of login tokens and session ids are stored (memory/web_store.py), so a copy of the database
opens nothing. Failed logins are throttled per client address and logged (never the token).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import socket
import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from loguru import logger

from tools.gate import Role
from trading.clock import Clock
from trading.errors import ConfigError

_log = logger.bind(component="web")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
COOKIE = "zyn_session"
CSRF_HEADER = "x-csrf-token"
LOGIN_TTL = timedelta(minutes=5)
MIN_SECRET = 32
FAILS_ALLOWED = 5  # failed logins per address within FAIL_WINDOW before it must wait
FAIL_WINDOW = 300.0  # seconds
_LOCAL_KEY = b"zyn-web-local"  # keys the hashes when no secret is set (localhost only)


def is_local(host: str) -> bool:
    """Whether a bind address is this machine only."""
    return host.strip().lower().strip("[]") in LOCAL_HOSTS or host.startswith("127.")


def needs_login(settings: Any) -> bool:
    """Whether a visitor must sign in: always beyond localhost, and on localhost when ZYN_WEB_LOGIN=1."""
    return not is_local(settings.web_host) or bool(getattr(settings, "web_login", False))


def check_bind(settings: Any) -> None:
    """Refuse a web bound beyond localhost (or asked to need a login) unless a login secret is configured."""
    if not needs_login(settings):
        return
    secret = settings.web_secret.get_secret_value() if settings.web_secret else ""
    if len(secret) < MIN_SECRET and is_local(settings.web_host):
        raise ConfigError(f"ZYN_WEB_LOGIN=1 needs ZYN_WEB_SECRET ({MIN_SECRET}+ random characters)")
    if len(secret) < MIN_SECRET:
        raise ConfigError(f"ZYN_WEB_HOST={settings.web_host} is reachable from other machines, so the web needs a "
                          f"login: set ZYN_WEB_SECRET ({MIN_SECRET}+ random characters) and sign in with "
                          "`zyn web-login`, or bind ZYN_WEB_HOST=127.0.0.1 (or ZYN_WEB=0 turns the web off)")


def _key(settings: Any) -> bytes:
    return settings.web_secret.get_secret_value().encode() if settings.web_secret else _LOCAL_KEY


def digest(settings: Any, token: str) -> str:
    """The stored form of a token: HMAC-SHA256 keyed by ZYN_WEB_SECRET."""
    return hmac.new(_key(settings), token.encode(), hashlib.sha256).hexdigest()


def base_url(settings: Any, port: int | None = None, *, public: bool = True) -> str:
    """Where the web answers, as a person types it: ZYN_WEB_PUBLIC_URL when set (a proxy or tunnel in front);
    for a wildcard bind (0.0.0.0, ::) this machine's name, since no browser can open 0.0.0.0 from elsewhere."""
    outside = getattr(settings, "web_public_url", None)
    if public and outside:
        return str(outside)
    host = settings.web_host
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname() or "localhost"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port if port is not None else settings.web_port}"


def secure_cookies(settings: Any) -> bool:
    """Mark the session cookie Secure when the owner reaches the web over https (ZYN_WEB_PUBLIC_URL)."""
    return str(getattr(settings, "web_public_url", None) or "").startswith("https://")


def new_login_link(settings: Any, store: Any, clock: Clock, role: Role = Role.OWNER) -> str:
    """A single-use login link valid for LOGIN_TTL (what `zyn web-login` prints)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    store.add_web_login(digest(settings, token), Role(role).value, at=now, expires_at=now + LOGIN_TTL)
    _log.info("web login link issued for the {} (valid {} minutes)", Role(role).value, LOGIN_TTL.seconds // 60)
    return f"{base_url(settings)}/login/{token}"


@dataclass(frozen=True)
class Visitor:
    """The person behind a request: a role, a chat (their conversation) and the CSRF token; session is None
    for a localhost request that has no cookie yet."""

    role: Role
    chat_id: str
    csrf: str
    session: str | None


class Throttle:
    """At most FAILS_ALLOWED failed logins per address per FAIL_WINDOW seconds."""

    def __init__(self, allowed: int = FAILS_ALLOWED, window: float = FAIL_WINDOW) -> None:
        self.allowed, self.window = allowed, window
        self._fails: dict[str, deque[float]] = {}

    def blocked(self, address: str) -> bool:
        """Whether this address must wait."""
        fails = self._fails.get(address)
        if not fails:
            return False
        now = time.monotonic()
        while fails and now - fails[0] > self.window:
            fails.popleft()
        return len(fails) >= self.allowed

    def failed(self, address: str) -> None:
        """Count one failure."""
        if len(self._fails) > 10_000:
            self._fails.clear()
        self._fails.setdefault(address, deque()).append(time.monotonic())


class Auth:
    """Sessions and logins for one web front end."""

    def __init__(self, settings: Any, store: Any, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.local = not needs_login(settings)  # opens without a login
        self.local_bind = is_local(settings.web_host)  # answers only Host headers naming this machine
        self.ttl = timedelta(hours=settings.web_session_hours)
        self.throttle = Throttle()

    def visitor(self, cookie: str | None) -> Visitor | None:
        """The visitor of a request's session cookie; on localhost a cookie-less request is the owner."""
        if cookie:
            found = self.store.get_web_session(digest(self.settings, cookie), self.clock.now())
            if found is not None:
                return Visitor(Role(found.role), found.chat_id, found.csrf, cookie)
        if self.local:
            return Visitor(Role.OWNER, "", "", None)
        return None

    def open_session(self, role: Role) -> tuple[str, Visitor]:
        """A new session: the cookie value and the visitor."""
        from memory.stores.web import WebSession

        cookie = secrets.token_urlsafe(32)
        chat_id, csrf = secrets.token_hex(8), secrets.token_urlsafe(24)
        now = self.clock.now()
        self.store.add_web_session(digest(self.settings, cookie),
                                   WebSession(role=role.value, chat_id=chat_id, csrf=csrf, expires_at=now + self.ttl),
                                   at=now)
        return cookie, Visitor(role, chat_id, csrf, cookie)

    def login(self, token: str, address: str) -> tuple[str, Visitor] | str:
        """Spend a login link: a new session, or the one-line reason it was refused."""
        if self.throttle.blocked(address):
            _log.warning("web login from {} refused: too many failed attempts", address)
            return "too many failed logins; wait a few minutes"
        role = self.store.use_web_login(digest(self.settings, token), self.clock.now()) if token else None
        if role is None:
            self.throttle.failed(address)
            _log.warning("failed web login from {} (unknown, used or expired link)", address)
            return "this login link is unknown, used or expired; run `zyn web-login` for a new one"
        _log.info("web login from {} as {}", address, role)
        return self.open_session(Role(role))

    def logout(self, cookie: str | None) -> None:
        """End a session."""
        if cookie:
            self.store.drop_web_session(digest(self.settings, cookie))

    def csrf_ok(self, visitor: Visitor, sent: str | None) -> bool:
        """Whether a state-changing request carries its session's CSRF token."""
        return bool(visitor.session and visitor.csrf and sent and hmac.compare_digest(visitor.csrf, sent))

    def cookie_args(self) -> dict[str, Any]:
        """How the session cookie is set: HttpOnly, SameSite=Strict, for the session's lifetime."""
        return {"key": COOKIE, "httponly": True, "samesite": "strict", "max_age": int(self.ttl.total_seconds()),
                "path": "/", "secure": secure_cookies(self.settings)}


def login_message(settings: Any, store: Any, clock: Clock, *, viewer: bool = False) -> str:
    """A fresh single-use login link with how long it works (`zyn web-login`, /weblogin in a private chat)."""
    link = new_login_link(settings, store, clock, Role.VIEWER if viewer else Role.OWNER)
    who = "read-only viewer" if viewer else "owner"
    return (f"{link}\nOpen it within {LOGIN_TTL.seconds // 60} minutes to sign in as the {who}; it works once. "
            f"No token stays in the address bar after that.")
