"""`zyn data fetch PAIR --since DATE`: candle history from Kraken's public OHLC and Trades into the candle store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import click

from bot.cli.runner import CliState


@click.command("fetch")
@click.argument("pair")
@click.option("--since", "since_text", required=True, metavar="YYYY-MM-DD", help="first day to fetch (00:00 UTC)")
@click.option("--timeframe", default="5m", show_default=True, help="1m, 5m, 15m, 30m, 1h, 4h or 1d")
@click.option("--delay", type=float, default=1.0, show_default=True, envvar="ZYN_FETCH_DELAY",
              help="seconds between two Kraken public calls (env ZYN_FETCH_DELAY)")
@click.pass_obj
def fetch(state: CliState, pair: str, since_text: str, timeframe: str, delay: float) -> None:
    """Build history from Kraken's public data: OHLC for the latest 720 candles, public trades before that.

    Resumable: run it again and it continues after the last stored candle; an interrupted run keeps what it stored.
    """
    from trading.backtest.run import parse_when
    from trading.errors import InputError
    from trading.exchange.feeds.history import FETCH_TIMEFRAMES

    since = parse_when(since_text, "--since")
    now = datetime.now(UTC)
    if timeframe not in FETCH_TIMEFRAMES:
        raise InputError(f"--timeframe '{timeframe}' is not one of {', '.join(FETCH_TIMEFRAMES)}")
    if since is None or since >= now:
        raise InputError(f"--since {since_text} is not in the past")
    if not 0 <= delay <= 60:
        raise InputError("--delay must be 0 to 60 seconds")
    import asyncio  # here: `zyn --help` loads no event loop

    asyncio.run(_fetch(state.settings, pair, timeframe, since, delay))


async def _fetch(settings: Any, pair: str, timeframe: str, since: datetime, delay: float) -> None:
    import asyncio
    from urllib.parse import urlsplit

    from bot.cli.data_cmd import candle_store
    from trading.clock import SystemClock
    from trading.errors import ZynError
    from trading.exchange.feeds.history import FETCH_TIMEFRAMES, HistoryFetch
    from trading.exchange.kraken.client import KrakenPublicFeed

    url = settings.kraken_api_url
    feed = KrakenPublicFeed(api_url=url, clock=SystemClock(), timeout_ms=int(settings.request_timeout * 1000),
                            retries=3, retry_wait=max(delay, 0.25))
    origin = f" via {urlsplit(url).netloc}" if url and urlsplit(url).hostname != "api.kraken.com" else ""
    step = timedelta(milliseconds=FETCH_TIMEFRAMES[timeframe])
    try:
        symbol = (await feed.market(pair)).symbol
        with candle_store(settings) as db:
            held = db.candle_set(symbol, timeframe)
            segments: list[tuple[datetime, datetime | None]] = [(since, None)]
            if held is not None and held.last >= since:  # resume after the last stored candle
                segments = [(since, held.first)] if held.first > since + step else []
                segments.append((held.last + step, None))
                before = f", and filling {since:%Y-%m-%d %H:%M} → {held.first:%Y-%m-%d %H:%M}" if len(segments) > 1 else ""
                click.echo(f"{symbol} {timeframe}: {held.candles:,} candles already stored "
                           f"({held.first:%Y-%m-%d %H:%M} → {held.last:%Y-%m-%d %H:%M} UTC); continuing after "
                           f"the last{before}")
            if held is not None and held.last >= since and len(segments) == 1 \
                    and held.last + 2 * step > datetime.now(UTC):
                click.echo(f"{symbol} {timeframe}: up to date (last stored candle {held.last:%Y-%m-%d %H:%M} UTC)")
                return

            def store(ohlcv: Any, source: str) -> None:
                db.add_candles(symbol, timeframe, ohlcv, source=source, at=datetime.now(UTC))

            with _progress_bar() as bar:
                task = bar.add_task(f"fetching {symbol} {timeframe}", total=1, at="")
                begun = [since]

                def progress(done: int, total: int) -> None:
                    at = begun[0] + timedelta(milliseconds=done)
                    bar.update(task, completed=done, total=total, at=f"{at:%Y-%m-%d %H:%M} UTC")

                job = HistoryFetch(feed, symbol, timeframe, store=store, now=lambda: datetime.now(UTC), delay=delay,
                                   progress=progress, origin=origin)
                try:
                    for first, stop in segments:
                        begun[0] = first
                        r = await job.run(first, stop)
                except (ZynError, KeyboardInterrupt, asyncio.CancelledError) as exc:
                    r = job.report
                    kept = (f"{r.stored:,} new candles stored, up to {r.last:%Y-%m-%d %H:%M} UTC"
                            if r.last else "no new candle stored")
                    note = f"{symbol} {timeframe} stopped: {kept}; run the same command again to continue"
                    if not isinstance(exc, ZynError):
                        click.echo(note, err=True)
                        raise
                    exc.message = f"{exc.message}; {note}"
                    raise
    finally:
        await feed.close()
    calls = f"{r.pages:,} Trades page{'' if r.pages == 1 else 's'} ({r.trades:,} trades), {r.calls:,} public calls"
    if not r.stored:
        click.echo(f"{symbol} {timeframe}: nothing new to store; {calls}")
        return
    span = f" ({r.first:%Y-%m-%d %H:%M} → {r.last:%Y-%m-%d %H:%M} UTC)" if r.first and r.last else ""
    click.echo(f"{symbol} {timeframe}: {r.from_trades:,} candles from {job.sources[0]}, {r.from_ohlc:,} from "
               f"{job.sources[1]}{span}; {r.gaps:,} periods without trades left as gaps; {calls}")


def _progress_bar():  # noqa: ANN202 - rich types load lazily
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                    TextColumn("{task.fields[at]}"), TimeElapsedColumn(), console=Console(stderr=True), transient=True)
