"""The autopilot self-test tool: one pass of the tick on current data, every step shown (see trading.autopilot.engine.selftest)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import Field

from tools.base import Args
from tools.context import ToolContext
from tools.market import resolve_symbol
from trading.domain import Mode

if TYPE_CHECKING:
    from trading.autopilot.selftest import SelfTestReport


class SelfTestArgs(Args):
    symbol: str | None = Field(None, max_length=30, description="pair, e.g. ETH/USD (default: the universe's first)")
    place: bool = Field(False, description="PAPER: place a minimal order if the tick would buy (LIVE: validate only)")


@dataclass(frozen=True)
class SelfTestResult:
    report: SelfTestReport

    def text(self) -> str:
        r = self.report
        lines = [f"Self-test of the autopilot on {r.symbol} [{r.mode.upper()}]:"]
        lines += [f"{'ok' if s.ok else 'NO'}  {s.name}: {s.detail}" for s in r.steps]
        lines.append(f"Verdict: {r.verdict or 'stopped at the failing step'}")
        return "\n".join(lines)


async def autopilot_self_test(ctx: ToolContext, args: SelfTestArgs) -> SelfTestResult:
    """One pass of the whole tick for one pair now: what each step found and what the tick would do."""
    from tools.settings import effective_config
    from tools.universe import universe_choice
    from trading.autopilot.history import CandleArchive
    from trading.autopilot.selftest import self_test  # numpy and pandas: only when the test runs
    from trading.risk.daily_target import DailyProfitTarget
    from trading.risk.limits import DailyLimits, KillSwitch

    store, cfg = ctx.stores("the autopilot self-test")
    choice = universe_choice(ctx)  # the pairs in force: configured, or the autopilot's latest choice
    first = choice.pairs[0] if choice is not None and choice.pairs else cfg.universe[0]
    symbol = await resolve_symbol(ctx, args.symbol) if args.symbol else first
    report = await self_test(ctx.exchange, cfg, ctx.clock, DailyLimits(store, cfg.risk, ctx.clock),
                             KillSwitch(store, cfg.risk, ctx.clock), symbol,
                             enabled=store.get_autopilot_state().enabled,
                             place=args.place and ctx.mode is Mode.PAPER, quote=ctx.quote_currency,
                             target=DailyProfitTarget(store, effective_config(ctx).risk, ctx.clock),
                             archive=store if isinstance(store, CandleArchive) else None)
    return SelfTestResult(report)
