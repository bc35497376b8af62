"""SmsChannel: a Twilio-compatible Messages API (any base URL), one request per recipient, text only."""

from __future__ import annotations

import base64
import json
from collections import OrderedDict
from collections.abc import Sequence
from urllib.parse import quote

from bot.notify.base import Alert, NotifyError, RetryableNotifyError
from bot.notify.httpio import HttpPoster
from bot.notify.text import SMS_LIMIT, truncate
from trading.clock import Clock, SystemClock

_REMEMBERED = 100  # alerts whose reached recipients are remembered, so a retry texts only the others


def sms_body(alert: Alert, limit: int = SMS_LIMIT) -> str:
    """Title, then the text, cut to `limit` characters with a "… [truncated]" marker when longer."""
    text = f"{alert.title}\n{alert.text}".strip() if alert.text.strip() else alert.title
    return truncate(text, limit)


def _twilio_detail(body: str) -> str:
    """Twilio's error JSON {"code", "message"} as one short line (nothing else of the body is shown)."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    code, message = data.get("code"), str(data.get("message") or "")[:150]
    return f"{code}: {message}" if code else message


class SmsChannel:
    """POST {base}/2010-04-01/Accounts/{sid}/Messages.json with basic auth sid:token and From, To, Body."""

    name = "sms"

    def __init__(self, base_url: str, account_sid: str, auth_token: str, sender: str, recipients: Sequence[str],
                 *, clock: Clock | None = None, timeout: float = 15.0, limit: int = SMS_LIMIT) -> None:
        if not recipients:
            raise ValueError("an SMS channel needs at least one recipient")
        self.recipients = tuple(dict.fromkeys(r.strip() for r in recipients if r.strip()))
        self.sender = sender
        self.limit = limit
        self._url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{quote(account_sid, safe='')}/Messages.json"
        basic = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
        self._headers = {"Authorization": f"Basic {basic}"}  # holds the token, a secret: never logged
        self._http = HttpPoster("sms", clock or SystemClock(), timeout=timeout)
        self._reached: OrderedDict[tuple, set[str]] = OrderedDict()

    async def send(self, alert: Alert, *, silent: bool) -> None:
        """Text every recipient not reached yet for this alert; raise if any is left (retryable if any could be)."""
        body = sms_body(alert, self.limit)
        reached = self._memory(alert)
        failures: list[tuple[str, NotifyError]] = []
        for to in self.recipients:
            if to in reached:
                continue
            try:
                await self._http.post(self._url, headers=self._headers, detail_of=_twilio_detail,
                                      data={"From": self.sender, "To": to, "Body": body})
            except NotifyError as exc:
                failures.append((to, exc))
                continue
            reached.add(to)
        if not failures:
            return
        text = "; ".join(f"sms to {to}: {exc.message.removeprefix('sms: ')}" for to, exc in failures)
        retryable = [exc for _, exc in failures if exc.retryable]
        if retryable:
            waits = [e.retry_after for e in retryable if e.retry_after is not None]
            raise RetryableNotifyError(text, retry_after=max(waits) if waits else None)
        raise NotifyError(text)

    def _memory(self, alert: Alert) -> set[str]:
        key = (alert.kind, alert.at, alert.key, alert.title, alert.text)
        reached = self._reached.pop(key, set())
        self._reached[key] = reached
        while len(self._reached) > _REMEMBERED:
            self._reached.popitem(last=False)
        return reached

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._http.close()

    def __repr__(self) -> str:
        return f"SmsChannel(to={len(self.recipients)} numbers, token=***)"
