"""LIVE orders of unknown outcome: the resolution told to the person who asked, in the chat where they asked.

The intent keeps the asking chat ("telegram:42", "discord:1234", "web:<session chat>"); once the reconciler
settles it (trading/exchange/kraken/unresolved.py), this sends "Resolved: your buy 0.001 BTC/USD ... was placed"
(or "was not placed; nothing was bought") there through that front end's `tell`. The owner's alert fan-out
carries it too, as before. Delivery is durable: an intent is marked told only once its chat got the message,
so one resolved while Telegram was still connecting (at start-up) or unreachable is delivered at the next run
(after each front end starts, on every resolution, and every minute), and given up after TELL_FOR (logged).
A CLI asker has no chat here: `zyn reconcile` and the alerts say how it ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from loguru import logger

from trading.clock import Clock
from trading.events import Event, OrderResolved

_log = logger.bind(component="unresolved")
TELL_FOR = timedelta(hours=1)  # a chat still unreachable this long after the resolution is given up on


class ResolutionReplies:
    """Delivers the settled intents' resolutions to their askers' chats (deliver() never raises)."""

    def __init__(self, store: Any, fronts: Callable[[], Mapping[str, Any]], clock: Clock) -> None:
        self.store, self.fronts, self.clock = store, fronts, clock
        self._lock = asyncio.Lock()  # the minute job, a front end's start and a resolution may ask at once

    async def on_event(self, event: Event) -> None:
        """A bus subscriber: an order just resolved is told at once."""
        if isinstance(event, OrderResolved) and event.reply_to:
            await self.deliver()

    async def deliver(self) -> int:
        """Tell every asker still waiting whose front end is running here; how many were told."""
        async with self._lock:
            return await self._deliver()

    async def _deliver(self) -> int:
        fronts = {name: f for name, f in self.fronts().items() if callable(getattr(f, "tell", None))}
        try:
            waiting = self.store.untold_resolutions(fronts)
        except Exception as exc:  # noqa: BLE001 - a scheduler job: tried again next run
            _log.warning("resolutions to tell not read: {}", exc)
            return 0
        told = 0
        for intent in waiting:
            channel, _, chat = intent.reply_to.partition(":")
            now = self.clock.now()
            try:
                await fronts[channel].tell(chat, intent.resolution())
            except Exception as exc:  # noqa: BLE001 - the platform or the chat: tried again next run
                why = getattr(exc, "message", "") or type(exc).__name__
                if intent.resolved_at is not None and now - intent.resolved_at < TELL_FOR:
                    _log.warning("resolution of order {} not delivered to {} yet: {}", intent.client_id,
                                 intent.reply_to, why)
                    continue
                _log.error("resolution of order {} never reached {} ({}); it went to the alerts only",
                           intent.client_id, intent.reply_to, why)
            else:
                told += 1
                _log.info("resolution of order {} told in {}", intent.client_id, intent.reply_to)
            try:
                self.store.mark_told(intent.client_id, now)
            except Exception as exc:  # noqa: BLE001 - told twice at worst
                _log.warning("order {} not marked told: {}", intent.client_id, exc)
        return told
