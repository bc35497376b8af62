"""TelegramChannel: alerts (fills, exits, kill switch, errors, daily reports) to the configured chats.

HTML-escaped, split under 4,096 characters in order, the picture via sendPhoto, silent when asked, and
RetryAfter honoured (a short wait here, a long one handed to the fan-out). send() raises NotifyError (final:
blocked, unknown chat) or RetryableNotifyError (network, 5xx, flood control) when a chat was not reached;
the parts that did arrive are remembered, so the fan-out's retry of the same alert sends only what is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from loguru import logger
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.notify.base import Alert, AlertKind, DeliveredParts, NotifyError, RetryableNotifyError
from bot.telegram.bot_api import api_urls, quiet_http_logs
from bot.telegram.format import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    clip,
    escape,
    retry_seconds,
    split_plain,
    with_retry,
)

_log = logger.bind(component="telegram")
_REMEMBERED = 200  # alerts whose delivered parts are remembered (for retries of the same alert)
# A short flood-control wait is sat out here (the parts stay in order, at once); a longer one is handed to the
# fan-out as RetryableNotifyError(retry_after), which waits without holding this send's timeout.
INLINE_WAIT = 5.0


class TelegramDeliveryError(NotifyError):
    """Some chats did not get an alert for good (blocked, chat unknown); the message names them, never the token."""


class TelegramRetryableError(RetryableNotifyError, TelegramDeliveryError):
    """Some chats did not get an alert for now (network, Telegram 5xx, flood control longer than we wait)."""


class TelegramChannel:
    """One alert channel over the Bot API; the chats per alert kind are given when it is made."""

    name = "telegram"

    def __init__(self, bot: Bot, chats: Mapping[AlertKind, Sequence[int]] | Sequence[int], *,
                 attempts: int = 3, max_wait: float = INLINE_WAIT, own_bot: bool = False) -> None:
        self.bot = bot
        if isinstance(chats, Mapping):
            self.chats = {AlertKind(k): tuple(dict.fromkeys(v)) for k, v in chats.items()}
        else:
            self.chats = {k: tuple(dict.fromkeys(chats)) for k in AlertKind}
        self.attempts = attempts
        self.max_wait = max_wait
        self._own_bot = own_bot
        self._ready = not own_bot
        self._delivered = DeliveredParts(_REMEMBERED)

    @classmethod
    def from_settings(cls, settings: Any, *, bot: Bot | None = None) -> TelegramChannel:
        """Alerts to the alert chats (default: the owner's); daily reports to the report groups and alert chats."""
        alerts = tuple(settings.telegram_alert_chat_ids)
        chats: dict[AlertKind, Iterable[int]] = {k: alerts for k in AlertKind}
        chats[AlertKind.DAILY_REPORT] = (*settings.telegram_report_chat_ids, *alerts)
        own = bot is None
        if bot is None:
            if settings.telegram_token is None:
                raise ValueError("a Telegram channel needs ZYN_TELEGRAM_TOKEN")
            token = settings.telegram_token.get_secret_value()
            quiet_http_logs(token)
            base, files = api_urls(settings.telegram_api_url or "https://api.telegram.org/bot")
            bot = Bot(token, base_url=base, base_file_url=files)
        return cls(bot, chats, own_bot=own)

    def chats_for(self, kind: AlertKind) -> tuple[int, ...]:
        return self.chats.get(AlertKind(kind), ())

    async def send(self, alert: Alert, *, silent: bool) -> None:
        """Deliver to every chat of the alert's kind; raise if any chat failed (the others still got it)."""
        chats = self.chats_for(alert.kind)
        if not chats:
            return
        if not self._ready:
            await self.bot.initialize()
            self._ready = True
        done = self._delivered.of(alert)
        failed: list[str] = []
        retryable, wait = False, None
        for chat_id in chats:
            try:
                await self._send_chat(chat_id, alert, silent, done)
            except TelegramError as exc:
                why = _why(exc)
                _log.warning("{} alert to chat {} failed: {}", alert.kind.value, chat_id, why)
                failed.append(f"{chat_id} ({why})")
                if _transient(exc):
                    retryable = True
                    if isinstance(exc, RetryAfter):
                        wait = max(wait or 0.0, retry_seconds(exc))
        if failed:
            message = f"{alert.kind.value} alert not delivered to {', '.join(failed)}"
            if retryable:
                raise TelegramRetryableError(message, retry_after=wait)
            raise TelegramDeliveryError(message)

    async def _send_chat(self, chat_id: int, alert: Alert, silent: bool, done: set[tuple[int, int]]) -> None:
        parts = _parts(alert)
        for i, part in enumerate(parts):
            if (chat_id, i) in done:
                continue
            await with_retry(lambda part=part: self.bot.send_message(
                chat_id, part, parse_mode=ParseMode.HTML, disable_notification=silent),
                what="sendMessage", attempts=self.attempts, max_wait=self.max_wait)
            done.add((chat_id, i))
        if alert.photo and (chat_id, len(parts)) not in done:
            await with_retry(lambda: self.bot.send_photo(
                chat_id, alert.photo, filename=alert.photo_name or "chart.png",
                caption=escape(clip(alert.title, CAPTION_LIMIT)), parse_mode=ParseMode.HTML,
                disable_notification=silent), what="sendPhoto", attempts=self.attempts, max_wait=self.max_wait)
            done.add((chat_id, len(parts)))

    async def close(self) -> None:
        """Close the HTTP connections of a bot this channel made itself (a shared bot is the app's)."""
        if self._own_bot and self._ready:
            await self.bot.shutdown()
            self._ready = False


def _parts(alert: Alert) -> list[str]:
    """The title in bold, then the body, as escaped HTML parts under the limit, in order."""
    title = alert.title.strip()
    bold = len("<b></b>")
    pieces = split_plain(f"{title}\n{alert.text}" if title else alert.text, MESSAGE_LIMIT - bold) or [title or "…"]
    first = pieces[0]
    if title and first.startswith(title):
        head = f"<b>{escape(title)}</b>{escape(first[len(title):])}"
    else:
        head = escape(first)
    return [head, *(escape(p) for p in pieces[1:])]


def _transient(exc: TelegramError) -> bool:
    """Worth another try later: flood control, network trouble, Telegram 5xx (not a refusal of the request)."""
    if isinstance(exc, (BadRequest, Forbidden, ChatMigrated)):  # BadRequest is a NetworkError subclass in PTB
        return False
    return isinstance(exc, (RetryAfter, NetworkError))


def _why(exc: TelegramError) -> str:
    if isinstance(exc, ChatMigrated):
        return f"the group became supergroup {exc.new_chat_id}: put that id in ZYN_TELEGRAM_*_CHATS"
    if isinstance(exc, RetryAfter):
        return f"flood control: retry after {retry_seconds(exc):.0f}s"
    return f"{type(exc).__name__}: {exc.message}"
