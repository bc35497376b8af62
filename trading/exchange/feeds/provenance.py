"""What the bundled offline replay really is (trading/data/replay.json), said the same way on every screen.

The replay's "BTC/USD", "ETH/USD" and "SOL/USD" are real January-2018 5-minute candles of ETH/BTC, LTC/BTC
and ADA/BTC with prices multiplied by a constant. Live (offline PAPER) it is looped onto today's clock; a
backtest on it runs only inside the real span, on the real dates, and refuses anything else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

from trading.errors import ExchangeError, InputError

STEP = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class ReplayOrigin:
    """Where one replay market's candles came from."""

    symbol: str  # the name the replay shows, e.g. "BTC/USD"
    source_pair: str  # what the candles really are, e.g. "ETH/BTC"
    first_open: datetime  # the real open time of the first candle (UTC)
    candles: int
    price_factor: Decimal
    filled_flat: int  # missing 5-minute slots filled flat at the previous close

    @property
    def end(self) -> datetime:
        """The close of the last real candle."""
        return self.first_open + self.candles * STEP

    def span_text(self) -> str:
        """'2018-01-10 04:55 → 2018-01-30 04:55 UTC'."""
        return f"{self.first_open:%Y-%m-%d %H:%M} → {self.end:%Y-%m-%d %H:%M} UTC"

    def describe(self) -> str:
        """'BTC/USD is ETH/BTC ×976140 (real 5m candles 2018-01-10 → 2018-01-30)'."""
        return (f"{self.symbol} is {self.source_pair} ×{self.price_factor} "
                f"(real 5m candles {self.first_open:%Y-%m-%d} → {self.end:%Y-%m-%d})")


@lru_cache(maxsize=4)
def replay_origins(data_dir: str = "") -> dict[str, ReplayOrigin]:
    """replay.json as ReplayOrigins keyed by the replay's symbol (from data_dir, or the package when "")."""
    try:
        raw = (Path(data_dir) / "replay.json").read_bytes() if data_dir else \
            resources.files("trading.data").joinpath("replay.json").read_bytes()
        doc = json.loads(raw)
        return {
            symbol: ReplayOrigin(
                symbol=symbol, source_pair=m["source_pair"],
                first_open=datetime.fromtimestamp(int(m["first_open_s"]), tz=UTC), candles=int(m["candles"]),
                price_factor=Decimal(m["price_factor"]), filled_flat=int(m.get("filled_flat", 0)))
            for symbol, m in doc["markets"].items()
        }
    except OSError as exc:
        raise ExchangeError(f"offline replay data 'replay.json' is missing ({exc.__class__.__name__})") from exc
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise ExchangeError(f"offline replay replay.json is damaged: {exc}") from exc


def replay_note(data_dir: str = "") -> str:
    """One line for every screen that shows replay prices: what they really are."""
    try:
        origins = replay_origins(data_dir)
    except ExchangeError:
        return "offline replay: NOT real prices of these pairs (its description file is missing)"
    parts = ", ".join(f"{o.symbol} = {o.source_pair} ×{o.price_factor}" for o in origins.values())
    first = min(o.first_open for o in origins.values())
    last = max(o.end for o in origins.values())
    return (f"offline replay, NOT real prices of these pairs: {parts} (real 5-minute candles "
            f"{first:%Y-%m-%d} → {last:%Y-%m-%d}, rescaled, looped onto today's clock)")


def backtest_label(symbol: str, data_dir: str = "") -> str:
    """The 'Data' line of a backtest on the bundled replay."""
    o = replay_origins(data_dir)[symbol]
    return (f"offline replay at its real dates: {o.source_pair} 5m candles {o.span_text()} with prices ×{o.price_factor} "
            f"(not real {symbol} prices)")


def check_span(symbol: str, start: datetime, end: datetime, data_dir: str = "") -> ReplayOrigin:
    """The market's origin, or an InputError in one line when [start, end) is not inside its real span.

    Whole UTC days touching the span are accepted (a --to day is exclusive), nothing beyond: the replay is
    never relabelled to other dates.
    """
    o = replay_origins(data_dir)[symbol]
    first_day = o.first_open.replace(hour=0, minute=0, second=0, microsecond=0)
    last_day = (o.end - timedelta(microseconds=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    if start < first_day or end > last_day + timedelta(days=1) or end <= o.first_open or start >= o.end:
        raise InputError(
            f"{start:%Y-%m-%d} → {end:%Y-%m-%d} is outside the bundled {symbol} history, which is only "
            f"{o.source_pair} candles {o.span_text()} rescaled; import real candles (zyn data import FILE) "
            f"or give --candles FILE")
    return o
