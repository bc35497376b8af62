"""What the autopilot may find on its store beyond AutopilotStore: optional capabilities, checked once.

memory's Database has them all; a store without one simply goes without (no equity curve, no setting
overrides, no persisted fill announcements, no LIVE journal).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from trading.domain import Balance, Fill, Order


@runtime_checkable
class EquitySnapshots(Protocol):
    """Balance snapshots with the tick's equity: the reports' equity curve."""

    def record_balance_snapshot(self, balances: dict[str, Balance], timestamp: datetime,
                                equity_quote: Decimal | None, source: str) -> None:
        """Store one snapshot."""
        ...


@runtime_checkable
class SettingOverrides(Protocol):
    """Settings changed at run time (set_risk), read at every tick."""

    def get_overrides(self, section: str) -> dict[str, str]:
        """Overridden values of one section, as strings."""
        ...


@runtime_checkable
class FillAnnouncements(Protocol):
    """Which fills were announced, persisted so a restart neither repeats nor loses an alert."""

    def claim_fill_announcement(self, fill_id: str, at: datetime) -> bool:
        """True only for the first claim of this fill, in any process or run."""
        ...

    def any_fill_announced(self) -> bool:
        """Whether any fill was ever claimed."""
        ...

    def mark_fills_announced(self, fill_ids: list[str], at: datetime) -> None:
        """Record fills as announced without an alert (the first start: history is not news)."""
        ...


@runtime_checkable
class FillJournal(Protocol):
    """Where LIVE fills and their orders are kept (PAPER's simulator keeps its own ledger)."""

    def record_fills(self, fills: Iterable[Fill]) -> list[Fill]:
        """Insert the fills not journaled yet; returns those."""
        ...

    def record_order(self, order: Order) -> None:
        """Insert or update an order."""
        ...

    def list_fills(self, symbol: str | None = None, limit: int | None = None) -> list[Fill]:
        """Fills newest first."""
        ...
