"""DiscordChannel: alerts (fills, exits, kill switch, errors) and daily reports to the configured channels.

It has its own REST connection (discord.py's HTTPClient, no gateway): alerts do not depend on the gateway
session, and the notifier, which closes its channels, may still drain them after the front end stopped.

One embed per alert, the PNG attached and shown in it (attachment://), public; silent = Discord's
suppress-notifications flag. discord.py sits out a 429 itself (its retry_after); one longer than the client's
max_ratelimit_timeout is handed to the fan-out as RetryableNotifyError(retry_after). The channels an alert
reached are remembered, so the fan-out's retry of the same alert sends only to the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import discord
from discord.http import HTTPClient, Route, handle_message_parameters
from loguru import logger

from bot.discord.render import alert_message
from bot.notify.base import Alert, AlertKind, DeliveredParts, NotifyError, RetryableNotifyError

_log = logger.bind(component="discord")
_REMEMBERED = 200


class PinnedHTTPClient(HTTPClient):
    """discord.py's REST client, always talking to one base URL (Route.BASE is process-wide and the front end
    puts it back when it stops, while the notifier may still be draining alerts through this channel)."""

    def __init__(self, *args: Any, base: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base = base.rstrip("/")

    async def request(self, route: Route, **kwargs: Any) -> Any:
        if route.url.startswith(route.BASE):
            route.url = self.base + route.url[len(route.BASE):]
        return await super().request(route, **kwargs)


class DiscordChannel:
    """Alerts over Discord's REST API, with the bot's token."""

    name = "discord"
    max_ratelimit_timeout = 30.0  # a 429 asking for longer goes back to the fan-out

    def __init__(self, token: str, chats: Mapping[AlertKind, Sequence[int]], *, api_url: str | None = None) -> None:
        self._token = token
        self._base = api_url or Route.BASE
        self._http: HTTPClient | None = None
        self.chats = {AlertKind(k): tuple(dict.fromkeys(v)) for k, v in chats.items()}
        self._delivered = DeliveredParts(_REMEMBERED)

    @classmethod
    def from_settings(cls, settings: Any) -> DiscordChannel:
        """Alerts to the alert channels; daily reports to the report channels and the alert channels."""
        alerts = tuple(settings.discord_alert_channel_ids)
        chats: dict[AlertKind, Sequence[int]] = {k: alerts for k in AlertKind}
        chats[AlertKind.DAILY_REPORT] = (*settings.discord_report_channel_ids, *alerts)
        return cls(settings.discord_token.get_secret_value(), chats, api_url=settings.discord_api_url)

    def chats_for(self, kind: AlertKind) -> tuple[int, ...]:
        return self.chats.get(AlertKind(kind), ())

    async def send(self, alert: Alert, *, silent: bool) -> None:
        """Deliver to every channel of the alert's kind; raise if any failed (the others still got it)."""
        if not self.chats_for(alert.kind):
            return
        http = await self._connect()
        done = self._delivered.of(alert)
        failed: list[str] = []
        retryable, wait = False, None
        for cid in self.chats_for(alert.kind):
            if cid in done:
                continue
            try:
                message = alert_message(alert, silent=silent)
                flags = discord.MessageFlags(suppress_notifications=message.pop("silent"))
                with handle_message_parameters(**message, flags=flags) as params:
                    await http.send_message(cid, params=params)
                done.add(cid)
            except discord.RateLimited as exc:
                retryable, wait = True, max(wait or 0.0, exc.retry_after)
                failed.append(f"{cid} (rate limited for {exc.retry_after:.0f}s)")
            except discord.HTTPException as exc:
                retryable = retryable or exc.status >= 500 or exc.status == 429
                failed.append(f"{cid} ({exc.status} {exc.text[:80]})")
            except (OSError, TimeoutError) as exc:
                retryable = True
                failed.append(f"{cid} ({type(exc).__name__})")
        if failed:
            message = f"{alert.kind.value} alert not delivered to Discord channel {', '.join(failed)}"
            _log.warning(message)
            if retryable:
                raise RetryableNotifyError(message, retry_after=wait)
            raise NotifyError(message)

    async def _connect(self) -> HTTPClient:
        if self._http is None:
            http = PinnedHTTPClient(asyncio.get_running_loop(), max_ratelimit_timeout=self.max_ratelimit_timeout,
                                    base=self._base)
            try:
                await http.static_login(self._token)
            except discord.LoginFailure:
                await http.close()
                raise NotifyError("discord: the token was refused") from None
            except (OSError, discord.HTTPException) as exc:
                await http.close()
                raise RetryableNotifyError(f"discord: not reachable ({type(exc).__name__})") from None
            self._http = http
        return self._http

    async def close(self) -> None:
        """Close the REST connection."""
        http, self._http = self._http, None
        if http is not None:
            await http.close()
