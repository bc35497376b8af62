"""What tools need from the world, passed in by the composition root (narrow, typed)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from trading.clock import Clock
from trading.domain import Balance, Fill, Mode, Order
from trading.errors import InputError
from trading.exchange.base import Exchange, require_mode

if TYPE_CHECKING:  # annotations only: `zyn status` loads neither the stores' ports nor the trading config's models
    from tools.ports import ToolStore
    from trading.config import TradingConfig


class Journal(Protocol):
    """Where LIVE orders and fills are recorded (the mode's database)."""

    def record_order(self, order: Order) -> None: ...

    def record_fill(self, fill: Fill) -> None: ...

    def record_balance_snapshot(self, balances: dict[str, Balance], timestamp, equity_quote, source: str) -> None: ...


@dataclass(frozen=True)
class Liveness:
    """Whether the service (`zyn run`) is running: "running", "stale" (alive but silent) or "stopped"."""

    state: str
    pid: int | None = None
    since: datetime | None = None  # running or stale: started at; stopped: stopped at (None: never ran)
    beat_at: datetime | None = None
    next_tick_at: datetime | None = None

    def text(self, now: datetime) -> str:
        """One line for a person, e.g. "service running (pid 4242, heartbeat 12 s ago)"."""
        if self.state == "running":
            return f"service running (pid {self.pid}, heartbeat {_ago(now, self.beat_at)})"
        if self.state == "stale":
            return (f"service NOT RESPONDING: pid {self.pid} holds the lock but its last heartbeat was "
                    f"{_ago(now, self.beat_at)}")
        if self.since is None:
            return "service STOPPED (never started here): nothing trades until `make run`"
        return f"service STOPPED since {self.since:%Y-%m-%d %H:%M} UTC: nothing trades until `make run`"


def _ago(now: datetime, at: datetime | None) -> str:
    if at is None:
        return "never"
    seconds = max(0, int((now - at).total_seconds()))
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"


@dataclass
class ToolContext:
    mode: Mode
    exchange: Exchange
    journal: Journal
    clock: Clock
    quote_currency: str
    credentials_present: bool
    log_level: str
    database: str  # a display form, never with a password
    log_file: Path | None = None
    probe: Callable[[], Awaitable[str]] | None = None  # connectivity check used by get_status
    store: ToolStore | None = None  # the mode's database (autopilot and risk state, evaluations, settings)
    trading_config: TradingConfig | None = None
    actor: str = "cli"  # who is acting, for the audit trail
    order_source: str = "service"  # who places this call's orders (trading.attribution): the gate sets it per call
    reply_to: str = ""  # the asking chat, "<front end>:<chat id>" (the gate sets it per call): where a late answer goes
    # The paper simulator's money and costs (Settings.paper_*, same defaults), which run_backtest uses too.
    paper_starting_balance: Decimal = Decimal("10000")
    paper_maker_fee: Decimal = Decimal("0.0025")
    paper_taker_fee: Decimal = Decimal("0.0040")
    paper_slippage_bps: Decimal = Decimal("5")
    alert_channels: dict[str, bool] | None = None  # channel -> configured (None: not known here)
    liveness: Callable[[], Liveness] | None = None  # is the service running (None: not known here)
    timezone: str = "UTC"  # the owner's zone (ZYN_TIMEZONE): replies show a local time beside UTC

    def stores(self, what: str) -> tuple[ToolStore, TradingConfig]:
        """The database and the trading config, or one clear InputError where this context has none."""
        if self.store is None or self.trading_config is None:
            raise InputError(f"{what} is not available here")
        return self.store, self.trading_config

    def orders_exchange(self, action: str) -> Exchange:
        """The exchange, for placing or cancelling orders: refused (nothing sent) unless it is of this context's mode."""
        require_mode(self.exchange, self.mode, action)
        return self.exchange

    @property
    def source(self) -> str:
        """Where prices come from ("kraken" or "offline replay")."""
        return self.exchange.source
