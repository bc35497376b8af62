"""Candle files for the local candle store: Kraken's OHLCVT downloads (CSV or ZIP), freqtrade json/feather, plain CSV.

Kraken's downloadable history is one headerless CSV per pair and interval, named like XBTUSD_5.csv (the
interval in minutes), with rows `timestamp,open,high,low,close,volume,trades` (timestamp in seconds), shipped
together in a ZIP. freqtrade keeps one json per pair and timeframe (BTC_USDT-5m.json: a list of
[ms, open, high, low, close, volume]) or feather (BTC_USDT-5m.feather: columns date, open, high, low, close,
volume; `date` a UTC datetime). Anything else is a CSV with a header, read by column names. Parsing
only: nothing here touches the database (memory/stores/candles.py stores what this returns).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trading.decision.indicators import OHLCV
from trading.errors import InputError, UnknownPairError
from trading.pairs import normalize_pair

# Kraken's interval (minutes) -> our timeframe name
KRAKEN_INTERVALS = {1: "1m", 5: "5m", 15: "15m", 30: "30m", 60: "1h", 240: "4h", 720: "12h", 1440: "1d"}
TIMEFRAME_MS = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000,
                "4h": 14_400_000, "12h": 43_200_000, "1d": 86_400_000}
_KRAKEN_NAME = re.compile(r"^([A-Z0-9]+)_(\d+)\.csv$", re.IGNORECASE)
_FREQTRADE_NAME = re.compile(r"^([A-Z0-9]+)_([A-Z0-9]+)-(\d+[mhd])(?:-\w+)?\.(?:json|feather)$", re.IGNORECASE)
_PLAIN_NAME = re.compile(r"^([A-Z0-9]+)[_-]?([A-Z0-9]+)?[-_](\d+[mhd])\.csv$", re.IGNORECASE)


@dataclass(frozen=True)
class CandleSeries:
    """Candles of one pair and timeframe read from a file, with where they came from."""

    pair: str  # unified, e.g. "BTC/USD"
    timeframe: str  # "5m", "1h", ...
    ohlcv: OHLCV
    source: str  # provenance, e.g. "Kraken OHLCVT file XBTUSD_5.csv (in Kraken_OHLCVT.zip)"


def read_candle_file(path: Path | str, *, pair: str | None = None, timeframe: str | None = None,
                     only_pairs: set[str] | None = None) -> list[CandleSeries]:
    """Every series in a file (a ZIP holds many); pair/timeframe override what the name says.

    only_pairs (unified symbols) keeps a big ZIP's import to the pairs asked for.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    if timeframe is not None and timeframe not in TIMEFRAME_MS:
        raise InputError(f"timeframe '{timeframe}' is not one of {', '.join(TIMEFRAME_MS)}")
    if zipfile.is_zipfile(path):
        return _read_zip(path, pair, timeframe, only_pairs)
    return [_read_one(path.name, path.read_bytes(), f"file {path.name}", pair, timeframe)]


def _read_zip(path: Path, pair: str | None, timeframe: str | None, only: set[str] | None) -> list[CandleSeries]:
    out = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            name = Path(info.filename).name
            if info.is_dir() or not name.lower().endswith((".csv", ".json", ".feather")):
                continue
            guessed = _guess(name)
            if guessed is None and pair is None:
                continue  # a readme or an unrelated file inside the archive
            if only is not None and (pair or (guessed and guessed[0])) not in only:
                continue
            if timeframe is not None and guessed is not None and guessed[1] not in (None, timeframe):
                continue
            out.append(_read_one(name, zf.read(info), f"file {name} (in {path.name})", pair, timeframe))
    if not out:
        raise InputError(f"{path.name}: no candle files for the pairs asked for in this ZIP")
    return out


def _guess(name: str) -> tuple[str, str | None, str] | None:
    """(pair, timeframe, kind) from a file name, or None if it names no pair."""
    if m := _KRAKEN_NAME.match(name):
        minutes = int(m.group(2))
        if minutes in KRAKEN_INTERVALS:
            try:
                return normalize_pair(m.group(1)), KRAKEN_INTERVALS[minutes], "kraken"
            except UnknownPairError:
                return None
    if m := _FREQTRADE_NAME.match(name):
        try:
            return normalize_pair(f"{m.group(1)}/{m.group(2)}"), m.group(3).lower(), "freqtrade"
        except UnknownPairError:
            return None
    if m := _PLAIN_NAME.match(name):
        try:
            text = f"{m.group(1)}/{m.group(2)}" if m.group(2) else m.group(1)
            return normalize_pair(text), m.group(3).lower(), "csv"
        except UnknownPairError:
            return None
    return None


