"""The Telegram front end in the service's event loop: build the PTB Application, start polling, stop cleanly.

Not run_polling(): that owns the loop. start() is PTB's manual sequence (initialize, updater.start_polling,
start) and stop() its reverse, so the scheduler, the web server and Discord share the one loop.
"""

from __future__ import annotations

from typing import Any

from loguru import logger
from telegram import BotCommand
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot.commands.catalog import COMMANDS
from bot.frontend import FrontEndContext
from bot.notify.base import AlertKind
from bot.telegram.bot_api import api_urls, quiet_http_logs
from bot.telegram.channel import TelegramChannel
from bot.telegram.format import with_retry
from bot.telegram.handlers import Handlers, access_from_settings
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
    """Zyn on Telegram, a FrontEnd (bot/frontend.py): start(ctx) in the service's loop, stop() on shutdown."""

    name = "telegram"

    def __init__(self, *, poll_timeout: float = 10.0, workers: int = WORKERS, pool_size: int = POOL_SIZE) -> None:
        self.poll_timeout = poll_timeout  # long-poll seconds (stop() cancels a poll at once)
        self.workers = workers
        self.pool_size = pool_size
        self.app: Application | None = None
        self.handlers: Handlers | None = None
        self.channel: TelegramChannel | None = None
        self._handed_over = False

    async def start(self, ctx: FrontEndContext) -> None:
        """Connect (getMe), publish the commands and start polling."""
        if self.app is not None:
            raise RuntimeError("the Telegram front end is already running")
        settings = ctx.settings
        app = build_application(settings, workers=self.workers, pool_size=self.pool_size)
        self.handlers = Handlers(ctx.desk(access_from_settings(settings)))
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
        _log.info("Telegram bot @{} polling ({} commands; owner {}, {} allowlisted)", app.bot.username,
                  len(COMMANDS), "set" if settings.telegram_owner_id else "NOT set", len(settings.telegram_allowed))

    async def tell(self, chat_id: str, text: str) -> None:
        """A message of Zyn's own to one chat (a late answer to someone who asked there); raises if not sent."""
        if self.app is None:
            raise RuntimeError("the Telegram front end is not running")
        await self.app.bot.send_message(int(chat_id), text)

    def alert_channel(self) -> TelegramChannel | None:
        """The alert channel, once started, if any chat is set up for alerts or reports (the notifier closes it)."""
        channel = self.channel
        if channel is None:
            return None
        if not channel.chats_for(AlertKind.FILL) and not channel.chats_for(AlertKind.DAILY_REPORT):
            _log.warning("no Telegram chat for alerts: set ZYN_TELEGRAM_OWNER_ID or ZYN_TELEGRAM_ALERT_CHATS")
            return None
        self._handed_over = True
        return channel

    def commands(self) -> list[str]:
        """The published command names."""
        return list(COMMANDS)

    def retryable(self, exc: BaseException) -> bool:
        """Network trouble is retried; a token Telegram refuses is not."""
        from telegram.error import InvalidToken

        return not isinstance(exc, InvalidToken | ConfigError)

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
            if self.channel is not None and not self._handed_over:
                await self.channel.close()
        _log.info("Telegram bot stopped")


def _poll_error(exc: TelegramError) -> None:
    """Polling failed (network, Telegram down): PTB retries; log one line, no traceback, no URL."""
    _log.warning("polling Telegram failed ({}): {}; retrying", type(exc).__name__, exc.message)
