"""`zyn data import FILE`, `zyn data fetch PAIR` (bot/cli/fetch_cmd.py) and `zyn data list`: the local candle store that backtests and the walk-forward read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from bot.cli.runner import CliState


@contextmanager
def candle_store(settings: Any) -> Iterator[Any]:
    """The mode's database (it holds the candle store), closed afterwards."""
    from memory import open_database

    url = settings.database_url.get_secret_value() if settings.database_url else None
    db = open_database(settings.mode, settings.data_dir, url)
    try:
        yield db
    finally:
        db.close()


@click.group("data")
def data() -> None:
    """The local candle store: import history files, fetch history from Kraken, list what is held."""


@data.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--pair", help="the pair, when the file name does not say it (e.g. BTC/USD)")
@click.option("--timeframe", help="1m, 5m, 15m, 30m, 1h, 4h, 12h or 1d, when the file name does not say it")
@click.option("--only", "only", multiple=True, metavar="PAIR",
              help="from a ZIP, import only these pairs (repeatable); default: every pair in it")
@click.pass_obj
def import_(state: CliState, file: str, pair: str | None, timeframe: str | None, only: tuple[str, ...]) -> None:
    """Import candles: Kraken's OHLCVT CSV (XBTUSD_5.csv) or its ZIP, freqtrade json or feather, or a CSV with a header."""
    from datetime import UTC, datetime

    from trading.exchange.feeds.files import read_candle_file
    from trading.pairs import normalize_pair

    wanted = {normalize_pair(p) for p in only} or None
    series = read_candle_file(file, pair=pair, timeframe=timeframe, only_pairs=wanted)
    with candle_store(state.settings) as db:
        for s in series:
            r = db.add_candles(s.pair, s.timeframe, s.ohlcv, source=s.source, at=datetime.now(UTC))
            click.echo(f"{r.pair} {r.timeframe}: {r.added:,} new candles, {r.skipped:,} already held "
                       f"({r.first:%Y-%m-%d %H:%M} → {r.last:%Y-%m-%d %H:%M} UTC) from {s.source}")


@data.command("list")
@click.option("--json", "as_json", is_flag=True, help="machine-readable JSON output")
@click.pass_obj
def list_(state: CliState, as_json: bool) -> None:
    """Pairs, timeframes, spans, missing candles and sources held in the candle store."""
    with candle_store(state.settings) as db:
        sets = db.candle_sets()
    if as_json:
        import json

        click.echo(json.dumps([{"pair": c.pair, "timeframe": c.timeframe, "first": c.first.isoformat(),
                                "last": c.last.isoformat(), "candles": c.candles, "missing": c.missing,
                                "sources": list(c.sources)} for c in sets], indent=2))
        return
    if not sets:
        click.echo("The candle store is empty: zyn data import FILE (Kraken's OHLCVT CSV or ZIP, freqtrade json or feather, CSV)")
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title="Candle store")
    for col in ("Pair", "TF", "First (UTC)", "Last (UTC)", "Candles", "Missing", "Source"):
        t.add_column(col, justify="right" if col in ("Candles", "Missing") else "left")
    for c in sets:
        t.add_row(c.pair, c.timeframe, f"{c.first:%Y-%m-%d %H:%M}", f"{c.last:%Y-%m-%d %H:%M}", f"{c.candles:,}",
                  f"{c.missing:,}", "; ".join(c.sources))
    Console(highlight=False, soft_wrap=True).print(t)


def stored_candles(settings: Any, symbol: str, start: Any = None, end: Any = None) -> tuple[Any, str] | None:
    """(OHLCV, source line) of the store's 5m candles of symbol in [start, end), or None if it holds none.

    A period reaching outside the stored span is refused in one line, as for the bundled replay.
    """
    from datetime import timedelta

    from trading.errors import InputError

    with candle_store(settings) as db:
        held = db.candle_set(symbol, "5m")
        if held is None:
            return None
        first_day = held.first.replace(hour=0, minute=0, second=0, microsecond=0)
        if (start is not None and start < first_day) or (end is not None and end > held.end + timedelta(days=1)):
            since = start or held.first
            raise InputError(f"{since:%Y-%m-%d} → {end or held.end:%Y-%m-%d} is outside the stored {symbol} candles "
                             f"({held.first:%Y-%m-%d %H:%M} → {held.end:%Y-%m-%d %H:%M} UTC); "
                             f"import more (zyn data import FILE) or fetch it (zyn data fetch {symbol} --since "
                             f"{since:%Y-%m-%d})")
        ohlcv = db.load_candles(symbol, "5m", start, end)
    from trading.backtest.run import store_label

    return ohlcv, store_label(symbol, held)


from bot.cli.fetch_cmd import fetch  # noqa: E402 - registered last: fetch_cmd reads candle_store from here lazily

data.add_command(fetch)
