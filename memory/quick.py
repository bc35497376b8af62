"""Reads of a SQLite database file with the standard library's sqlite3, without the database layer.

`zyn status` and `zyn ticker` offline need one thing from the database: whether the candle store holds real
candles of a replay market (the replay then plays them, and says so). Importing SQLAlchemy and SQLModel for that
costs about half a second, so these reads open the file read-only with sqlite3 instead. Anything unusual (no
such file is fine and means "nothing stored"; a file of the other mode, a newer schema, a damaged or locked file)
raises Unavailable, and the caller opens the database the usual way, which then answers as it always has.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from memory.vocab import SCHEMA_VERSION

if TYPE_CHECKING:
    from trading.exchange.feeds.replay import StoredSeries

STEP_5M_MS = 300_000


class Unavailable(Exception):
    """This file cannot be read the quick way: open it through memory.open_database instead."""


def series_from_rows(pair: str, rows: Iterable[Sequence], sources: Sequence[str]) -> StoredSeries | None:
    """The offline replay's series from a pair's stored 5m candles (open_ms, open, high, low, close, volume as
    strings), oldest first: every 5m slot from the first candle, a missing one flat at the previous close."""
    from trading.exchange.feeds.replay import StoredSeries

    out: list[tuple[Decimal, ...]] = []
    filled, at, first = 0, None, None
    for ms, *values in rows:
        ms = int(ms)
        if at is None:
            first = at = ms
        while at < ms:  # a slot without a candle: flat at the previous close, no volume
            close = out[-1][3]
            out.append((close, close, close, close, Decimal(0)))
            filled, at = filled + 1, at + STEP_5M_MS
        out.append(tuple(Decimal(v) for v in values))
        at += STEP_5M_MS
    if first is None:
        return None
    return StoredSeries(pair, datetime.fromtimestamp(first / 1000, tz=UTC), tuple(out), filled,  # type: ignore[arg-type]
                        tuple(dict.fromkeys(sources)))


def replay_series(path: Path, mode: str, pair: str) -> StoredSeries | None:
    """memory's Database.replay_series(pair) read from the SQLite file at path; None when the file does not exist
    or holds no 5m candles of pair. Unavailable when only a real open can answer (see the module)."""
    if not Path(path).is_file():
        return None
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error as exc:
        raise Unavailable(str(exc)) from None
    try:
        stamp = conn.execute("SELECT mode, schema_version FROM meta WHERE id = 1").fetchone()
        if stamp is None or stamp[0] != mode or int(stamp[1]) != SCHEMA_VERSION:
            raise Unavailable("not stamped for this mode and schema")  # the real open refuses or upgrades it
        rows = conn.execute("SELECT open_ms, open, high, low, close, volume FROM candles "
                            "WHERE pair = ? AND timeframe = '5m' ORDER BY open_ms", (pair,)).fetchall()
        if not rows:
            return None
        sources = [r[0] for r in conn.execute("SELECT source FROM candle_imports WHERE pair = ? AND timeframe = '5m' "
                                              "ORDER BY id", (pair,))]
    except sqlite3.Error as exc:  # no such table (an older file), locked, damaged: the real open knows what to do
        raise Unavailable(str(exc)) from None
    finally:
        conn.close()
    return series_from_rows(pair, rows, sources)
