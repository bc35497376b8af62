"""The local candle store, mixed into Database: add candle series, list what is held, read a span back, and hand
the offline replay a pair's real candles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select

from memory.tables.candles import CandleImportRow, CandleRow

if TYPE_CHECKING:
    from sqlmodel import Session

    from trading.decision.indicators import OHLCV
    from trading.exchange.feeds.replay import StoredSeries

_BATCH = 5_000
_STEP_MS = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000,
            "4h": 14_400_000, "12h": 43_200_000, "1d": 86_400_000}


def _ts(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


@dataclass(frozen=True)
class CandleSet:
    """What the store holds for one pair and timeframe."""

    pair: str
    timeframe: str
    first: datetime  # first candle's open (UTC)
    last: datetime  # last candle's open (UTC)
    candles: int
    missing: int  # slots between first and last with no candle
    sources: tuple[str, ...]  # every import's provenance, oldest first

    @property
    def end(self) -> datetime:
        """The close of the last candle."""
        return _ts(int(self.last.timestamp() * 1000) + _STEP_MS.get(self.timeframe, 0))


@dataclass(frozen=True)
class Added:
    """What one add_candles call did."""

    pair: str
    timeframe: str
    added: int
    skipped: int  # already stored (same pair, timeframe and open time)
    first: datetime
    last: datetime


class CandleStoreMixin:
    """add_candles / candle_sets / load_candles on top of Database.session()."""

    if TYPE_CHECKING:
        def session(self, *, write: bool = False) -> Session: ...

    def add_candles(self, pair: str, timeframe: str, ohlcv: OHLCV, *, source: str, at: datetime) -> Added:
        """Store the candles not held yet (a candle already stored is kept as it is) and record the import."""
        t = ohlcv.timestamps
        if len(t) == 0:
            raise ValueError("no candles to add")
        lo, hi = int(t[0]), int(t[-1])
        with self.session(write=True) as s:
            held = set(s.execute(select(CandleRow.open_ms).where(
                CandleRow.pair == pair, CandleRow.timeframe == timeframe,
                CandleRow.open_ms >= lo, CandleRow.open_ms <= hi)).scalars())
            rows = [{"pair": pair, "timeframe": timeframe, "open_ms": int(ms), "open": repr(float(o)),
                     "high": repr(float(h)), "low": repr(float(lw)), "close": repr(float(c)), "volume": repr(float(v))}
                    for ms, o, h, lw, c, v in zip(t, ohlcv.open, ohlcv.high, ohlcv.low, ohlcv.close, ohlcv.volume,
                                                   strict=True) if int(ms) not in held]
            for k in range(0, len(rows), _BATCH):
                s.execute(insert(CandleRow), rows[k:k + _BATCH])
            s.add(CandleImportRow(pair=pair, timeframe=timeframe, source=source[:300], first_ms=lo, last_ms=hi,
                                  added=len(rows), skipped=len(t) - len(rows), at=at))
            s.commit()
        return Added(pair, timeframe, len(rows), len(t) - len(rows), _ts(lo), _ts(hi))

    def candle_sets(self) -> list[CandleSet]:
        """Every pair and timeframe held: span, count, missing slots and sources."""
        with self.session() as s:
            spans = s.execute(select(CandleRow.pair, CandleRow.timeframe, func.min(CandleRow.open_ms),
                                     func.max(CandleRow.open_ms), func.count()).group_by(
                CandleRow.pair, CandleRow.timeframe).order_by(CandleRow.pair, CandleRow.timeframe)).all()
            imports = s.execute(select(CandleImportRow.pair, CandleImportRow.timeframe, CandleImportRow.source)
                                .order_by(CandleImportRow.id)).all()
        sources: dict[tuple[str, str], list[str]] = {}
        for pair, tf, src in imports:
            known = sources.setdefault((pair, tf), [])
            if src not in known:
                known.append(src)
        out = []
        for pair, tf, lo, hi, n in spans:
            slots = (int(hi) - int(lo)) // _STEP_MS.get(tf, 1) + 1
            out.append(CandleSet(pair, tf, _ts(int(lo)), _ts(int(hi)), int(n), max(slots - int(n), 0),
                                 tuple(sources.get((pair, tf), ()))))
        return out

    def candle_set(self, pair: str, timeframe: str = "5m") -> CandleSet | None:
        """What the store holds for one pair and timeframe, or None."""
        return next((c for c in self.candle_sets() if (c.pair, c.timeframe) == (pair, timeframe)), None)

    def load_candles(self, pair: str, timeframe: str = "5m", start: datetime | None = None,
                     end: datetime | None = None) -> OHLCV:
        """The stored candles opening in [start, end), oldest first."""
        import numpy as np  # here, so opening the database (zyn status) loads no numpy

        from trading.backtest.data import make_ohlcv

        q = select(CandleRow.open_ms, CandleRow.open, CandleRow.high, CandleRow.low, CandleRow.close,
                   CandleRow.volume).where(CandleRow.pair == pair, CandleRow.timeframe == timeframe)
        if start is not None:
            q = q.where(CandleRow.open_ms >= int(start.timestamp() * 1000))
        if end is not None:
            q = q.where(CandleRow.open_ms < int(end.timestamp() * 1000))
        with self.session() as s:
            rows = s.execute(q.order_by(CandleRow.open_ms)).all()
        t = np.array([r[0] for r in rows], dtype=np.int64)
        cols = np.array([[float(x) for x in r[1:]] for r in rows], dtype=np.float64).reshape(-1, 5)
        return make_ohlcv(t, cols[:, 0], cols[:, 1], cols[:, 2], cols[:, 3], cols[:, 4])

    def replay_series(self, pair: str) -> StoredSeries | None:
        """The stored 5m candles of pair as the offline replay's series (missing slots filled flat), or None.
        (memory.quick reads the same from a SQLite file without the database layer, for the CLI's start-up.)"""
        from memory.quick import series_from_rows

        with self.session() as s:
            rows = s.execute(select(CandleRow.open_ms, CandleRow.open, CandleRow.high, CandleRow.low, CandleRow.close,
                                    CandleRow.volume).where(CandleRow.pair == pair, CandleRow.timeframe == "5m")
                             .order_by(CandleRow.open_ms)).all()
            if not rows:
                return None
            sources = s.execute(select(CandleImportRow.source).where(CandleImportRow.pair == pair,
                                                                     CandleImportRow.timeframe == "5m")
                                .order_by(CandleImportRow.id)).scalars().all()
        return series_from_rows(pair, rows, sources)
