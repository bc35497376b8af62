"""History for backtests: candle files (CSV or parquet) and the bundled replay feed, as OHLCV arrays."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from trading.clock import to_ms, utc
from trading.decision.indicators import OHLCV
from trading.errors import InputError

# Accepted spellings of each column (lower-cased); the first match wins.
_TIME_NAMES = ("timestamp", "time", "date", "datetime", "ts", "open_time", "opentime", "unix", "t")
_COLUMNS = {
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c", "adj close", "adj_close"),
    "volume": ("volume", "vol", "v", "volume_base", "base_volume"),
}
_STEP_MS = 300_000


def make_ohlcv(timestamps: np.ndarray, o: np.ndarray, h: np.ndarray, low: np.ndarray, c: np.ndarray,
               v: np.ndarray) -> OHLCV:
    """An OHLCV from plain arrays (int64 ms timestamps, float64 prices and volumes)."""
    f = np.ascontiguousarray
    return OHLCV(timestamps=f(timestamps, dtype=np.int64), open=f(o, dtype=np.float64),
                 high=f(h, dtype=np.float64), low=f(low, dtype=np.float64), close=f(c, dtype=np.float64),
                 volume=f(v, dtype=np.float64))


def _to_ms(values) -> np.ndarray:  # noqa: ANN001 - a pandas Series
    """Timestamps in epoch ms from numbers (s, ms or us, guessed from the magnitude) or date strings."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(values):
        values = values.astype(str)  # one path for every datetime unit and zone: through the parser below
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        x = numeric.to_numpy(dtype=np.float64)
        top = float(np.nanmax(np.abs(x))) if x.size else 0.0
        # Seconds until ~2286 stay below 1e10; milliseconds below 1e13; larger means microseconds.
        factor = 1000.0 if top < 1e10 else 1.0 if top < 1e13 else 0.001
        return np.round(x * factor).astype(np.int64)
    try:
        parsed = pd.to_datetime(values, utc=True, format="mixed")
    except (ValueError, TypeError) as exc:
        raise InputError(f"cannot read the time column: {exc}") from None
    if parsed.isna().any():
        bad = values[parsed.isna()].iloc[0]
        raise InputError(f"cannot read the time column: '{bad}' is not a date or a timestamp")
    return parsed.dt.as_unit("ms").astype("int64").to_numpy(dtype=np.int64)  # whatever unit pandas chose


