"""Telegram text rules: HTML escaping, splitting under 4,096 characters (UTF-16 units), RetryAfter handling."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from loguru import logger
from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.notify.text import html_escape, split_message, truncate, utf16_len

_log = logger.bind(component="telegram")
T = TypeVar("T")
# PTB 22 warns on every RetryAfter that retry_after will become a timedelta; retry_seconds() takes both.
warnings.filterwarnings("ignore", message=r".*`retry_after` will be of type", category=PTBDeprecationWarning)

MESSAGE_LIMIT = 4096  # characters of a message's text, as Telegram counts them (UTF-16 code units)
CAPTION_LIMIT = 1024  # characters of a photo's caption
ANSWER_LIMIT = 200  # characters of a callback query's answer
MAX_RETRY_WAIT = 60.0  # a longer RetryAfter is not waited out here: the caller's retry policy decides


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji can count 2)."""
    return utf16_len(text)


def escape(text: str) -> str:
    """Plain text made safe for parse_mode HTML (&, < and > escaped)."""
    return html_escape(text)


def escaped_len(text: str) -> int:
    """What a piece of plain text counts once escaped, as Telegram counts it."""
    return utf16_len(html_escape(text))


def split_plain(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pieces of plain text, in order, each fitting `limit` once HTML-escaped; cut at lines, then spaces.

    A cut at a line break drops that one newline; blank pieces are left out (Telegram refuses empty text)."""
    return split_message(text, limit, length=escaped_len)


def html_parts(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Escaped HTML parts of plain text, each within the limit; at least one part ("…" for empty text)."""
    return [escape(p) for p in split_plain(text, limit)] or ["…"]


def clip(text: str, limit: int) -> str:
    """Plain text shortened (with an ellipsis) so its escaped form fits the limit."""
    return truncate(text, limit, marker="…", length=escaped_len)


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter's wait in seconds (PTB 22 gives int or timedelta and warns about the change)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def with_retry(send: Callable[[], Awaitable[T]], *, what: str, attempts: int = 3,
                     max_wait: float = MAX_RETRY_WAIT) -> T:
    """Run one Bot API call; on 429 wait the asked time and call again (bounded); other errors propagate."""
    for attempt in range(1, attempts + 1):
        try:
            return await send()
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            if attempt == attempts or wait > max_wait:
                _log.warning("Telegram flood control on {}: asked to wait {:.0f}s; giving up", what, wait)
                raise
            _log.info("Telegram flood control on {}: waiting {:.0f}s, then try {} of {}", what, wait,
                      attempt + 1, attempts)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")
