"""The offline replay feed: bundled real 5-minute candles, rescaled, replayed in a loop against an injectable clock.

What the candles really are (ETH/BTC, LTC/BTC and ADA/BTC of January 2018, prices multiplied to look like
BTC/USD, ETH/USD and SOL/USD) is in trading/data/replay.json and said by provenance.replay_note wherever
replay prices are shown. The 20-day series (see scripts/build_replay.py; no reversed or synthetic copy) is
laid onto today's clock from a fixed anchor, so every process and test that asks at the same instant sees
the same prices; where the loop wraps, price jumps from the last candle back to the first. Backtests do not
use this loop: they read the bundled rows at their real dates (bundled_rows) and refuse other dates.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import operator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

from trading.clock import Clock, utc
from trading.domain import Candle, Market, Ticker, quantize_down, quantize_up
from trading.errors import ExchangeError, InputError
from trading.pairs import resolve_pair

# Shown beside every replay price (ticker, status, portfolio, reports); provenance.replay_note says more.
REPLAY_SOURCE = "offline replay (rescaled 2018 altcoin/BTC candles, not real prices)"
ANCHOR = datetime(2024, 1, 1, tzinfo=UTC)  # the cycle's first candle opens here (and every cycle after)
STEP_S = 300  # the bundled candles are 5 minutes
TIMEFRAMES = {"5m": 300, "15m": 900, "1h": 3600, "4h": 14_400, "1d": 86_400}
DEFAULT_LIMIT = 720  # what Kraken's OHLC endpoint returns at most
MAX_LIMIT = 50_000  # silently capped, as exchanges do, so a huge limit cannot stall the event loop
TICKER_WINDOW = 86_400 // STEP_S  # the 24 h statistics span 288 candles

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = 1_000_000
_ANCHOR_S = int((ANCHOR - _EPOCH).total_seconds())
_VOLUME_STEP = Decimal("0.00000001")
_HEADER = ["offset_s", "open", "high", "low", "close", "volume"]

Bar = tuple[Decimal, Decimal, Decimal, Decimal, Decimal]  # open, high, low, close, volume


@dataclass(frozen=True, slots=True)
class _Series:
    """One market's replay cycle, row i opening i*5 minutes after a cycle starts."""

    rows: tuple[Bar, ...]
    step: Decimal  # the market's price step


def _epoch_us(when: datetime) -> int:
    """Whole microseconds since the Unix epoch (integers, so candle alignment has no float error)."""
    return (utc(when) - _EPOCH) // timedelta(microseconds=1)


