"""The Telegram front end in the service's event loop: build the PTB Application, start polling, stop cleanly.

Not run_polling(): that owns the loop. start() is PTB's manual sequence (initialize, updater.start_polling,
start) and stop() its reverse, so the scheduler, the web server and Discord share the one loop.
"""

from __future__ import annotations

import logging
from typing import Any

from loguru import logger
from telegram import BotCommand
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot.notify.base import AlertKind
from bot.telegram.access import Access
from bot.telegram.channel import TelegramChannel
from bot.telegram.commands import COMMANDS
from bot.telegram.format import with_retry
from bot.telegram.handlers import Handlers
from bot.telegram.updates import ChatOrderedProcessor
from trading.errors import ConfigError

_log = logger.bind(component="telegram")

# Updates doing work at once, across chats (one chat's updates always run one at a time, in order: see
# updates.py). PTB's default is one update at a time for all chats. More workers only help while handlers
# wait on the network (Kraken, a model); on CPU-bound work they add overhead (bench/bench_telegram.py).
WORKERS = 32
ALLOWED_UPDATES = ["message", "callback_query"]
# Connections to the Bot API. PTB's default pool is 256, but httpcore scans every pooled connection for each
# request, which costs more than it saves once dozens are open (bench/bench_telegram.py); a request waits up
# to POOL_TIMEOUT for a free connection instead of failing after PTB's default second.
POOL_SIZE = 8
POOL_TIMEOUT = 30.0


class _Redact(logging.Filter):
    """Keeps the bot token out of PTB's and httpx's standard-library log records (URLs carry it)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token:
            message = record.getMessage()
            if self.token in message:
                record.msg, record.args = message.replace(self.token, "***"), None
        return True


def quiet_http_logs(token: str) -> None:
    """httpx logs every request URL (with the token) at INFO: keep those loggers at WARNING, redacted."""
    for name in ("httpx", "httpcore", "telegram", "telegram.ext"):
        log = logging.getLogger(name)
        if log.level == logging.NOTSET or log.level < logging.WARNING:
            log.setLevel(logging.WARNING)
        if not any(isinstance(f, _Redact) for f in log.filters):
            log.addFilter(_Redact(token))


def api_urls(api_url: str) -> tuple[str, str]:
    """(base_url, base_file_url) of a Bot API server given as ".../bot" (PTB appends the token)."""
    base = api_url.rstrip("/")
    root = base[: -len("/bot")] if base.endswith("/bot") else base
    return f"{root}/bot", f"{root}/file/bot"


def build_application(settings: Any, *, workers: int = WORKERS, pool_size: int = POOL_SIZE) -> Application:
    """The PTB Application for these settings (no job queue: the service's scheduler runs the jobs)."""
    if settings.telegram_token is None:
        raise ConfigError("Telegram needs ZYN_TELEGRAM_TOKEN (from @BotFather)")
    token = settings.telegram_token.get_secret_value()
    quiet_http_logs(token)
    builder = (ApplicationBuilder().token(token).concurrent_updates(ChatOrderedProcessor(workers)).job_queue(None)
               .connection_pool_size(pool_size).pool_timeout(POOL_TIMEOUT))
    if settings.telegram_api_url:
        base, files = api_urls(settings.telegram_api_url)
        builder = builder.base_url(base).base_file_url(files)
    return builder.build()


async def publish_commands(bot: Any) -> None:
    """setMyCommands: every command with its one-line description (a failure is logged, not fatal)."""
    commands = [BotCommand(c.name, c.description) for c in COMMANDS.values()]
    try:
        await with_retry(lambda: bot.set_my_commands(commands), what="setMyCommands")
    except TelegramError as exc:
        _log.warning("could not publish the command list: {}", exc.message)


class TelegramFrontEnd:
    """Zyn on Telegram: start(runtime, agent, settings) in the service's loop, stop() on shutdown."""

    def __init__(self, *, poll_timeout: float = 10.0, workers: int = WORKERS, pool_size: int = POOL_SIZE) -> None:
        self.poll_timeout = poll_timeout  # long-poll seconds (stop() cancels a poll at once)
        self.workers = workers
        self.pool_size = pool_size
        self.app: Application | None = None
        self.handlers: Handlers | None = None
        self.channel: TelegramChannel | None = None
        self._owns_channel = True

    async def start(self, runtime: Any, agent: Any, settings: Any, notifier: Any = None) -> None:
        """Connect (getMe), publish the commands, start polling, and hand the alert channel to the notifier."""
        if self.app is not None:
            raise RuntimeError("the Telegram front end is already running")
        app = build_application(settings, workers=self.workers, pool_size=self.pool_size)
        clock = getattr(getattr(runtime, "services", None), "clock", None) or getattr(
            getattr(agent, "ctx", None), "clock", None)
        self.handlers = Handlers(agent, Access.from_settings(settings), clock)
        self.handlers.register(app)
        await app.initialize()
        try:
            self.handlers.bot_id, self.handlers.bot_username = app.bot.id, app.bot.username or ""
            await publish_commands(app.bot)
            await app.updater.start_polling(timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES,
                                            drop_pending_updates=True, error_callback=_poll_error)
            await app.start()
        except BaseException:
            if app.updater.running:
                await app.updater.stop()
            await app.shutdown()
            raise
        self.app = app
        # The channel has its own Bot (connection pool): alerts do not depend on polling, and the notifier,
        # which closes its channels, may still drain them after this front end stopped.
        self.channel = TelegramChannel.from_settings(settings)
        self._owns_channel = notifier is None or not _attach(notifier, self.channel)
        _log.info("Telegram bot @{} polling ({} commands; owner {}, {} allowlisted)", app.bot.username,
                  len(COMMANDS), "set" if settings.telegram_owner_id else "NOT set", len(settings.telegram_allowed))

    async def stop(self) -> None:
        """Stop polling, let running handlers finish, close the HTTP connections."""
        app, self.app = self.app, None
        if app is None:
            return
        try:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
        finally:
            await app.shutdown()
            if self.channel is not None and self._owns_channel:
                await self.channel.close()
        _log.info("Telegram bot stopped")


def _poll_error(exc: TelegramError) -> None:
    """Polling failed (network, Telegram down): PTB retries; log one line, no traceback, no URL."""
    _log.warning("polling Telegram failed ({}): {}; retrying", type(exc).__name__, exc.message)


def _attach(notifier: Any, channel: TelegramChannel) -> bool:
    """Give the alert fan-out (bot/notify/fanout.Notifier) the channel; it closes it. False if it took none."""
    if not channel.chats_for(AlertKind.FILL) and not channel.chats_for(AlertKind.DAILY_REPORT):
        _log.warning("no Telegram chat for alerts: set ZYN_TELEGRAM_OWNER_ID or ZYN_TELEGRAM_ALERT_CHATS")
        return False
    try:
        notifier.add_channel(channel)
    except (AttributeError, ValueError) as exc:  # no such method, or a telegram channel is there already
        _log.warning("Telegram alerts not added to the notifier: {}", exc)
        return False
    return True
