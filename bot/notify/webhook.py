"""WebhookChannel: each alert as one JSON POST to a URL (Slack-like relays, Home Assistant, n8n, your own)."""

from __future__ import annotations

import base64
from typing import Any

from bot.notify.base import Alert
from bot.notify.httpio import HttpPoster
from trading.clock import Clock, SystemClock


def webhook_payload(alert: Alert, *, silent: bool) -> dict[str, Any]:
    """The JSON body: kind, title, text, at (ISO 8601 UTC), silent, and the PNG as base64 when there is one."""
    body: dict[str, Any] = {"kind": alert.kind.value, "title": alert.title, "text": alert.text,
                            "at": alert.at.isoformat(), "silent": silent}
    if alert.photo:
        body["photo"] = base64.b64encode(alert.photo).decode("ascii")
        body["photo_name"] = alert.photo_name
    return body


class WebhookChannel:
    """POSTs application/json; 2xx is delivered, 429/5xx/connection trouble retryable, other 4xx final."""

    name = "webhook"

    def __init__(self, url: str, *, clock: Clock | None = None, timeout: float = 15.0) -> None:
        self._url = url  # a secret: it often carries a token, so it is never logged or put in an error
        self._http = HttpPoster("webhook", clock or SystemClock(), timeout=timeout)

    async def send(self, alert: Alert, *, silent: bool) -> None:
        """Deliver one alert (raise NotifyError or RetryableNotifyError on failure)."""
        await self._http.post(self._url, json=webhook_payload(alert, silent=silent))

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._http.close()

    def __repr__(self) -> str:
        return "WebhookChannel(url=***)"
