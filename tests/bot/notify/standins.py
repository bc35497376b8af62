"""Local stand-ins for the alert channels on 127.0.0.1: a webhook receiver, a Twilio-like SMS API, an SMTP server.

Each is strict: an unknown path, a missing field or wrong credentials is refused, so gaps fail loudly.
"""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOOK_TOKEN = "hook-token-5b1e0c9a7f3d"
SMS_SID = "AC0123456789abcdef0123456789abcdef"
SMS_TOKEN = "twilio-auth-token-9f8e7d6c5b4a"
SMTP_USER = "alerts@zyn.test"
SMTP_PASSWORD = "smtp-pass-3c2b1a0f9e8d"


def free_port() -> int:
    """A port nobody listens on right now (aiosmtpd cannot bind port 0; closed-port tests use it as is)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """An aiohttp app on 127.0.0.1 with a free port, as an async context manager."""

    def __init__(self) -> None:
        self.app = web.Application()
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> Any:
        self._runner = web.AppRunner(self.app, access_log=None)  # the stand-in is not under test: no access log
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class WebhookReceiver(_Server):
    """POST /hook/<token> with a JSON body. `statuses` are answered first, in order, then 200; `delay` slows it."""

    def __init__(self, *, statuses: list[int] | None = None, delay: float = 0.0,
                 retry_after: str | None = None) -> None:
        super().__init__()
        self.statuses = list(statuses or [])
        self.delay = delay
        self.retry_after = retry_after
        self.received: list[dict[str, Any]] = []  # bodies answered 2xx
        self.requests = 0
        self._release = asyncio.Event()
        self.app.router.add_post("/hook/{token}", self._hook)

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()
        await super().__aexit__(*exc)

    @property
    def url(self) -> str:
        return f"{self.base}/hook/{HOOK_TOKEN}"

    async def _hook(self, request: web.Request) -> web.Response:
        self.requests += 1
        if request.match_info["token"] != HOOK_TOKEN:
            return web.json_response({"error": "unknown hook"}, status=404)
        if request.content_type != "application/json":
            return web.json_response({"error": "JSON only"}, status=415)
        body = await request.json()
        if self.delay:  # a slow receiver; leaving the context releases whoever still waits
            try:
                await asyncio.wait_for(self._release.wait(), self.delay)
            except TimeoutError:
                pass
        if self.statuses:
            status = self.statuses.pop(0)
            headers = {"Retry-After": self.retry_after} if self.retry_after and status == 429 else {}
            return web.json_response({"error": f"status {status}"}, status=status, headers=headers)
        missing = {"kind", "title", "text", "at", "silent"} - set(body)
        if missing:
            return web.json_response({"error": f"missing {sorted(missing)}"}, status=400)
        self.received.append(body)
        return web.json_response({"ok": True})


class TwilioStandin(_Server):
    """POST /2010-04-01/Accounts/{sid}/Messages.json, basic auth sid:token, form From/To/Body; answers 201.

    `throttle` first answers are 429 with a Retry-After header, as Twilio does under rate limits.
    """

    def __init__(self, *, throttle: int = 0, retry_after: str = "2", fail_to: set[str] | None = None) -> None:
        super().__init__()
        self.throttle = throttle
        self.retry_after = retry_after
        self.fail_to = fail_to or set()  # numbers answered 400 (invalid number)
        self.messages: list[dict[str, str]] = []
        self.requests = 0
        self.app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._messages)

    async def _messages(self, request: web.Request) -> web.Response:
        self.requests += 1
        sid = request.match_info["sid"]
        expected = "Basic " + base64.b64encode(f"{SMS_SID}:{SMS_TOKEN}".encode()).decode()
        if sid != SMS_SID or request.headers.get("Authorization") != expected:
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        if request.content_type != "application/x-www-form-urlencoded":
            return web.json_response({"code": 20001, "message": "form body expected"}, status=400)
        form = await request.post()
        for name in ("From", "To", "Body"):
            if not form.get(name):
                return web.json_response({"code": 21604, "message": f"A '{name}' is required."}, status=400)
        if len(str(form["Body"])) > 1600:
            return web.json_response({"code": 21617, "message": "The concatenated message body exceeds the "
                                      "1600 character limit."}, status=400)
        if self.throttle > 0:
            self.throttle -= 1
            return web.json_response({"code": 20429, "message": "Too Many Requests"}, status=429,
                                     headers={"Retry-After": self.retry_after})
        if form["To"] in self.fail_to:
            return web.json_response({"code": 21211, "message": f"The 'To' number {form['To']} is not a valid "
                                      "phone number."}, status=400)
        message = {k: str(v) for k, v in form.items()}
        self.messages.append(message)
        return web.json_response({"sid": f"SM{len(self.messages):032d}", "status": "queued", "to": message["To"],
                                  "from": message["From"], "body": message["Body"]}, status=201)


@dataclass
class Mailbox:
    """What the SMTP stand-in received."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(*, password: str = SMTP_PASSWORD) -> Iterator[tuple[int, Mailbox]]:
    """aiosmtpd on 127.0.0.1 requiring AUTH over plain TCP (no STARTTLS); yields (port, mailbox)."""
    box = Mailbox()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == SMTP_USER
              and auth_data.password.decode() == password)
        if ok:
            box.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)

    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_required=True,
                            auth_require_tls=False)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()
