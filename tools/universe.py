"""The universe in force (which pairs, how and when chosen, why others were left out) and the daily profit target
(in money and percent, reached or not today): read from what the autopilot recorded, for chat and status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal

from tools.base import Args
from tools.context import ToolContext
from tools.settings import effective_config


class UniverseArgs(Args):
    pass


def universe_choice(ctx: ToolContext):  # noqa: ANN201 - trading.universe.UniverseChoice
    """The choice in force: the configured pairs, or the autopilot's latest recorded choice (None: not made yet)."""
    from trading.autopilot.universe import UniverseRecord, configured

    cfg = effective_config(ctx)
    if cfg.universe_size is None:
        return configured(cfg, ctx.quote_currency)
    if isinstance(ctx.store, UniverseRecord):
        return ctx.store.latest_universe_choice()
    return None


def universe_line(ctx: ToolContext) -> str:
    """One line: the pairs and how they were chosen."""
    cfg = effective_config(ctx)
    choice = universe_choice(ctx)
    if choice is None:
        return (f"{', '.join(cfg.universe)} until the first tick chooses the {cfg.universe_size} most liquid "
                f"{ctx.quote_currency} pairs")
    return choice.summary()


def profit_target_line(ctx: ToolContext) -> str:
    """The daily profit target in money and percent of today's start equity, and whether it was reached today."""
    from trading.risk.daily_target import TargetStore, target_text

    target = effective_config(ctx).risk.daily_profit_target
    today = ctx.clock.now().astimezone(UTC).date()
    start: Decimal | None = None
    reached = None
    now_equity: Decimal | None = None
    store = ctx.store
    if store is not None:
        day = store.get_day(today)
        start = day.start_equity if day is not None else None
        if isinstance(store, TargetStore):
            reached = store.get_target_reached(today)
        last = store.equity_before(ctx.clock.now()) if hasattr(store, "equity_before") else None
        if last is not None and last[0].astimezone(UTC).date() == today:
            now_equity = last[1]
    return target_text(target, start, ctx.quote_currency, reached=reached, equity_now=now_equity)


@dataclass(frozen=True)
class UniverseResult:
    text_: str
    pairs: tuple[str, ...]
    how: str
    profit_target: str

    def text(self) -> str:
        return f"{self.text_}\nDaily profit target: {self.profit_target}."


async def universe_status(ctx: ToolContext, args: UniverseArgs) -> UniverseResult:
    """Which pairs the autopilot trades, how and when they were chosen, and why the others were left out."""
    cfg = effective_config(ctx)
    choice = universe_choice(ctx)
    if choice is None:
        text = (f"Universe: {', '.join(cfg.universe)} for now; the autopilot's first tick chooses the "
                f"{cfg.universe_size} most liquid {ctx.quote_currency} pairs on Kraken with enough history.")
        return UniverseResult(text, tuple(cfg.universe), "pending", profit_target_line(ctx))
    return UniverseResult(choice.text(), choice.pairs, choice.how, profit_target_line(ctx))
