"""Candle history from Kraken's public data: OHLC for its latest 720 candles, public Trades before that.

Kraken's OHLC endpoint returns only the latest 720 candles of an interval, and its last row is the candle still
forming (never kept). Older history is rebuilt from the public Trades endpoint, paged by its `last` cursor
(1,000 trades a call) and aggregated into candles. A candle is handed on only once it is closed: a trade of a
later period has been seen, or the OHLC window begins after it. A period without trades gets no candle: it stays
a gap, nothing is invented. Candles go to `store` as they close, oldest first, so an interrupted run keeps all it
stored and the next run continues after the last stored candle. Paging only: the caller stores them
(bot/cli/data_cmd.py, into memory's candle store), with SOURCE_TRADES / SOURCE_OHLC as their provenance.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import numpy as np

from trading.clock import from_ms, to_ms
from trading.decision.indicators import OHLCV
from trading.domain import Candle
from trading.errors import ExchangeError, InputError

SOURCE_TRADES = "kraken public trades"
SOURCE_OHLC = "kraken OHLC"
PAGE = 1000  # trades per public Trades call (Kraken's maximum)
# Kraken's OHLC intervals that the candle store also knows
FETCH_TIMEFRAMES = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000,
                    "4h": 14_400_000, "1d": 86_400_000}

Bar = tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]  # open ms, open, high, low, close, volume


class HistorySource(Protocol):
    """What the fetch needs of a Kraken client (trading.exchange.kraken.client.KrakenPublicFeed)."""

    async def fetch_ohlcv(self, symbol: str, timeframe: str = "5m", since: datetime | None = None,
                          limit: int | None = None) -> list[Candle]: ...

    async def fetch_trades_page(self, symbol: str, since_ns: int | None = None,
                                count: int = 1000) -> tuple[list[list[Any]], int | None]: ...


@dataclass
class FetchReport:
    """What one fetch stored, and what it cost."""

    symbol: str
    timeframe: str
    from_trades: int = 0  # candles aggregated from public trades
    from_ohlc: int = 0  # candles taken from the OHLC endpoint
    trades: int = 0  # public trades read
    pages: int = 0  # Trades calls
    calls: int = 0  # every public call (Trades and OHLC)
    gaps: int = 0  # periods between the stored candles with no trade (no candle)
    first: datetime | None = None  # first stored candle's open
    last: datetime | None = None  # last stored candle's open

    @property
    def stored(self) -> int:
        """Candles handed to the store."""
        return self.from_trades + self.from_ohlc


class _Bars:
    """Trades (in time order) into bars of `step` ms; a bar is closed once a trade of a later period arrives."""

    def __init__(self, step: int) -> None:
        self.step = step
        self.current: list[Any] | None = None  # [open ms, o, h, l, c, v]
        self.closed: list[Bar] = []

    def add(self, ms: int, price: Decimal, volume: Decimal) -> None:
        start = ms // self.step * self.step
        c = self.current
        if c is not None and c[0] == start:
            c[2], c[3], c[4], c[5] = max(c[2], price), min(c[3], price), price, c[5] + volume
            return
        self.close_current()
        self.current = [start, price, price, price, price, volume]

    def close_current(self) -> None:
        if self.current is not None:
            self.closed.append(tuple(self.current))  # type: ignore[arg-type]
            self.current = None

    def take(self) -> list[Bar]:
        out, self.closed = self.closed, []
        return out


def _trade(row: list[Any]) -> tuple[int, Decimal, Decimal, int | None]:
    """(time ms, price, volume, trade id) of a Trades row [price, volume, time_s, side, type, misc, id]."""
    try:
        price, volume = Decimal(str(row[0])), Decimal(str(row[1]))
        ms = int(Decimal(str(row[2])) * 1000)  # str() of the float is the JSON's own digits
        tid = int(row[6]) if len(row) > 6 and str(row[6]).isdigit() else None
    except (IndexError, InvalidOperation, TypeError, ValueError):
        raise ExchangeError(f"Kraken sent a trade this version cannot read: {str(row)[:80]}") from None
    if not price.is_finite() or price <= 0 or not volume.is_finite() or volume < 0:
        raise ExchangeError(f"Kraken sent a trade with a bad price or volume: {str(row)[:80]}")
    return ms, price, volume, tid


def _ohlcv(bars: list[Bar]) -> OHLCV:
    from trading.backtest.data import make_ohlcv

    t = np.array([b[0] for b in bars], dtype=np.int64)
    cols = np.array([[float(x) for x in b[1:]] for b in bars], dtype=np.float64).reshape(-1, 5)
    return make_ohlcv(t, cols[:, 0], cols[:, 1], cols[:, 2], cols[:, 3], cols[:, 4])


class HistoryFetch:
    """One `zyn data fetch`: from `start` to now, candles handed to store(ohlcv, source) as they close.

    delay: seconds between two public calls (Kraken limits public calls; ccxt adds its own pacing on the real
    API). progress(done_ms, total_ms) after every call.
    """

    def __init__(self, source: HistorySource, symbol: str, timeframe: str, *, store: Callable[[OHLCV, str], None],
                 now: Callable[[], datetime], delay: float = 1.0, progress: Callable[[int, int], None] | None = None,
                 origin: str = "", sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if timeframe not in FETCH_TIMEFRAMES:
            raise InputError(f"timeframe '{timeframe}' is not one of {', '.join(FETCH_TIMEFRAMES)}")
        if not 0 <= delay <= 60:
            raise InputError("the delay between Kraken calls must be 0 to 60 seconds")
        self._src, self._symbol, self._tf = source, symbol, timeframe
        self._step = FETCH_TIMEFRAMES[timeframe]
        self._store, self._now, self._delay, self._sleep = store, now, float(delay), sleep
        self._progress = progress
        self.sources = (SOURCE_TRADES + origin, SOURCE_OHLC + origin)
        self.report = FetchReport(symbol, timeframe)
        self._start_ms = 0
        self._total_ms = 1
        self._last_stored: int | None = None

    async def run(self, start: datetime, stop: datetime | None = None) -> FetchReport:
        """Fetch and store every closed candle opening at or after start (rounded up to the timeframe) and before
        stop (default: up to now). The report adds up over several runs of one fetch."""
        cursor = -(-to_ms(start) // self._step) * self._step
        end = to_ms(stop) if stop is not None else None
        self._start_ms, self._last_stored = cursor, None
        self._total_ms = max((end if end is not None else to_ms(self._now())) - cursor, 1)
        while end is None or cursor < end:
            candles = await self._call(self._src.fetch_ohlcv, self._symbol, self._tf)
            committed = sorted(candles, key=lambda c: c.timestamp)[:-1]  # the last row is still forming
            if committed:
                boundary = to_ms(committed[0].timestamp)
            elif candles:
                boundary = to_ms(candles[-1].timestamp)
            else:
                boundary = to_ms(self._now()) // self._step * self._step
            if end is not None:
                boundary = min(boundary, end)
            if cursor < boundary:  # older than the OHLC window: rebuild from trades, then look at OHLC again
                cursor = await self._trades(cursor, boundary)
                continue
            bars = [(to_ms(c.timestamp), c.open, c.high, c.low, c.close, c.volume) for c in committed
                    if to_ms(c.timestamp) >= cursor and (end is None or to_ms(c.timestamp) < end)]
            self._keep(bars, SOURCE_OHLC)
            break
        self._tick(self._start_ms + self._total_ms)
        return self.report

    async def _call(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        if self.report.calls and self._delay:
            await self._sleep(self._delay)
        self.report.calls += 1
        return await fn(*args)

    async def _trades(self, cursor: int, boundary: int) -> int:
        """Aggregate public trades from cursor until boundary; every bar before boundary is stored. Returns boundary."""
        since_ns = cursor * 1_000_000 - 1  # Kraken's since is exclusive: keep a trade at exactly the cursor
        bars, top_id = _Bars(self._step), -1
        while True:
            rows, last = await self._call(self._src.fetch_trades_page, self._symbol, since_ns, PAGE)
            self.report.pages += 1
            reached, latest = False, None
            for row in rows:
                ms, price, volume, tid = _trade(row)
                if tid is not None:
                    if tid <= top_id:
                        continue  # already seen on the previous page
                    top_id = tid
                self.report.trades += 1
                latest = ms
                if ms >= boundary:
                    reached = True
                    break
                if ms >= cursor:
                    bars.add(ms, price, volume)
            done = reached or not rows or last is None or last <= since_ns
            if done:
                bars.close_current()  # its period ends at or before boundary, which is in the past
            self._keep(bars.take(), SOURCE_TRADES)
            if latest is not None:
                self._tick(min(latest, boundary))
            if done:
                return boundary
            since_ns = last

    def _keep(self, bars: list[Bar], kind: str) -> None:
        if not bars:
            return
        source = self.sources[0] if kind == SOURCE_TRADES else self.sources[1]
        self._store(_ohlcv(bars), source)
        r = self.report
        for b in bars:
            if self._last_stored is not None:
                r.gaps += max((b[0] - self._last_stored) // self._step - 1, 0)
            self._last_stored = b[0]
        if kind == SOURCE_TRADES:
            r.from_trades += len(bars)
        else:
            r.from_ohlc += len(bars)
        r.first = r.first or from_ms(bars[0][0])
        r.last = from_ms(bars[-1][0])

    def _tick(self, at_ms: int) -> None:
        if self._progress is not None:
            self._progress(min(max(at_ms - self._start_ms, 0), self._total_ms), self._total_ms)