def _read_one(name: str, data: bytes, where: str, pair: str | None, timeframe: str | None) -> CandleSeries:
    guessed = _guess(name)
    symbol = normalize_pair(pair) if pair else (guessed[0] if guessed else None)
    if symbol is None:
        raise InputError(f"{name}: cannot tell the pair from the file name; give --pair")
    if name.lower().endswith(".json"):
        ohlcv, kind = _freqtrade_json(data, name), "freqtrade json"
    elif name.lower().endswith(".feather"):
        ohlcv, kind = _freqtrade_feather(data, name), "freqtrade feather"
    elif _headerless(data):
        ohlcv, kind = _kraken_csv(data, name), "Kraken OHLCVT"
    else:
        ohlcv, kind = _plain_csv(data, name), "CSV"
    tf = timeframe or (guessed[1] if guessed else None) or _infer_timeframe(ohlcv)
    if tf not in TIMEFRAME_MS:
        raise InputError(f"{name}: cannot tell the timeframe; give --timeframe")
    misaligned = int(np.count_nonzero(ohlcv.timestamps % TIMEFRAME_MS[tf]))
    if misaligned:
        raise InputError(f"{name}: {misaligned} candles are not on {tf} boundaries; is the timeframe right?")
    return CandleSeries(symbol, tf, ohlcv, f"{kind} {where}")


def _headerless(data: bytes) -> bool:
    first = data.lstrip()[:200].split(b"\n", 1)[0]
    try:
        float(first.split(b",")[0])
    except ValueError:
        return False
    return True


def _kraken_csv(data: bytes, name: str) -> OHLCV:
    """timestamp(s),open,high,low,close,volume,trades without a header."""
    from trading.backtest.data import make_ohlcv, validate

    try:
        arr = np.loadtxt(io.BytesIO(data), delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise InputError(f"{name}: not Kraken's OHLCVT layout ({str(exc).splitlines()[0]})") from None
    if arr.shape[1] < 6:
        raise InputError(f"{name}: {arr.shape[1]} columns; Kraken's OHLCVT files have 7 "
                         "(timestamp,open,high,low,close,volume,trades)")
    ts = np.round(arr[:, 0] * (1000.0 if np.nanmax(arr[:, 0]) < 1e10 else 1.0)).astype(np.int64)
    return validate(make_ohlcv(ts, arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], arr[:, 5]), name)


def _freqtrade_json(data: bytes, name: str) -> OHLCV:
    """freqtrade's [[ms, open, high, low, close, volume], ...]."""
    from trading.backtest.data import make_ohlcv, validate

    try:
        arr = np.asarray(json.loads(data), dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name}: not freqtrade's candle json ({type(exc).__name__})") from None
    if arr.ndim != 2 or arr.shape[1] < 6 or arr.shape[0] == 0:
        raise InputError(f"{name}: not freqtrade's candle json (expected rows of 6 numbers)")
    ts = np.round(arr[:, 0] * (1000.0 if np.nanmax(arr[:, 0]) < 1e10 else 1.0)).astype(np.int64)
    return validate(make_ohlcv(ts, arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], arr[:, 5]), name)


def _freqtrade_feather(data: bytes, name: str) -> OHLCV:
    """freqtrade's feather: columns date (UTC datetime), open, high, low, close, volume."""
    import pandas as pd

    from trading.backtest.data import frame_to_ohlcv

    try:
        df = pd.read_feather(io.BytesIO(data))
    except ImportError:
        raise InputError("feather files need pyarrow: pip install pyarrow") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises its own ArrowInvalid and friends on a bad file
        raise InputError(f"{name}: not a feather file ({type(exc).__name__})") from None
    if df.empty:
        raise InputError(f"{name}: no candles in the file")
    return frame_to_ohlcv(df, name)


def _plain_csv(data: bytes, name: str) -> OHLCV:
    import pandas as pd

    from trading.backtest.data import frame_to_ohlcv

    try:
        df = pd.read_csv(io.BytesIO(data))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {name}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") \
            from None
    if df.empty:
        raise InputError(f"{name}: no candles in the file")
    return frame_to_ohlcv(df, name)


def _infer_timeframe(ohlcv: OHLCV) -> str | None:
    if len(ohlcv) < 2:
        return None
    step = int(np.min(np.diff(ohlcv.timestamps)))
    return next((tf for tf, ms in TIMEFRAME_MS.items() if ms == step), None)
