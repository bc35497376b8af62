"""make_chart: a candlestick PNG of a pair with our entries and exits marked."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from pydantic import Field

from tools.base import Args
from tools.context import ToolContext
from tools.market import resolve_symbol
from tools.pictures import picture_folder


class ChartArgs(Args):
    symbol: str = Field(min_length=1, max_length=30)
    hours: int = Field(12, ge=1, le=60, description="how many hours of 5-minute candles")


@dataclass(frozen=True)
class ChartResult:
    symbol: str
    path: Path
    candles: int
    marked_fills: int
    source: str

    def text(self) -> str:
        return (f"Chart of {self.symbol}, last {self.candles} candles with {self.marked_fills} of our trades "
                f"marked [{self.source}]: {self.path}")


async def make_chart(ctx: ToolContext, args: ChartArgs) -> ChartResult:
    """Render the last hours of 5-minute candles with our fills marked, as a PNG file."""
    from trading.charts.candles import render_candles

    symbol = await resolve_symbol(ctx, args.symbol)
    now = ctx.clock.now()
    candles = await ctx.exchange.fetch_ohlcv(symbol, "5m", since=now - timedelta(hours=args.hours), limit=12 * 60)
    if not candles:
        from trading.errors import ExchangeUnavailableError

        raise ExchangeUnavailableError(f"no 5-minute candles for {symbol} in the last {args.hours} h to draw")
    fills = await ctx.exchange.fetch_my_trades(symbol, limit=500)
    folder = picture_folder(ctx, "charts")
    path = folder / f"{symbol.replace('/', '_')}_{now:%Y%m%d_%H%M%S}.png"
    # Drawn in a worker thread: a chart takes ~0.3 s of CPU that the chats and the scheduler must not wait for.
    await asyncio.to_thread(render_candles, candles, fills, path, title=f"{symbol} · 5m · last {args.hours}h",
                            source=ctx.source)
    shown = [f for f in fills if candles and candles[0].timestamp <= f.timestamp <= now]
    return ChartResult(symbol=symbol, path=path, candles=len(candles), marked_fills=len(shown), source=ctx.source)
