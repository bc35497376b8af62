"""Server-sent events: the autopilot's events (ticks, orders, fills, exits, kill switch, errors) and state
changes made elsewhere (the autopilot switched or the kill switch re-armed from Telegram or the CLI).

Each open page has a bounded queue; a page that cannot keep up loses events, not the server's memory, and
re-reads the whole dashboard on the next one anyway (the page never trusts an event's figures alone).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from loguru import logger

from tools.results import jsonable
from trading.events import Event, EventBus

_log = logger.bind(component="web")
QUEUE = 100
PING_EVERY = 15.0  # seconds: keeps proxies from closing an idle stream, and lets a page see it is alive
WATCH_EVERY = 2.0  # seconds between two looks at the state other front ends may change


def event_data(event: Event) -> dict[str, Any]:
    """An event as JSON for a page: kind, time, mode, its line of text, and its typed details."""
    data = jsonable(event)
    return {k: v for k, v in data.items() if v is not None}


class Hub:
    """Fan-out of events to every open page."""

    def __init__(self, bus: EventBus | None, state: Callable[[], Any] | None = None) -> None:
        self._queues: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._state = state
        self._watcher: asyncio.Task[None] | None = None
        self._last: Any = None
        self.closed = False
        self.generation = 0  # counts changes: events, state changes, and the web's own actions (changed())
        if bus is not None:
            bus.subscribe(self.on_event)

    @property
    def listeners(self) -> int:
        return len(self._queues)

    def start(self) -> None:
        """Watch the shared state (a task of the running loop)."""
        if self._state is not None and self._watcher is None:
            self._last = self._safe_state()
            self._watcher = asyncio.get_running_loop().create_task(self._watch(), name="web-state-watch")

    async def close(self) -> None:
        """End every stream (so the server can stop at once) and the watcher."""
        self.closed = True
        for q in list(self._queues):
            with contextlib.suppress(asyncio.QueueFull):
                q.put_nowait(None)
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None

    def changed(self) -> None:
        """A state-changing request is under way or done here."""
        self.generation += 1

    def on_event(self, event: Event) -> None:
        """A bus subscriber: hand the event to every page."""
        self.publish(event_data(event))

    def publish(self, data: dict[str, Any]) -> None:
        """Queue one message for every page (dropped for a page whose queue is full)."""
        self.generation += 1  # something changed: a dashboard read begun before it may not be shared after
        for q in list(self._queues):
            try:
                q.put_nowait(data)
            except asyncio.QueueFull:
                pass

    async def stream(self, disconnected: Callable[[], Any]) -> AsyncIterator[str]:
        """One page's event stream, in SSE framing, until it goes away or the server stops."""
        q: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE)
        self._queues.add(q)
        try:
            yield "retry: 3000\nevent: hello\ndata: {}\n\n"
            while not self.closed:
                try:
                    data = await asyncio.wait_for(q.get(), PING_EVERY)
                except TimeoutError:
                    if await disconnected():
                        break
                    yield "event: ping\ndata: {}\n\n"
                    continue
                if data is None:
                    break
                yield f"event: {data.get('kind', 'message')}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
        finally:
            self._queues.discard(q)

    def _safe_state(self) -> Any:
        try:
            return self._state() if self._state is not None else None
        except Exception as exc:  # noqa: BLE001 - a busy database: look again next time
            _log.debug("state watch: {}", type(exc).__name__)
            return self._last

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_EVERY)
            now = self._safe_state()
            if now != self._last:
                self._last = now
                self.publish({"kind": "state", "text": "state changed"})
