"""Autopilot tools: start, stop, status (acting on the persisted state a running service reads each tick)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from tools.base import Args
from tools.context import ToolContext
from tools.ports import ToolStore
from tools.results import amount_str
from tools.settings import effective_config
from tools.universe import profit_target_line, universe_choice, universe_line
from trading.clock import next_tick_after
from trading.decision.evaluation import Evaluation, SkipReason
from trading.exchange.base import PositionBook


class AutopilotArgs(Args):
    pass


def describe_start(args: AutopilotArgs, symbol: str | None = None) -> str:
    """What autopilot_start will do."""
    return "let the autopilot open new trades from the next tick"


@dataclass(frozen=True)
class AutopilotStatusResult:
    enabled: bool
    last_tick_at: datetime | None
    last_candle_time: datetime | None
    next_tick_at: datetime
    universe: list[str]
    positions: dict[str, str]  # symbol -> amount
    trades_today: dict[str, int]
    trades_total: int
    max_per_symbol: int
    max_total: int
    day_start_equity: Decimal | None
    kill_switch_tripped: bool
    kill_switch_reason: str | None
    kill_switch_at: datetime | None
    risk: dict[str, str] = field(default_factory=dict)  # the risk settings in force (with set_risk's changes)
    service: str = "unknown"  # "running" | "stale" | "stopped" | "unknown" (the service's liveness)
    service_text: str = ""  # the liveness in words, e.g. "service STOPPED since 2024-05-06 21:30 UTC: ..."
    checked: tuple[str, ...] = ()  # the pairs evaluated on the last tick's candle (from the evaluation log)
    loss_limit: str = ""  # the daily loss limit in both forms: money and percent of the start-of-day equity
    entry: str = ""  # how it enters: "taker", or "maker (post-only, N candles)" (TradingConfig.entry)
    universe_text: str = ""  # the pairs in force and how they were chosen (configured, Kraken's most liquid, replay)
    profit_target: str = ""  # the daily profit target in both forms and whether it was reached today
    # pairs still warming up on the last tick's candle, each with its evaluation's reason (what the warm-up needs,
    # what is held, when trading starts: trading/autopilot/history.py)
    warming_up: tuple[str, ...] = ()

    @property
    def ticking(self) -> bool:
        """Whether ticks really happen: the service runs (or nobody can tell from here)."""
        return self.service in ("running", "unknown")

    def text(self) -> str:
        kill = f"TRIPPED ({self.kill_switch_reason})" if self.kill_switch_tripped else "armed"
        last = f"{self.last_tick_at:%H:%M:%S}" if self.last_tick_at else "never"
        pos = ", ".join(f"{s} {a}" for s, a in self.positions.items()) or "none"
        nxt = f"next {self.next_tick_at:%H:%M:%S} UTC" if self.ticking else "no next tick"
        seen = f" (checked {', '.join(self.checked)})" if self.checked else ""
        head = f"Autopilot {'ON' if self.enabled else 'OFF'} · last tick {last}{seen} · {nxt}"
        tail = f" · trades today {self.trades_total}/{self.max_total} · positions: {pos} · kill switch {kill}"
        tail += f" (daily loss limit {self.loss_limit})" if self.loss_limit else ""
        tail += f" · entries: {self.entry}" if self.entry else ""
        tail += f"\nUniverse: {self.universe_text}" if self.universe_text else ""
        tail += f"\nDaily profit target: {self.profit_target}" if self.profit_target else ""
        warm = "".join(f"\nWarming up, standing aside: {line}" for line in self.warming_up)
        return head + tail + warm + (f"\n{self.service_text[:1].upper()}{self.service_text[1:]}." if self.service_text
                                     and not self.ticking else "")


@dataclass(frozen=True)
class AutopilotChangeResult:
    enabled: bool
    changed: bool

    def text(self) -> str:
        state = "ON" if self.enabled else "OFF"
        return f"Autopilot is {state}." if self.changed else f"Autopilot was already {state}."


def _store(ctx: ToolContext) -> ToolStore:
    return ctx.stores("the autopilot")[0]


async def autopilot_status(ctx: ToolContext, args: AutopilotArgs) -> AutopilotStatusResult:
    """Last and next tick, positions, today's trades against the limits, and the kill switch."""
    store = _store(ctx)
    cfg = effective_config(ctx)  # set_risk's limits count from the next tick: show those
    state = store.get_autopilot_state()
    now = ctx.clock.now()
    day = store.get_day(now.date())
    kill = store.get_kill_switch()
    tripped = bool(kill.tripped and kill.day is not None and kill.day >= now.date())
    evs = _last_evaluations(store, state.last_candle_time)
    positions: dict[str, str] = {}
    if isinstance(ctx.exchange, PositionBook):
        positions = {s: amount_str(p.amount) for s, p in (await ctx.exchange.positions()).items() if p.amount > 0}
    return AutopilotStatusResult(
        enabled=state.enabled, last_tick_at=state.last_tick_at, last_candle_time=state.last_candle_time,
        next_tick_at=next_tick_after(now, cfg.tick_delay_seconds), universe=_pairs(ctx, cfg), positions=positions,
        trades_today=dict(day.trades_by_symbol) if day else {}, trades_total=day.trades_total if day else 0,
        max_per_symbol=cfg.risk.max_trades_per_symbol, max_total=cfg.risk.max_trades_total,
        day_start_equity=day.start_equity if day else None, kill_switch_tripped=tripped,
        kill_switch_reason=kill.reason if tripped else None, kill_switch_at=kill.tripped_at if tripped else None,
        risk={k: "none" if v is None else str(v) for k, v in cfg.risk.model_dump().items()}, checked=tuple(sorted({e.symbol for e in evs})),
        warming_up=tuple(f"{e.symbol}: {e.reasons[-1]}" for e in sorted(evs, key=lambda e: e.symbol)
                         if e.skip_reason is SkipReason.WARMUP and e.reasons),
        loss_limit=cfg.risk.daily_loss_limit.describe(day.start_equity if day else None, ctx.quote_currency),
        entry=(f"maker (post-only at the bid, cancelled after {cfg.maker_timeout_bars} candles unfilled)"
               if cfg.entry == "maker" else "taker (market)"),
        universe_text=universe_line(ctx), profit_target=profit_target_line(ctx), **_service(ctx, now))


