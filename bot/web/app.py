"""The web front end (a FrontEnd, bot/frontend.py): uvicorn serving the FastAPI app as a task of the service's
one event loop (no second loop, no thread). The socket is bound here, so a port in use fails start() at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Generator
from typing import Any

import uvicorn
from loguru import logger

from bot.access import Access
from bot.frontend import FrontEndContext
from bot.web.api import Web, create_app
from bot.web.auth import Auth, base_url, check_bind
from bot.web.live import Hub
from bot.web.views import state_fingerprint
from trading.errors import ConfigError

_log = logger.bind(component="web")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the service owns Ctrl-C and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    def install_signal_handlers(self) -> None:  # uvicorn < 0.29
        return None


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit it: a response written in pieces (headers, body) is not held back
        # ~40 ms by Nagle's algorithm waiting for the client's delayed ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class WebFrontEnd:
    """The dashboard, the web chat and the JSON API on ZYN_WEB_HOST:ZYN_WEB_PORT (127.0.0.1:5000)."""

    name = "web"
    carries_alerts = False  # the page shows events live; alerts and reports go through the chat channels

    def __init__(self) -> None:
        self.server: _Server | None = None
        self.task: asyncio.Task[None] | None = None
        self.web: Web | None = None
        self.url = ""
        self.port: int | None = None

    @property
    def app(self) -> Any:
        return self.server.config.app if self.server is not None else None

    async def start(self, ctx: FrontEndContext) -> None:
        """Bind, build the app and serve it in this loop."""
        if self.server is not None:
            raise RuntimeError("the web front end is already running")
        settings = ctx.settings
        check_bind(settings)
        if ctx.store is None:
            raise ConfigError("the web needs the mode's database")
        sock = bind(settings.web_host, settings.web_port)
        store = ctx.store
        hub = Hub(ctx.bus, lambda: state_fingerprint(store))
        web = Web(ctx=ctx, desk=ctx.desk(Access("web", None)), auth=Auth(settings, store, ctx.clock), hub=hub,
                  started=ctx.clock.now())
        config = uvicorn.Config(create_app(web), log_config=None, access_log=False, lifespan="off",
                                timeout_graceful_shutdown=3, server_header=False, proxy_headers=False)
        server = _Server(config)
        self.port = sock.getsockname()[1]
        self.url = base_url(settings, self.port, public=False)  # where this server answers
        self.task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]), name="web-server")
        for _ in range(200):  # up to 2 s for uvicorn to start listening
            if server.started or self.task.done():
                break
            await asyncio.sleep(0.01)
        if self.task.done():
            sock.close()
            exc = self.task.exception()
            self.task = None
            raise RuntimeError(f"the web server stopped at start ({type(exc).__name__ if exc else 'exit'})")
        self.server, self.web = server, web
        hub.start()
        reached = f", reached as {settings.web_public_url}" if settings.web_public_url else ""
        _log.info("web dashboard at {}{} ({})", self.url, reached,
                  "local, no login" if web.auth.local else "login required")

    async def tell(self, chat_id: str, text: str) -> None:
        """A late answer to a web chat: kept in that session's conversation, so its page shows it (the live feed
        shows the event to every open page already; the local no-login chat keeps no history)."""
        web = self.web
        if web is None:
            raise RuntimeError("the web front end is not running")
        if chat_id != "local" and web.ctx.store is not None:
            web.ctx.store.append_message(f"web:{chat_id}", "assistant", text, web.ctx.clock.now())
        web.hub.changed()

    def alert_channel(self) -> None:
        """The page shows events live (server-sent events); it is no alert channel of its own."""
        return None

    def commands(self) -> list[str]:
        """The web offers the commands as API routes, not as a command list."""
        return []

    def retryable(self, exc: BaseException) -> bool:
        """A port in use may free up; a configuration problem will not."""
        return isinstance(exc, OSError) and not isinstance(exc, ConfigError)

    async def stop(self) -> None:
        """Close the event streams, stop serving and wait for the server task."""
        server, task, web = self.server, self.task, self.web
        self.server = self.task = self.web = None
        if web is not None:
            await web.hub.close()
        if server is None or task is None:
            return
        server.should_exit = True
        try:
            await asyncio.wait_for(task, 8)
        except (TimeoutError, asyncio.CancelledError):
            server.force_exit = True
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        _log.info("web dashboard stopped")
