"""The closed 5-minute candles a tick decides on: the feed's latest, plus the history a long warm-up needs.

A 4h trend (trend_timeframe = "4h", SMA 50 of closed 4h bars) needs about 2,448 five-minute candles (8.5 days),
but Kraken's OHLC serves at most 720 of an interval (2.5 days, the forming one included). The design:

- The decision code only ever sees real closed 5-minute candles, as in backtests (which aggregate 1h and 4h from
  5m the same way, trading/decision/timeframes.py). Kraken's own 1h/4h candles are NOT mixed in: they would be a
  second path into the decisions that no backtest takes, and the 5-minute indicators need 5-minute bars anyway.
- Kraken's candles the tick sees are kept in the local candle store (memory/stores/candles.py, the store that
  `zyn data import|fetch` fill) with the provenance "autopilot live feed", an hour's worth at a time (a crash
  loses nothing: Kraken still serves those 2.5 days at the next start). The offline replay's candles are never
  kept: they are not real prices.
- The first tick of a process reads what Kraken's window lacks from the store, only the window the warm-up needs and
  only candles opening before the feed's first one (nothing after the decision candle can come in: no
  look-ahead). Later ticks fetch the feed's latest as before and add the new candles to an in-memory window
  (trimmed to what the stack reads), so the store is read again only while the history is still short (at most
  hourly, to notice a `zyn data fetch` run meanwhile).
- The offline replay has its whole series: the first tick simply asks it for the full window.
- While the history is still too short, the evaluation row says exactly why and when trading can start
  (Shortfall.text), and `zyn auto-config`/`zyn doctor` warn when the live feed alone cannot supply it.
No automatic back-fill from Kraken's public Trades at start: rebuilding 6 days of a liquid pair is hundreds of
paged public calls sharing the tick's rate budget; `zyn data fetch PAIR --since DATE` does it on request, into
the same store, and the explanation names that command with the date it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from trading.clock import from_ms
from trading.domain import Candle

if TYPE_CHECKING:
    from trading.config import TradingConfig
    from trading.decision.evaluation import Evaluation
    from trading.decision.indicators import OHLCV
    from trading.exchange.base import MarketFeed

CANDLE = timedelta(minutes=5)
LIVE_FEED = "autopilot live feed"  # the candle store's provenance of the candles the autopilot kept
FEED_WINDOW = 720  # Kraken's OHLC serves at most this many candles of an interval, the forming one included
SAVE_EVERY = 12  # new closed candles kept in the store once an hour's worth is waiting (and at the first tick)
STORE_RECHECK = timedelta(hours=1)  # while short, the store is looked at again at most this often


@runtime_checkable
class CandleArchive(Protocol):
    """The local candle store (memory's Database has it): what the autopilot keeps and reads its warm-up from."""

    def add_candles(self, pair: str, timeframe: str, ohlcv: OHLCV, *, source: str, at: datetime) -> Any:
        """Store the candles not held yet."""
        ...

    def load_candles(self, pair: str, timeframe: str = "5m", start: datetime | None = None,
                     end: datetime | None = None) -> OHLCV:
        """The stored candles opening in [start, end), oldest first."""
        ...


def _days(candles: int) -> str:
    return f"{candles * 5 / 1440:.1f} days"


def needed(cfg: TradingConfig) -> tuple[int, str]:
    """(5-minute candles the stack needs before it can decide, what needs them: '4h trend', '1h timeframe' ...)."""
    from trading.decision.timeframes import tf_label

    h = cfg.indicators.higher
    if cfg.uses_higher_timeframe and h.warmup >= cfg.indicators.warmup:
        own = (max(h.sma_fast, h.sma_slow, h.atr_period + 1, h.channel, h.exit_channel, h.trail_period) + 1) * (
            h.minutes // 5)
        if h.trend_minutes != h.minutes and h.warmup > own:
            return h.warmup, f"{tf_label(h.trend_minutes)} trend"
        return h.warmup, f"{tf_label(h.minutes)} timeframe"
    return cfg.indicators.warmup, "5-minute indicators"


def window(cfg: TradingConfig) -> int:
    """Closed candles a tick keeps: the configured history, or the warm-up and one trend bar more when longer."""
    need, _ = needed(cfg)
    return max(cfg.history, need + cfg.indicators.higher.trend_minutes // 5)


@dataclass(frozen=True)
class Shortfall:
    """Why a symbol still warms up: what it needs, what it has, and when (or how) that changes."""

    symbol: str
    what: str  # "4h trend"
    need: int  # 5-minute candles
    have: int  # closed candles held
    first: datetime | None  # the first held candle's open
    last: datetime | None  # the last held candle's open
    keeps: bool  # whether the candles seen are kept (Kraken with a store), so time alone fills the history
    missing: int = 0  # 5-minute slots without a candle between first and last

    @property
    def span(self) -> int:
        """5-minute slots from the first held candle to the last."""
        if self.first is None or self.last is None:
            return 0
        return (self.last - self.first) // CANDLE + 1

    @property
    def short(self) -> bool:
        return self.span < self.need

    @property
    def starts(self) -> datetime | None:
        """When the history will be long enough if every candle from now on is kept."""
        if self.first is None:
            return None
        return self.first + self.need * CANDLE

    @property
    def fetch_since(self) -> datetime | None:
        """The day `zyn data fetch --since` must start from for the history to be long enough now (a day to spare)."""
        if self.last is None:
            return None
        start = self.last + CANDLE - self.need * CANDLE - timedelta(days=1)
        return start.replace(hour=0, minute=0, second=0, microsecond=0)

    def text(self) -> str:
        """'4h trend needs 8.5 days of 5m candles (2448); have 2.5 days (719) of BTC/USD since ...; trading ...'."""
        held = (f"have {_days(self.span)} ({self.have}) since {self.first:%Y-%m-%d %H:%M} UTC"
                if self.first is not None else "have none")
        if self.missing:
            held += f", {self.missing} slots without a candle"
        since = self.fetch_since
        fetch = f"`zyn data fetch {self.symbol} --since {since:%Y-%m-%d}`" if since else "`zyn data fetch`"
        head = f"{self.what} needs {_days(self.need)} of 5m candles ({self.need}); {held}"
        if not self.short:
            return (f"{head}: long enough, but the indicators are not all computed yet (the gaps); {fetch} fills "
                    "them if Kraken has the trades")
        if self.keeps and self.starts is not None:
            return (f"{head}; trading starts ~{self.starts:%Y-%m-%d %H:%M} UTC as the autopilot keeps the candles "
                    f"it sees, or at once after {fetch}")
        return (f"{head}; the feed serves at most {_days(FEED_WINDOW - 1)} and its candles are not kept here, so "
                f"run {fetch}")


def feed_note(cfg: TradingConfig) -> str | None:
    """A warning when Kraken's OHLC window alone cannot warm the stack up (zyn auto-config), else None."""
    need, what = needed(cfg)
    if need <= FEED_WINDOW - 1:
        return None
    wait = need - (FEED_WINDOW - 1)
    return (f"the {what} needs {_days(need)} of 5-minute candles ({need}) but Kraken's OHLC serves only "
            f"{_days(FEED_WINDOW - 1)} ({FEED_WINDOW - 1} closed): the autopilot keeps the candles it sees in the "
            f"candle store and reads the rest from there, so from a first start it stands aside (warming up) for "
            f"about {_days(wait)} unless `zyn data fetch PAIR --since DATE` fills the store first (the evaluation "
            "log and zyn auto-status say for how long)")


def coverage(cfg: TradingConfig, symbol: str, stored: OHLCV, now: datetime, *, keeps: bool = True) -> Shortfall:
    """What a first tick at `now` would hold: Kraken's window of closed candles, plus the stored candles that
    reach it (zyn doctor's view, from the store alone)."""
    need, what = needed(cfg)
    last = (now - CANDLE).replace(second=0, microsecond=0)
    last -= timedelta(minutes=last.minute % 5)
    feed_first = last - (FEED_WINDOW - 2) * CANDLE
    first, have = feed_first, FEED_WINDOW - 1
    ts = [from_ms(int(t)) for t in stored.timestamps]
    if ts and ts[-1] + CANDLE >= feed_first and ts[0] < feed_first:
        first = ts[0]
        have += sum(1 for t in ts if t < feed_first)
    return Shortfall(symbol, what, need, have, first, last, keeps)


class LiveHistory:
    """Each symbol's closed 5-minute candles for the tick: the feed's latest, the store's older ones, kept."""

    def __init__(self, feed: MarketFeed, archive: CandleArchive | None, *, save: bool = True) -> None:
        self.feed, self.archive, self.save = feed, archive, save  # save=False: read the store, never write it
        self._held: dict[str, list[Candle]] = {}
        self._saved: dict[str, datetime] = {}  # the newest candle open kept in the store (or found there)
        self._looked: dict[str, datetime] = {}  # when the store was last read for a symbol
        self.store_reads = 0  # reads of the store (a figure for tests and benchmarks)

    @property
    def keeps(self) -> bool:
        """Whether the candles seen are kept: only Kraken's (real prices), and only with a store."""
        return self.archive is not None and str(getattr(self.feed, "source", "")).startswith("kraken")

    async def candles(self, symbol: str, cfg: TradingConfig, now: datetime) -> list[Candle]:
        """The closed candles up to now, oldest first: at most window(cfg) of them, as far back as known."""
        keep = window(cfg)
        held = self._held.get(symbol)
        limit = (keep if held is None else cfg.history) + 1  # the first tick asks for all (the replay has it)
        fetched = [c for c in await self.feed.fetch_ohlcv(symbol, "5m", limit=limit)
                   if c.closed and c.timestamp + CANDLE <= now]
        if fetched:
            cut = fetched[0].timestamp
            merged = [c for c in held or () if c.timestamp < cut] + fetched
        else:
            merged = list(held or ())
        if not merged:
            self._held[symbol] = []
            return []
        floor = merged[-1].timestamp - (keep - 1) * CANDLE
        if self.keeps and len(merged) < keep and merged[0].timestamp > floor and self._may_look(symbol, now):
            merged = self._from_store(symbol, floor, merged) + merged
        merged = merged[-keep:]  # by count, as the tick always read its history (the default: Kraken's 719)
        self._held[symbol] = merged
        if self.keeps and self.save:
            self._keep(symbol, fetched, now)
        return merged

    def _may_look(self, symbol: str, now: datetime) -> bool:
        last = self._looked.get(symbol)
        if last is not None and now - last < STORE_RECHECK:
            return False
        self._looked[symbol] = now
        return True

    def _from_store(self, symbol: str, start: datetime, merged: list[Candle]) -> list[Candle]:
        """The stored candles opening from start up to (not including) the first one held: never later."""
        assert self.archive is not None
        stored = self.archive.load_candles(symbol, "5m", start=start, end=merged[0].timestamp)
        self.store_reads += 1
        d = Decimal
        out = [Candle(symbol, from_ms(int(t)), d(repr(float(o))), d(repr(float(h))), d(repr(float(lo))),
                      d(repr(float(c))), d(repr(float(v))))
               for t, o, h, lo, c, v in zip(stored.timestamps, stored.open, stored.high, stored.low, stored.close,
                                            stored.volume, strict=True)]
        if out:
            self._saved.setdefault(symbol, out[-1].timestamp)
        return out

    def _keep(self, symbol: str, fetched: list[Candle], now: datetime) -> None:
        """Kraken's new closed candles into the store, an hour's worth at a time (all of them at the first tick)."""
        from trading.decision.indicators import OHLCV

        mark = self._saved.get(symbol)
        new = [c for c in fetched if mark is None or c.timestamp > mark]
        if not new or (mark is not None and len(new) < SAVE_EVERY):
            return
        assert self.archive is not None
        self.archive.add_candles(symbol, "5m", OHLCV.from_candles(new), source=LIVE_FEED, at=now)
        self._saved[symbol] = new[-1].timestamp

    def held(self, symbol: str) -> int:
        """Closed candles held for the symbol now (its window)."""
        return len(self._held.get(symbol) or ())

    def shortfall(self, symbol: str, cfg: TradingConfig) -> Shortfall:
        """What the symbol holds against what its stack needs."""
        need, what = needed(cfg)
        held = self._held.get(symbol) or []
        first = held[0].timestamp if held else None
        last = held[-1].timestamp if held else None
        s = Shortfall(symbol, what, need, len(held), first, last, self.keeps)
        return replace(s, missing=max(s.span - len(held), 0))

    def explain(self, ev: Evaluation, cfg: TradingConfig) -> Evaluation:
        """A warm-up row with the whole reason: what is needed, what is held, when trading can start."""
        return replace(ev, reasons=(*ev.reasons, self.shortfall(ev.symbol, cfg).text()))