def _pick(columns: dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((columns[n] for n in names if n in columns), None)


def _frame_to_ohlcv(df, source: str) -> OHLCV:  # noqa: ANN001 - a pandas DataFrame
    """Columns found by name (any case), a time column or a datetime index, sorted and de-duplicated."""
    import pandas as pd

    columns = {str(c).strip().lower(): c for c in df.columns}
    time_col = _pick(columns, _TIME_NAMES)
    if time_col is not None:
        times = _to_ms(df[time_col])
    elif isinstance(df.index, pd.DatetimeIndex):
        idx = df.index.tz_localize("UTC") if df.index.tz is None else df.index.tz_convert("UTC")
        times = (idx.as_unit("ns").asi8 // 1_000_000).astype(np.int64)
    else:
        raise InputError(f"{source}: no time column (expected one of: timestamp, time, date)")
    arrays = {}
    for key, names in _COLUMNS.items():
        col = _pick(columns, names)
        if col is None:
            if key == "volume":  # some price exports have no volume; the volume filter then fails safe
                arrays[key] = np.zeros(len(df))
                continue
            raise InputError(f"{source}: no '{key}' column (found: {', '.join(map(str, df.columns))})")
        values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
        if np.isnan(values).any():
            row = int(np.flatnonzero(np.isnan(values))[0])
            raise InputError(f"{source}: row {row + 1} has no number in the '{col}' column")
        arrays[key] = values
    return _clean(times, *(arrays[k] for k in ("open", "high", "low", "close", "volume")), source=source)


def _clean(times: np.ndarray, o: np.ndarray, h: np.ndarray, low: np.ndarray, c: np.ndarray, v: np.ndarray, *,
           source: str) -> OHLCV:
    """Sorted by time, duplicates dropped (the first copy kept), and every candle sane, or an InputError."""
    for name, values in (("open", o), ("high", h), ("low", low), ("close", c), ("volume", v)):
        bad = ~np.isfinite(values)
        if bad.any():
            raise InputError(f"{source}: row {int(np.flatnonzero(bad)[0]) + 1} has no number in the '{name}' column")
    order = np.argsort(times, kind="stable")
    times = times[order]
    keep = np.ones(times.size, dtype=bool)
    keep[1:] = times[1:] != times[:-1]  # a duplicated candle keeps its first copy
    sel = order[keep]
    o, h, low, c, v = (x[sel] for x in (o, h, low, c, v))
    if (np.minimum(o, c) < low - 1e-12 * np.abs(low)).any() or (np.maximum(o, c) > h + 1e-12 * np.abs(h)).any():
        raise InputError(f"{source}: some candles have open or close outside their low..high range")
    if (low <= 0).any():
        raise InputError(f"{source}: prices must be positive")
    return make_ohlcv(times[keep], o, h, low, c, v)


def validate(ohlcv: OHLCV, source: str) -> OHLCV:
    """The candles sorted and de-duplicated, or an InputError naming what is wrong (one line)."""
    return _clean(ohlcv.timestamps, ohlcv.open, ohlcv.high, ohlcv.low, ohlcv.close, ohlcv.volume, source=source)


def frame_to_ohlcv(df, source: str) -> OHLCV:  # noqa: ANN001 - a pandas DataFrame
    """A DataFrame with named columns (any case) as sane, sorted OHLCV."""
    return _frame_to_ohlcv(df, source)


def load_candles(path: Path | str) -> OHLCV:
    """Candles from a CSV (timestamp/date, open, high, low, close, volume; ms, s or ISO times) or parquet file."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such candle file: {path}")
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            try:
                df = pd.read_parquet(path)
            except ImportError:
                raise InputError("parquet needs pyarrow: pip install pyarrow") from None
        else:
            df = pd.read_csv(path, sep=None, engine="python") if name.endswith(".tsv") else pd.read_csv(path)
            if len(df.columns) and _numeric_header(df.columns):
                # No header row (Kraken's OHLC export): time, open, high, low, close[, vwap], volume...
                df = pd.read_csv(path, header=None)
                df = df.rename(columns=dict(enumerate(
                    ("timestamp", "open", "high", "low", "close", "vwap", "volume") if len(df.columns) >= 7
                    else ("timestamp", "open", "high", "low", "close", "volume"))))
    except InputError:
        raise
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") \
            from None
    if df.empty:
        raise InputError(f"{path}: no candles in the file")
    return _frame_to_ohlcv(df, str(path))


def _numeric_header(columns) -> bool:  # noqa: ANN001
    try:
        [float(str(c)) for c in columns]
    except ValueError:
        return False
    return True


def slice_range(ohlcv: OHLCV, start: datetime | None, end: datetime | None) -> OHLCV:
    """The candles opening in [start, end)."""
    t = ohlcv.timestamps
    lo = int(np.searchsorted(t, to_ms(start), "left")) if start is not None else 0
    hi = int(np.searchsorted(t, to_ms(end), "left")) if end is not None else t.size
    return make_ohlcv(t[lo:hi], ohlcv.open[lo:hi], ohlcv.high[lo:hi], ohlcv.low[lo:hi], ohlcv.close[lo:hi],
                      ohlcv.volume[lo:hi])


async def replay_history_async(symbol: str, start: datetime, end: datetime, *, data_dir: Path | None = None) -> OHLCV:
    """Closed 5-minute candles of the bundled replay opening in [start, end), at their real dates.

    An InputError when the period is outside the real span (trading.exchange.feeds.provenance.check_span).
    """
    return replay_history(symbol, start, end, data_dir=data_dir)


def replay_history(symbol: str, start: datetime, end: datetime, *, data_dir: Path | None = None) -> OHLCV:
    """The bundled replay's candles opening in [start, end) at their real timestamps (never relabelled)."""
    from trading.exchange.feeds.provenance import check_span
    from trading.exchange.feeds.replay import bundled_rows

    start, end = utc(start), utc(end)
    if start >= end:
        raise InputError(f"the start {start:%Y-%m-%d %H:%M} must be before the end {end:%Y-%m-%d %H:%M}")
    unified, rows = bundled_rows(symbol, data_dir)
    origin = check_span(unified, start, end, str(Path(data_dir).resolve()) if data_dir is not None else "")
    first_ms = to_ms(origin.first_open)
    times = first_ms + _STEP_MS * np.arange(len(rows), dtype=np.int64)
    lo = int(np.searchsorted(times, to_ms(start), "left"))
    hi = int(np.searchsorted(times, to_ms(end), "left"))
    arr = np.array([[float(x) for x in r] for r in rows[lo:hi]], dtype=np.float64).reshape(-1, 5)
    return make_ohlcv(times[lo:hi], arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4])
