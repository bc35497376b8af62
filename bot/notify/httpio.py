"""HTTP for the webhook and SMS channels: one POST, its failure typed (retryable or not), Retry-After read."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from bot.notify.base import NotifyError, RetryableNotifyError
from trading.clock import Clock

MAX_BODY = 200  # characters of a remote error text kept in our message


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or an HTTP date), or None if absent/unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def error_for_status(what: str, status: int, headers: Mapping[str, str], detail: str, now: datetime) -> NotifyError:
    """The typed error of a non-2xx answer: 408, 425, 429 and 5xx are retryable, other 4xx are not."""
    wait = retry_after_seconds(headers.get("Retry-After"), now)
    text = f"{what}: HTTP {status}" + (f" ({detail[:MAX_BODY]})" if detail else "")
    if status in (408, 425, 429) or status >= 500:
        return RetryableNotifyError(text, retry_after=wait)
    return NotifyError(text)


class HttpPoster:
    """Owns one aiohttp session (made on first use, inside the running loop) and posts through it."""

    def __init__(self, what: str, clock: Clock, *, timeout: float = 15.0) -> None:
        self.what = what
        self.clock = clock
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout),
                                                  headers={"User-Agent": "zyn-alerts/0.1"})
        return self._session

    async def post(self, url: str, *, detail_of: Any = None, **kwargs: Any) -> tuple[int, str]:
        """POST and return (status, body text) of a 2xx answer; raise a typed NotifyError otherwise.

        detail_of(body_text) -> short text: what of a failed answer's body may be shown (default nothing).
        Messages never contain the URL (it may hold a token).
        """
        try:
            async with self._client().post(url, allow_redirects=False, **kwargs) as resp:
                body = await resp.text(errors="replace")
                if 200 <= resp.status < 300:
                    return resp.status, body
                detail = detail_of(body) if detail_of is not None else ""
                raise error_for_status(self.what, resp.status, resp.headers, detail, self.clock.now())
        except NotifyError:
            raise
        except aiohttp.InvalidURL:
            raise NotifyError(f"{self.what}: the configured URL is not valid") from None
        except TimeoutError:
            raise RetryableNotifyError(f"{self.what}: no answer within {self.timeout:g}s") from None
        except aiohttp.ClientConnectorError as exc:
            code = exc.os_error.errno  # its text would name the host and port
            reason = os.strerror(code) if code else type(exc.os_error).__name__
            raise RetryableNotifyError(f"{self.what}: cannot connect ({reason})") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise RetryableNotifyError(f"{self.what}: connection failed ({type(exc).__name__})") from None

    async def close(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
