"""How updates run: chats concurrently, each chat's updates one at a time in arrival order.

PTB handles one update at a time by default, so one slow chat (an LLM turn, a LIVE order, a chart) would hold
up every other chat. With plain concurrent_updates a chat's messages could overtake each other ("/buy" then
"/orders" answered in the wrong order, a Confirm press racing its own request). This processor gives both:
an update first waits for its chat's turn (FIFO), and only then for one of `workers` slots, so updates queued
behind a busy chat never take a slot another chat could use.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

QUEUED = 4096  # updates admitted at once (waiting or working): beyond this PTB's own queue holds them


class ChatLocks:
    """One FIFO lock per chat, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Any, asyncio.Lock] = {}
        self._users: Counter[Any] = Counter()

    @asynccontextmanager
    async def hold(self, key: Any) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                self._locks.pop(key, None)

    def __len__(self) -> int:
        return len(self._locks)


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Per chat in order; at most `workers` updates doing work at once across chats."""

    def __init__(self, workers: int, queued: int = QUEUED) -> None:
        super().__init__(max(queued, workers))
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.chats = ChatLocks()
        self._work: asyncio.Semaphore | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for this chat's turn, then for a worker slot, then run the handlers."""
        if self._work is None:
            self._work = asyncio.Semaphore(self.workers)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._work:
                await coroutine
            return
        async with self.chats.hold(chat.id), self._work:
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up (the semaphore is made on the running loop)."""

    async def shutdown(self) -> None:
        """Nothing to release."""
