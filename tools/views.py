"""Read tools for screens: a pair's candles with our fills and brackets, and the decision log (filterable)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from tools.base import Args
from tools.context import ToolContext
from tools.market import resolve_symbol
from tools.results import money
from trading.decision.evaluation import Evaluation
from trading.domain import Bracket, Candle, Fill
from trading.errors import InputError


class CandlesArgs(Args):
    symbol: str = Field(min_length=1, max_length=30)
    limit: int = Field(144, ge=10, le=720, description="how many 5-minute candles, newest last")


class DecisionsArgs(Args):
    symbol: str | None = Field(None, max_length=30)
    decision: Literal["enter", "exit", "hold", "skip"] | None = None
    start: AwareDatetime | None = Field(None, description="candles opened at or after this UTC time")
    end: AwareDatetime | None = Field(None, description="candles opened before this UTC time")
    limit: int = Field(100, ge=1, le=500)


@dataclass(frozen=True)
class CandlesResult:
    symbol: str
    source: str
    candles: list[Candle]
    fills: list[Fill]  # ours on this pair within the candles' span
    brackets: list[Bracket]  # active ones on this pair (their stop and target lines)

    def text(self) -> str:
        if not self.candles:
            return f"No candles for {self.symbol}."
        last = self.candles[-1]
        return (f"{self.symbol}: {len(self.candles)} candles to {last.timestamp:%Y-%m-%d %H:%M} UTC, last close "
                f"{money(last.close)}; {len(self.fills)} of our fills, {len(self.brackets)} active bracket(s) "
                f"[{self.source}]")


@dataclass(frozen=True)
class DecisionsResult:
    evaluations: list[Evaluation]

    def text(self) -> str:
        if not self.evaluations:
            return "No evaluations match."
        return "\n".join(f"{e.candle_time:%Y-%m-%d %H:%M} {e.symbol} {e.decision.value}"
                         f"{' (' + e.skip_reason.value + ')' if e.skip_reason else ''}: "
                         f"{e.reasons[-1] if e.reasons else '-'}" for e in self.evaluations[:20])


async def get_candles(ctx: ToolContext, args: CandlesArgs) -> CandlesResult:
    """Closed and forming 5-minute candles of a pair, with our fills and active brackets on it."""
    symbol = await resolve_symbol(ctx, args.symbol)
    candles = await ctx.exchange.fetch_ohlcv(symbol, "5m", limit=args.limit)
    start = candles[0].timestamp if candles else None
    fills: list[Fill] = []
    brackets: list[Bracket] = []
    if ctx.store is not None:
        fills = [f for f in ctx.store.list_fills(symbol=symbol, limit=500) if start is None or f.timestamp >= start]
        brackets = ctx.store.list_brackets(symbol=symbol, active_only=True)
    return CandlesResult(symbol=symbol, source=getattr(ctx.exchange, "source", ""), candles=candles, fills=fills,
                         brackets=brackets)


async def list_decisions(ctx: ToolContext, args: DecisionsArgs) -> DecisionsResult:
    """The autopilot's evaluations, newest first, by pair, decision and candle time."""
    if ctx.store is None:
        raise InputError("the decision log is not available here")
    if args.start is not None and args.end is not None and args.start >= args.end:
        raise InputError("start must be before end")
    symbol = await resolve_symbol(ctx, args.symbol) if args.symbol else None
    # The decision filter is applied after the query; fetch more so a rare decision still fills the page.
    rows = ctx.store.list_evaluations(symbol=symbol, start=_utc(args.start), end=_utc(args.end),
                                      limit=args.limit if args.decision is None else min(5000, args.limit * 20))
    if args.decision is not None:
        rows = [e for e in rows if e.decision.value == args.decision]
    return DecisionsResult(evaluations=rows[:args.limit])


def _utc(value: datetime | None) -> datetime | None:
    from trading.clock import utc

    return utc(value) if value is not None else None


__all__ = ["CandlesArgs", "CandlesResult", "DecisionsArgs", "DecisionsResult", "get_candles",
           "list_decisions"]