def _pairs(ctx: ToolContext, cfg) -> list[str]:  # noqa: ANN001 - TradingConfig
    """The pairs in force: the configured ones, or the autopilot's latest choice."""
    choice = universe_choice(ctx)
    return list(choice.pairs) if choice is not None else list(cfg.universe)


def _last_evaluations(store: ToolStore, candle: datetime | None) -> list[Evaluation]:
    """What the autopilot evaluated on that candle (its last tick), as the evaluation log recorded it."""
    if candle is None:
        return []
    return store.list_evaluations(start=candle, end=candle + timedelta(seconds=1), limit=500)


def _service(ctx: ToolContext, now: datetime) -> dict[str, str]:
    """The service's liveness, when this context can tell (the CLI and the chats can)."""
    if ctx.liveness is None:
        return {}
    alive = ctx.liveness()
    return {"service": alive.state, "service_text": alive.text(now)}


async def _set(ctx: ToolContext, enabled: bool) -> AutopilotChangeResult:
    store = _store(ctx)
    before = store.get_autopilot_state().enabled
    store.set_autopilot_enabled(enabled, by=ctx.actor, at=ctx.clock.now())
    return AutopilotChangeResult(enabled=enabled, changed=before != enabled)


async def autopilot_start(ctx: ToolContext, args: AutopilotArgs) -> AutopilotChangeResult:
    """Let the autopilot trade from the next tick on."""
    return await _set(ctx, True)


async def autopilot_stop(ctx: ToolContext, args: AutopilotArgs) -> AutopilotChangeResult:
    """Stop new autopilot trades from the next tick on (open positions keep their stops and targets)."""
    return await _set(ctx, False)
