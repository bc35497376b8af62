"""A running Zyn web front end for tests and the bench: the service's own composition (build_runtime, the gate,
the offline agent) on the offline replay feed with a manual clock, uvicorn on a free 127.0.0.1 port, and an
httpx client speaking real HTTP to it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.app import build_agent, build_gate
from bot.frontend import FrontEndContext
from bot.service import Runtime, build_runtime
from bot.settings import Settings, load_settings
from bot.web.app import WebFrontEnd
from bot.web.auth import new_login_link
from tools.gate import Role
from trading.autopilot.engine import TickReport
from trading.clock import ManualClock

NOW = datetime(2024, 5, 6, 14, 7, tzinfo=UTC)
SECRET = "test-secret-" + "x" * 40
ORDER_CONFIRMS = "place_order,place_bracket_order,cancel_order,flatten_all,cancel_all,kill_switch_reset"


@dataclass
class Harness:
    front: WebFrontEnd
    runtime: Runtime
    clock: ManualClock
    settings: Settings
    http: httpx.AsyncClient  # no cookies of its own: each test says which session it is

    @property
    def url(self) -> str:
        return self.front.url

    @property
    def db(self) -> Any:
        return self.runtime.services.db

    @property
    def exchange(self) -> Any:
        return self.runtime.services.exchange

    def client(self, **kw: Any) -> httpx.AsyncClient:
        """A new client (its own cookie jar) for this server."""
        return httpx.AsyncClient(base_url=self.url, timeout=20, **kw)

    async def owner(self) -> tuple[httpx.AsyncClient, str]:
        """An owner session on localhost: the first page sets its cookie; returns the client and CSRF token."""
        c = self.client()
        page = await c.get("/")
        assert page.status_code == 200, page.text
        return c, csrf_of(page.text)

    async def login(self, role: Role = Role.OWNER) -> tuple[httpx.AsyncClient, str]:
        """A session through a login link (as `zyn web-login` prints it)."""
        c = self.client()
        token = self.link(role).rsplit("/", 1)[1]
        r = await c.post("/login", content=f"token={token}",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 303, r.text
        page = await c.get("/")
        return c, csrf_of(page.text)

    def link(self, role: Role = Role.OWNER) -> str:
        return new_login_link(self.settings, self.db, self.clock, role)

    async def tick(self) -> TickReport:
        """Move the clock to the next candle close (+5 s) and run one autopilot tick, as the scheduler would."""
        now = self.clock.now()
        nxt = now.replace(second=0, microsecond=0) + timedelta(minutes=5 - now.minute % 5, seconds=5)
        self.clock.set(nxt)
        return await self.runtime.autopilot.tick()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]*)"', html)
    assert found, "the page carries its CSRF token"
    return found.group(1)


@asynccontextmanager
async def running(**overrides: Any) -> AsyncIterator[Harness]:
    """Start a PAPER account and its web on a free port; stop everything in any case."""
    clock = ManualClock(NOW)
    settings = load_settings(**{"offline": True, "web_port": 0, "web_host": "127.0.0.1", **overrides})
    runtime = build_runtime(settings, clock=clock)
    services = runtime.services
    gate = build_gate(services)
    agent = build_agent(services, gate)
    services.db.set_autopilot_enabled(True, by="test", at=clock.now())
    front = WebFrontEnd()
    exchange = services.exchange
    ctx = FrontEndContext(gate=gate, agent=agent, clock=clock, settings=settings, owner_name=settings.owner_name,
                          bus=runtime.bus, store=services.db, data_source=lambda: str(exchange.source))
    try:
        await services.feed.load_markets()
        await front.start(ctx)
        async with httpx.AsyncClient(base_url=front.url, timeout=20) as http:
            yield Harness(front=front, runtime=runtime, clock=clock, settings=settings, http=http)
    finally:
        await front.stop()
        await agent.close()
        await services.close()
