"""The universe in force for a tick: the configured pairs, or today's choice of the most liquid pairs (made at the
first tick of each UTC day, at start and after a change of its settings), plus every pair still held, so its exits
carry on after it drops out. Each choice is recorded with its evidence for chat and status to explain.

Kraken's markets and 24h volumes come through the exchange (MarketOverview: Kraken itself, or the paper simulator in
front of Kraken's public feed); the offline replay has no volumes, so offline the universe is the replay's pairs,
labelled as such. When Kraken cannot be read the last choice (or the configured pairs) stays, and it tries again
an hour later.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from loguru import logger

from trading.clock import Clock
from trading.errors import OfflineError, ZynError
from trading.exchange.base import Exchange, MarketOverview, PositionBook
from trading.universe import (
    CONFIGURED,
    FALLBACK,
    Candidate,
    UniverseChoice,
    choose,
    choose_offline,
    rank,
    settings_key,
)

if TYPE_CHECKING:
    from trading.config import TradingConfig

_log = logger.bind(component="universe")
RETRY_AFTER = timedelta(hours=1)  # after Kraken's markets could not be read
FRESH = timedelta(days=1)  # the local candle store's history counts when its newest candle is this recent
MAX_CHECKS = 3  # history is asked of at most size x this many of the most liquid candidates (and 2 more)


@runtime_checkable
class UniverseRecord(Protocol):
    """Where the choices are kept (memory's Database)."""

    def record_universe_choice(self, choice: UniverseChoice) -> int: ...

    def latest_universe_choice(self) -> UniverseChoice | None: ...


@runtime_checkable
class HeldCandles(Protocol):
    """The local candle store's count of a pair's candles and its newest one (memory's Database)."""

    def held_candles(self, pair: str, timeframe: str = "5m") -> tuple[int, datetime | None]: ...


def configured(cfg: TradingConfig, quote: str) -> UniverseChoice:
    """The configured pairs, as a choice (for status when no universe_size is set)."""
    return UniverseChoice(pairs=tuple(cfg.universe), how=CONFIGURED, at=None, quote=quote)


def key_of(cfg: TradingConfig, quote: str, source: str = "") -> str:
    """The settings and the data source (Kraken or the replay) a choice is made under."""
    where = "replay" if "replay" in source.lower() else source.split()[0] if source else ""
    return f"{where}|" + settings_key(cfg.universe_size or 0, quote, cfg.warmup, cfg.universe_exclude,
                                     cfg.universe_min_volume)


class UniverseKeeper:
    def __init__(self, exchange: Exchange, store: object, clock: Clock, *, quote: str = "USD") -> None:
        self.exchange, self.clock, self.quote, self.store = exchange, clock, quote, store
        self.record = store if isinstance(store, UniverseRecord) else None
        self.candles = store if isinstance(store, HeldCandles) else None
        self.current: UniverseChoice | None = None
        self._failed_at: datetime | None = None
        self.held: tuple[str, ...] = ()  # pairs outside the choice still evaluated for their exits (last tick)

    async def pairs(self, cfg: TradingConfig) -> tuple[str, ...]:
        """The pairs this tick evaluates."""
        if cfg.universe_size is None:
            self.held = ()
            return tuple(cfg.universe)
        choice = await self.choice(cfg)
        self.held = tuple(s for s in await self._held() if s not in choice.pairs)
        return (*choice.pairs, *self.held)

    async def choice(self, cfg: TradingConfig) -> UniverseChoice:
        """Today's choice under these settings: reused, or made now (and recorded)."""
        if cfg.universe_size is None:
            return configured(cfg, self.quote)
        now, key = self.clock.now(), key_of(cfg, self.quote, str(self.exchange.source))
        cur = self.current or (self.record.latest_universe_choice() if self.record is not None else None)
        if cur is not None and cur.key == key:
            # Today's choice stands; one that found no pair is tried again an hour later.
            if cur.how != FALLBACK and cur.day == now.date() and (cur.pairs or cur.at is None or
                                                                   now - cur.at < RETRY_AFTER):
                self.current = cur
                return cur
            if cur.how == FALLBACK and self._failed_at is not None and now - self._failed_at < RETRY_AFTER:
                return cur
        try:
            new = await self._choose(cfg, now, key)
            self._failed_at = None
        except Exception as exc:  # noqa: BLE001 - the tick trades on with what it had
            self._failed_at = now
            why = exc.message if isinstance(exc, ZynError) else f"{type(exc).__name__}: {exc}"
            last = cur if cur is not None and cur.pairs and cur.how != CONFIGURED else None
            keep = last.pairs if last is not None else tuple(cfg.universe)
            new = UniverseChoice(pairs=keep, how=FALLBACK, at=now, quote=self.quote, size=cfg.universe_size,
                                 volumes=dict(last.volumes) if last else {}, history=dict(last.history) if last else {},
                                 note=f"{why}; " + ("kept the last choice" if last else "kept the configured pairs"),
                                 warmup=cfg.warmup, key=key)
            _log.warning("universe not chosen: {}", new.note)
        if self.record is not None:
            new = replace(new, at=new.at or now)
            self.record.record_universe_choice(new)
        self.current = new
        _log.info("universe: {}", new.summary())
        return new

    async def _choose(self, cfg: TradingConfig, now: datetime, key: str) -> UniverseChoice:
        size, warmup = int(cfg.universe_size or 0), cfg.warmup
        markets = await self.exchange.load_markets()
        mine = [m for m in markets.values() if m.quote.upper() == self.quote.upper()]
        tickers = None
        if isinstance(self.exchange, MarketOverview):
            try:
                tickers = await self.exchange.fetch_tickers([m.symbol for m in mine if m.active])
            except OfflineError:
                tickers = None  # the offline replay behind the paper simulator
        if tickers is None:
            cands = sorted((Candidate.of(m, None) for m in mine), key=lambda c: c.symbol)
            history = {c.symbol: await self._history(c.symbol, warmup, cfg.history, now)
                       for c in cands[: size * MAX_CHECKS + 2]}
            return choose_offline(cands, history, quote=self.quote, size=size, warmup=warmup, at=now,
                                  exclude=cfg.universe_exclude, note=str(self.exchange.source), key=key)
        cands = [Candidate.of(m, tickers[m.symbol].quote_volume_24h if m.symbol in tickers else None) for m in mine]
        ranked, _ = rank(cands, quote=self.quote, exclude=cfg.universe_exclude, min_volume=cfg.universe_min_volume)
        history: dict[str, int | None] = {}
        taken = 0
        for c in ranked[: size * MAX_CHECKS + 2]:
            if taken >= size:
                break
            history[c.symbol] = n = await self._history(c.symbol, warmup, cfg.history, now)
            taken += n >= warmup
        return choose(cands, history, quote=self.quote, size=size, warmup=warmup, at=now,
                      exclude=cfg.universe_exclude, min_volume=cfg.universe_min_volume, key=key)

    async def _history(self, symbol: str, warmup: int, window: int, now: datetime) -> int:
        """5m candles available to warm a tick up: the local store's (when recent), else what OHLC serves now (asked
        for the tick's own window, so the count is what a tick will see)."""
        stored = 0
        if self.candles is not None:
            n, newest = self.candles.held_candles(symbol, "5m")
            stored = n if newest is not None and now - newest <= FRESH else 0
            if stored >= warmup:
                return stored
        candles = await self.exchange.fetch_ohlcv(symbol, "5m", limit=max(warmup, window) + 1)
        return max(stored, sum(1 for c in candles if c.closed))

    async def _held(self) -> list[str]:
        """Pairs with a holding, or with a maker entry that may still rest: their exits (and the resting entry's
        timeout) must be evaluated even after they leave the universe."""
        resting: set[str] = set()
        if hasattr(self.store, "resting_maker_intents"):
            try:
                resting = {i.symbol for i in self.store.resting_maker_intents()}  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001 - the chosen pairs still trade
                _log.warning("resting maker entries not read: {}", exc)
        try:
            if isinstance(self.exchange, PositionBook):
                held = {s for s, p in (await self.exchange.positions()).items() if p.amount > 0}
            else:
                markets = await self.exchange.load_markets()
                balances = await self.exchange.fetch_balances()
                held = {f"{a}/{self.quote}" for a, b in balances.items()
                        if a != self.quote and b.total > 0 and f"{a}/{self.quote}" in markets}
        except Exception as exc:  # noqa: BLE001 - the chosen pairs still trade
            _log.warning("held pairs not read: {}", exc)
            held = set()
        return sorted(held | resting)
