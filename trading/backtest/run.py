"""What the backtest's front ends share (`zyn backtest`, the run_backtest tool): period, market, candles, settings.

Light to import: the numeric modules load inside the functions, so `zyn --help` and the service start quickly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

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


def require_warmup(ohlcv: OHLCV, cfg: TradingConfig) -> None:
    """InputError when the candles are too few for the indicators to warm up and still trade."""
    need = cfg.warmup + 2
    if len(ohlcv) < need:
        raise InputError(f"{len(ohlcv)} candles in the period are too few: the indicators need {need} "
                         f"(about {need * 5 / 60:.0f} hours of 5-minute candles); widen the period")


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
