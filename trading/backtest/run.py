"""What the backtest's front ends share (`zyn backtest`, the run_backtest tool): period, market, candles, settings.

Light to import: the numeric modules load inside the functions, so `zyn --help` and the service start quickly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from trading.clock import from_ms, to_ms
from trading.domain import Market
from trading.errors import InputError, UnknownPairError
from trading.pairs import normalize_pair

if TYPE_CHECKING:
    from trading.backtest.engine import BacktestResult, BacktestSettings
    from trading.config import TradingConfig
    from trading.decision.indicators import OHLCV

_FINE_STEP = Decimal("0.00000001")


class PaperMoney(Protocol):
    """The paper simulator's money and costs (bot.settings.Settings and tools.context.ToolContext carry them)."""

    paper_starting_balance: Decimal
    paper_maker_fee: Decimal
    paper_taker_fee: Decimal
    paper_slippage_bps: Decimal


def parse_when(text: str | None, label: str) -> datetime | None:
    """A YYYY-MM-DD (or ISO date-time) as an aware UTC datetime; None stays None."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{label} '{text}' is not a date; write it like 2024-01-31") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def check_period(start: datetime | None, end: datetime | None, now: datetime | None, *,
                 names: tuple[str, str] = ("start", "end"), max_days: int | None = None) -> None:
    """Refuse a future (when now is given), backwards or too long period with one clear line."""
    first, last = names
    # The end is exclusive: tomorrow's date means "up to now".
    if now is not None and end is not None and end > now + timedelta(days=1):
        raise InputError(f"{last} {end:%Y-%m-%d} is in the future")
    if now is not None and start is not None and start >= now:
        raise InputError(f"{first} {start:%Y-%m-%d} is in the future")
    if start is not None and end is not None:
        if start >= end:
            raise InputError(f"{first} {start:%Y-%m-%d} must be before {last} {end:%Y-%m-%d}")
        if max_days is not None and end - start > timedelta(days=max_days):
            raise InputError(f"{first} {start:%Y-%m-%d} to {last} {end:%Y-%m-%d} is {(end - start).days} days; "
                             f"at most {max_days}")


def market_for(text: str, markets: Mapping[str, Market], *, quote: str | None = None, hint: str = "",
               unbundled_ok: bool = False) -> tuple[Market, bool]:
    """The bundled replay market for a pair spelling: (market, True).

    quote lets a lone asset name stand for its pair ("eth" -> ETH/USD). A pair the bundle lacks is an
    UnknownPairError (message + hint), or with unbundled_ok a stand-in with fine steps and no minimums
    (candles from a file: their prices rule): (market, False).
    """
    symbol = _symbol(text, quote)
    if symbol in markets:
        return markets[symbol], True
    if not unbundled_ok:
        raise UnknownPairError(f"no bundled history for {symbol} (offline history has "
                               f"{', '.join(sorted(markets))}){hint}")
    base, quote_asset = symbol.split("/")
    return Market(symbol=symbol, exchange_id=base + quote_asset, altname=base + quote_asset, base=base,
                  quote=quote_asset, price_step=_FINE_STEP, amount_step=_FINE_STEP, min_amount=_FINE_STEP,
                  min_cost=Decimal("0")), False


def pair_symbol(text: str, quote: str | None = None) -> str:
    """The pair a spelling means; a lone asset name with quote ("eth" -> ETH/USD); UnknownPairError otherwise."""
    return _symbol(text, quote)


def _symbol(text: str, quote: str | None) -> str:
    try:
        return normalize_pair(text)
    except UnknownPairError as exc:
        if quote:
            try:
                return normalize_pair(f"{text.strip()}/{quote}")  # a lone asset: "eth" means ETH/USD
            except UnknownPairError:
                pass
        raise exc from None


def config_for(cfg: TradingConfig, strategy: str | None) -> TradingConfig:
    """cfg with one strategy forced; None, "auto" or "regime" lets the regime pick (as the autopilot does)."""
    if strategy is None or strategy.strip().lower() in ("auto", "regime"):
        return cfg if strategy is None else cfg.model_copy(update={"strategy": None})
    from trading.decision.strategies import get_strategy

    return cfg.model_copy(update={"strategy": get_strategy(strategy.strip().lower()).name})


def backtest_settings(money: PaperMoney, sizing: str = "risk", cfg: TradingConfig | None = None) -> BacktestSettings:
    """BacktestSettings with the paper simulator's starting balance, fees and slippage, and the autopilot's entry
    mode when cfg is given (entry="maker" backtests its post-only entries and their timeout)."""
    from trading.backtest.engine import BacktestSettings

    entry = {"entry": cfg.entry, "maker_timeout_bars": cfg.maker_timeout_bars} if cfg is not None else {}
    return BacktestSettings(starting_balance=money.paper_starting_balance, sizing=sizing,  # type: ignore[arg-type]
                            maker_fee=money.paper_maker_fee, taker_fee=money.paper_taker_fee,
                            slippage_bps=money.paper_slippage_bps, **entry)


def replay_candles(symbol: str, start: datetime, end: datetime, now: datetime) -> OHLCV:
    """Closed 5-minute candles of the bundled history opening in [start, min(end, now)), at their real dates.

    An InputError in one line when the period is outside the bundled data's real span. Blocking (it parses
    the bundled file once per process): for the CLI or a worker thread.
    """
    from trading.backtest.data import replay_history

    return replay_history(symbol, start, min(end, now))


class HeldSet(Protocol):
    """What a candle store holds for one pair and timeframe (memory.stores.candles.CandleSet)."""

    first: datetime
    sources: tuple[str, ...]

    @property
    def end(self) -> datetime: ...


@runtime_checkable
class CandleSource(Protocol):
    """The local candle store (memory's Database): what it holds, and a span of it."""

    def candle_set(self, pair: str, timeframe: str = "5m") -> HeldSet | None: ...

    def load_candles(self, pair: str, timeframe: str = "5m", start: datetime | None = None,
                     end: datetime | None = None) -> OHLCV: ...


_STEP = timedelta(minutes=5)


@dataclass(frozen=True)
class History:
    """The candles of one backtest: the warm-up before the asked period, then the period ([trade_from:])."""

    ohlcv: OHLCV
    trade_from: int  # the first candle of the asked period; the ones before only warm the indicators up
    source: str  # what the candles are, for the text and the chart
    kind: str  # "store", "replay" or "file"
    data_end: datetime | None = None  # the close of the source's last candle


def warmup_span(cfg: TradingConfig) -> timedelta:
    """The history a backtest needs before its start: the stack's warm-up candles (+1, as the walk-forward)."""
    return (cfg.warmup + 1) * _STEP


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600  # rounded up: never less than is needed
    return f"{math.ceil(hours)} h" if hours < 72 else f"{math.ceil(hours / 2.4) / 10:.1f} days"


def _ceil_day(at: datetime) -> datetime:
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return day if day == at else day + timedelta(days=1)


def earliest_start(first: datetime, cfg: TradingConfig) -> datetime:
    """The first whole UTC day a backtest can start on when the data begins at first (its warm-up held)."""
    return _ceil_day(first + warmup_span(cfg))


def _need_history(what: str, first: datetime, start: datetime, cfg: TradingConfig) -> None:
    """InputError when the source has no warm-up history before start, saying what is missing."""
    if first <= start - warmup_span(cfg):
        return
    raise InputError(f"{what} starts {first:%Y-%m-%d %H:%M} UTC; a backtest from {start:%Y-%m-%d} needs "
                     f"{_hours(warmup_span(cfg))} of history before it (the indicators' warm-up): ask from "
                     f"{earliest_start(first, cfg):%Y-%m-%d}")


def store_set(store: CandleSource | None, symbol: str) -> HeldSet | None:
    """What the store holds of symbol's 5-minute candles (None without a store or a set)."""
    return None if store is None else store.candle_set(symbol, "5m")


def store_label(symbol: str, held: HeldSet) -> str:
    """The 'Data' line of a backtest on the candle store: its provenance and span."""
    return (f"candle store: {symbol} 5m candles {held.first:%Y-%m-%d %H:%M} → {held.end:%Y-%m-%d %H:%M} UTC "
            f"from {'; '.join(held.sources) or 'unknown source'}")


def load_history(symbol: str, start: datetime | None, end: datetime | None, cfg: TradingConfig, *,
                 now: datetime | None = None, store: CandleSource | None = None,
                 file: str | Path | None = None) -> History:
    """The candles of [start, end) with the warm-up before start from the same source, for run_backtest's
    trade_from: a file, else the candle store when it holds the pair, else the bundled replay at its real dates.

    Refused in one line when the period is outside the source's real span (never relabelled), or when the
    source has no warm-up history before start (what is missing, and the first day that works). A file with
    no start: its first candles warm up, the period begins after them. Blocking: for the CLI or a thread.
    """
    from trading.backtest.data import load_candles, replay_history, slice_range

    warm = warmup_span(cfg)
    note = f"; the {_hours(warm)} before the start warm the indicators up (no trades)"
    if file is not None:
        every = load_candles(file)
        if len(every) == 0:
            raise InputError(f"{file}: no candles in the file")
        first = from_ms(int(every.timestamps[0]))
        if start is None:
            start = first + warm
        _need_history(f"the candle file {file}", first, start, cfg)
        ohlcv = slice_range(every, start - warm, end)
        return _history(ohlcv, start, f"file {file}" + note, "file", cfg)
    if start is None or end is None:
        raise InputError("give the period's start and end")
    held = store_set(store, symbol)
    if held is not None and store is not None:
        first_day = held.first.replace(hour=0, minute=0, second=0, microsecond=0)
        if start < first_day or end > held.end + timedelta(days=1) or start >= held.end:
            raise InputError(f"{start:%Y-%m-%d} → {end:%Y-%m-%d} is outside the stored {symbol} candles "
                             f"({held.first:%Y-%m-%d %H:%M} → {held.end:%Y-%m-%d %H:%M} UTC); import more "
                             f"(zyn data import FILE) or fetch it (zyn data fetch {symbol} --since "
                             f"{start - warm:%Y-%m-%d})")
        _need_history(f"the candle store's {symbol} 5m history", held.first, start, cfg)
        ohlcv = store.load_candles(symbol, "5m", start - warm, end)
        return _history(ohlcv, start, store_label(symbol, held) + note, "store", cfg, held.end)
    from trading.exchange.feeds.provenance import check_span, replay_origins

    if symbol not in replay_origins():
        raise UnknownPairError(f"no history for {symbol}: import it (zyn data import FILE) or fetch it "
                               f"(zyn data fetch {symbol} --since DATE)")
    last = min(end, now) if now is not None else end
    origin = check_span(symbol, start, last)  # the asked period inside the real span, or refused
    _need_history(f"the bundled {symbol} history ({origin.source_pair} candles)", origin.first_open, start, cfg)
    ohlcv = replay_history(symbol, start - warm, last)
    return _history(ohlcv, start, replay_label(symbol) + note, "replay", cfg, origin.end)


def _history(ohlcv: OHLCV, start: datetime, source: str, kind: str, cfg: TradingConfig,
             data_end: datetime | None = None) -> History:
    import numpy as np

    trade_from = int(np.searchsorted(ohlcv.timestamps, to_ms(start), "left"))
    if len(ohlcv) - trade_from < 2:
        raise InputError(f"{len(ohlcv) - trade_from} candles in the period are too few to backtest; widen it")
    return History(ohlcv, trade_from, source, kind, data_end)


def backtest_period(history: History, market: Market, cfg: TradingConfig, settings: BacktestSettings, *,
                    progress: Callable[[int, int], None] | None = None) -> tuple[BacktestResult, float | None]:
    """run_backtest over the history, trading only in the asked period, and the result of that period alone:
    its equity curve, times and metrics start at the period's first candle (the warm-up is flat at the starting
    balance and traded nothing), with the pair's buy and hold over the same candles (first close to last)."""
    from dataclasses import replace

    from trading.backtest.engine import run_backtest
    from trading.backtest.metrics import compute_metrics

    ohlcv, k = history.ohlcv, history.trade_from
    result = run_backtest(ohlcv, market, cfg, settings, progress=progress, trade_from=k)
    if k:
        times, equity = result.times[k:], result.equity[k:]
        bars_per_year = max(1, round(365 * 86_400_000 / _bar_ms(times)))
        result = replace(result, times=times, equity=equity,
                         metrics=compute_metrics(equity, times, result.trades, result.fees, bars_per_year))
    first, last = float(ohlcv.close[k]), float(ohlcv.close[-1])
    return result, (last / first - 1.0) if first > 0 else None


def _bar_ms(times) -> int:  # noqa: ANN001 - an int64 array
    import numpy as np

    return int(np.median(np.diff(times[-1000:]))) if len(times) > 1 else 300_000


def chart_name(symbol: str, first: datetime, last: datetime) -> str:
    """'BTC_USD_2024-01-01_2024-02-01' (no extension)."""
    return f"{symbol.replace('/', '_')}_{first:%Y-%m-%d}_{last:%Y-%m-%d}"


def replay_label(symbol: str) -> str:
    """The 'Data' line of a backtest on the bundled replay: what its candles really are."""
    from trading.exchange.feeds.provenance import backtest_label

    return backtest_label(symbol)


def render_chart(result: BacktestResult, path: Path, source: str = "") -> Path:
    """The equity and drawdown PNG, or an InputError naming the path that cannot be written."""
    from trading.charts.backtest import default_title, render_equity_chart

    try:
        return render_equity_chart(result, path, default_title(result), source)
    except OSError as exc:
        raise InputError(f"cannot write the chart to {path}: {exc.strerror or exc}") from None
