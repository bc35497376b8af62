"""Runs an async stand-in server on its own loop in a thread, for code under test that calls asyncio.run()."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any


class Threaded:
    """`with Threaded(lambda: KrakenStandin(...)) as standin:` serves from a background thread."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="standin", daemon=True)
        self.server: Any = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        try:
            async with self._factory() as server:
                self.server = server
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:  # noqa: BLE001 - surfaced in __enter__
            self._error = exc
            self._ready.set()

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run fn(*args) on the server's loop (coroutine functions are awaited) and return its result."""
        async def wrapper() -> Any:
            result = fn(*args)
            return await result if asyncio.iscoroutine(result) else result

        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result(timeout=10)

    def __enter__(self) -> Any:
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("stand-in did not start")
        if self._error is not None:
            raise self._error
        return self.server

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)