def _from_s(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


def _read_bytes(data_dir: str, name: str) -> bytes:
    """A data file from data_dir, or from the installed package when data_dir is ""."""
    try:
        if data_dir:
            return (Path(data_dir) / name).read_bytes()
        return resources.files("trading.data").joinpath(name).read_bytes()
    except OSError as exc:
        raise ExchangeError(f"offline replay data '{name}' is missing ({exc.__class__.__name__})") from exc


@lru_cache(maxsize=8)
def _load_markets(data_dir: str) -> dict[str, Market]:
    """markets.json as domain Markets, once per process and folder."""
    try:
        doc = json.loads(_read_bytes(data_dir, "markets.json"))
        markets = {}
        for m in doc["markets"]:
            markets[m["symbol"]] = Market(
                symbol=m["symbol"], exchange_id=m["exchange_id"], altname=m["altname"], base=m["base"],
                quote=m["quote"], price_step=Decimal(m["price_step"]), amount_step=Decimal(m["amount_step"]),
                min_amount=Decimal(m["min_amount"]), min_cost=Decimal(m["min_cost"]),
                maker_fee=Decimal(m["maker_fee"]), taker_fee=Decimal(m["taker_fee"]),
            )
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise ExchangeError(f"offline replay markets.json is damaged: {exc}") from exc
    return markets


def data_filename(symbol: str) -> str:
    """Name of a market's bundled candle file: 'BTC/USD' -> 'BTC_USD-5m.csv.gz'."""
    return symbol.replace("/", "_") + "-5m.csv.gz"


@lru_cache(maxsize=32)
def _load_series(data_dir: str, symbol: str, step: Decimal) -> _Series:
    """A market's replay cycle, parsed once per process (Decimal from the stored strings: exact)."""
    name = data_filename(symbol)
    raw = _read_bytes(data_dir, name)
    rows: list[Bar] = []
    try:
        reader = csv.reader(io.StringIO(gzip.decompress(raw).decode("ascii")))
        if next(reader, None) != _HEADER:
            raise ValueError("unexpected header")
        for i, rec in enumerate(reader):
            if len(rec) != 6 or int(rec[0]) != i * STEP_S:
                # A hole would shift every later candle in time; refuse rather than replay it wrong.
                raise ValueError(f"row {i + 1} is out of sequence")
            rows.append((Decimal(rec[1]), Decimal(rec[2]), Decimal(rec[3]), Decimal(rec[4]), Decimal(rec[5])))
    except (OSError, EOFError, ValueError, ArithmeticError) as exc:
        raise ExchangeError(f"offline replay data '{name}' is damaged: {exc}") from exc
    if not rows:
        raise ExchangeError(f"offline replay data '{name}' is damaged: no candles")
    return _Series(tuple(rows), step)


def forming_bar(row: Bar, fraction: Decimal, step: Decimal) -> Bar:
    """The candle `fraction` (0..1) of the way through its 5 minutes.

    The price walks open -> low -> high -> close on an up candle (open -> high -> low -> close on a
    down one) at constant speed, so the ticker moves continuously, every extreme is reached before the
    candle closes, and at fraction 1 the result is the full row.
    """
    o, h, low, c, v = row
    path = (o, low, h, c) if c >= o else (o, h, low, c)
    remaining = fraction * sum(abs(b - a) for a, b in zip(path, path[1:], strict=False))
    price, seen_hi, seen_lo = o, o, o
    for a, b in zip(path, path[1:], strict=False):
        leg = abs(b - a)
        if remaining >= leg:
            remaining -= leg
            price, seen_hi, seen_lo = b, max(seen_hi, b), min(seen_lo, b)
            continue
        # Between two on-step prices, so rounding keeps it inside the full row's low..high.
        price = (a + (b - a) * remaining / leg).quantize(step, ROUND_HALF_EVEN)
        seen_hi, seen_lo = max(seen_hi, price), min(seen_lo, price)
        break
    return o, seen_hi, seen_lo, price, (v * fraction).quantize(_VOLUME_STEP, ROUND_DOWN)


def bundled_rows(symbol: str, data_dir: Path | None = None) -> tuple[str, tuple[Bar, ...]]:
    """A replay market's candles in order (row i opens 5*i minutes after its real first candle)."""
    directory = str(Path(data_dir).resolve()) if data_dir is not None else ""
    markets = _load_markets(directory)
    unified = resolve_pair(symbol, markets)
    return unified, _load_series(directory, unified, markets[unified].price_step).rows


def replay_symbols(data_dir: Path | None = None) -> list[str]:
    """The markets the replay carries (BTC/USD, ETH/USD, SOL/USD)."""
    return list(_load_markets(str(Path(data_dir).resolve()) if data_dir is not None else ""))


@dataclass(frozen=True)
class StoredSeries:
    """Real 5-minute candles of one replay market from the local candle store (memory's replay_series)."""

    symbol: str
    first_open: datetime  # the first candle's open (UTC)
    rows: tuple[Bar, ...]  # row i opens 5*i minutes after first_open
    filled_flat: int  # missing 5-minute slots filled flat at the previous close
    sources: tuple[str, ...]  # the store's provenance of the set

    @property
    def end(self) -> datetime:
        """The close of the last candle."""
        return self.first_open + len(self.rows) * timedelta(seconds=STEP_S)

    def short(self) -> str:
        """'offline replay of stored real BTC/USD candles 2026-03-07 → 2026-03-10' (for a ticker's source)."""
        return f"offline replay of stored real {self.symbol} candles {self.first_open:%Y-%m-%d} → {self.end:%Y-%m-%d}"

    def label(self) -> str:
        """'offline replay of real BTC/USD 5m candles (kraken OHLC) 2026-03-07 12:00 → 2026-03-10 12:00 UTC, ...'."""
        filled = f", {self.filled_flat} missing filled flat" if self.filled_flat else ""
        return (f"offline replay of real {self.symbol} 5m candles from the candle store ({'; '.join(self.sources)}) "
                f"{self.first_open:%Y-%m-%d %H:%M} → {self.end:%Y-%m-%d %H:%M} UTC{filled}, looped onto today's clock")


class ReplayFeed:
    """MarketFeed over the bundled candles, replayed in a loop on the given clock ("offline replay").

    stored: real candles from the candle store for some replay markets; those markets replay them instead of
    the bundled rescaled ones, and say so (source, every ticker's source).
    """

    def __init__(self, clock: Clock, *, data_dir: Path | None = None, spread_bps: Decimal = Decimal("2"),
                 stored: dict[str, StoredSeries] | None = None) -> None:
        if spread_bps < 0:
            raise InputError("the replay spread cannot be negative")
        self._clock = clock
        self._dir = str(Path(data_dir).resolve()) if data_dir is not None else ""
        self._spread = Decimal(spread_bps)
        self._stored = {k: v for k, v in (stored or {}).items() if v.rows}

    @property
    def source(self) -> str:
        """What the replay's prices are: the bundled label, or which markets replay real stored candles."""
        if not self._stored:
            return REPLAY_SOURCE
        from trading.exchange.feeds.provenance import replay_origins

        origins = replay_origins(self._dir)
        return "; ".join(self._stored[m].label() if m in self._stored else
                         f"offline replay: {origins[m].describe()}, rescaled, not real {m} prices"
                         for m in self._markets())

    def ticker_source(self, symbol: str) -> str:
        """The source of one market's prices (REPLAY_SOURCE when every market is the bundled replay)."""
        stored = self._stored.get(symbol)
        if stored is not None:
            return stored.short()
        if not self._stored:
            return REPLAY_SOURCE
        from trading.exchange.feeds.provenance import replay_origins

        o = replay_origins(self._dir)[symbol]
        return f"offline replay: {o.source_pair} ×{o.price_factor}, not real {symbol} prices"

    # --- data access -------------------------------------------------------------------------

    def _markets(self) -> dict[str, Market]:
        return _load_markets(self._dir)

    def _series(self, symbol: str) -> tuple[str, _Series]:
        """Unified symbol and its cycle; UnknownPairError for a pair the replay does not carry."""
        markets = self._markets()
        unified = resolve_pair(symbol, markets)
        stored = self._stored.get(unified)
        if stored is not None:
            return unified, _Series(stored.rows, markets[unified].price_step)
        return unified, _load_series(self._dir, unified, markets[unified].price_step)

    def _bar(self, series: _Series, start_s: int, now_us: int) -> tuple[Bar, bool]:
        """The 5-minute candle opening at start_s (aligned), as of now: (bar, closed)."""
        rows = series.rows
        row = rows[((start_s - _ANCHOR_S) // STEP_S) % len(rows)]
        elapsed_us = now_us - start_s * _US
        if elapsed_us >= STEP_S * _US:
            return row, True
        return forming_bar(row, Decimal(elapsed_us) / (STEP_S * _US), series.step), False

    def _aggregate(self, series: _Series, start_s: int, tf: int, now_us: int) -> tuple[Bar, bool]:
        """The tf-second candle opening at start_s, built from its 5-minute candles up to now."""
        last_5m = min(start_s + tf - STEP_S, (now_us // (STEP_S * _US)) * STEP_S)
        bars = [self._bar(series, s, now_us)[0] for s in range(start_s, last_5m + STEP_S, STEP_S)]
        closed = now_us >= (start_s + tf) * _US
        return (
            bars[0][0],
            max(b[1] for b in bars),
            min(b[2] for b in bars),
            bars[-1][3],
            sum((b[4] for b in bars), Decimal(0)),
        ), closed

    # --- MarketFeed ----------------------------------------------------------------------------

    async def load_markets(self) -> dict[str, Market]:
        """The replayed markets (BTC/USD, ETH/USD, SOL/USD) with Kraken's rules."""
        return dict(self._markets())

    async def fetch_ticker(self, symbol: str) -> Ticker:
        """Last price of the forming candle, a symmetric spread around it, and 24 h statistics."""
        unified, series = self._series(symbol)
        now = self._clock.now()
        now_us = _epoch_us(now)
        current = (now_us // (STEP_S * _US)) * STEP_S
        bars = [self._bar(series, current - k * STEP_S, now_us)[0] for k in range(TICKER_WINDOW - 1, -1, -1)]
        last, step = bars[-1][3], series.step
        half = last * self._spread / Decimal(20_000)
        # Bid rounds down and ask up, and each is at least one step away, so bid < last < ask always.
        bid = min(quantize_down(last - half, step), last - step)
        ask = max(quantize_up(last + half, step), last + step)
        return Ticker(
            symbol=unified, bid=bid, ask=ask, last=last, timestamp=utc(now), source=self.ticker_source(unified),
            high_24h=max(b[1] for b in bars), low_24h=min(b[2] for b in bars),
            volume_24h=sum((b[4] for b in bars), Decimal(0)), open_24h=bars[0][0],
        )

    async def fetch_ohlcv(
        self, symbol: str, timeframe: str = "5m", since: datetime | None = None, limit: int | None = None
    ) -> list[Candle]:
        """Candles oldest first, the last one forming (closed=False); since/limit as in ccxt.

        Without since: the `limit` latest candles ending with the forming one. With since: candles
        opening at or after since, at most `limit`, never past now. Longer timeframes are built from
        the 5-minute candles, aligned to UTC.
        """
        tf = TIMEFRAMES.get(timeframe)
        if tf is None:
            raise InputError(f"timeframe '{timeframe}' is not available offline; use one of {', '.join(TIMEFRAMES)}")
        try:
            limit = DEFAULT_LIMIT if limit is None else min(operator.index(limit), MAX_LIMIT)
        except TypeError:
            limit = 0
        if limit < 1:
            raise InputError("limit must be a whole number of candles, at least 1")
        unified, series = self._series(symbol)
        now_us = _epoch_us(self._clock.now())
        current = (now_us // (tf * _US)) * tf
        if since is None:
            first = current - (limit - 1) * tf
        else:
            first = -(-_epoch_us(since) // (tf * _US)) * tf  # the first candle opening at or after since
        last = min(first + (limit - 1) * tf, current)
        out = []
        for start in range(first, last + 1, tf):
            if tf == STEP_S:
                bar, closed = self._bar(series, start, now_us)
            else:
                bar, closed = self._aggregate(series, start, tf, now_us)
            out.append(Candle(unified, _from_s(start), *bar, closed=closed))
        return out

    async def close(self) -> None:
        """Nothing to release: the data stays cached for the process."""
