"""What the tools need from the mode's database, one narrow Protocol per need (memory's Database has them all).

A tool names the port it uses; the composition root hands in the database. Nothing here imports memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from trading.autopilot.state import AutopilotState
from trading.decision.evaluation import Evaluation
from trading.domain import Balance, Fill
from trading.learning.records import LearningStore
from trading.risk.state import RiskStore


class AutopilotSwitch(Protocol):
    """The autopilot's persisted on/off state, which a running service reads each tick."""

    def get_autopilot_state(self) -> AutopilotState: ...

    def set_autopilot_enabled(self, enabled: bool, by: str, at: datetime | None = None) -> None: ...


class EvaluationLog(Protocol):
    """Every evaluation the autopilot made, with its reasons."""

    def list_evaluations(self, symbol: str | None = None, start: datetime | None = None,
                         end: datetime | None = None, limit: int = 100) -> list[Evaluation]: ...

    def why_not(self, symbol: str, at: datetime) -> Evaluation | None: ...

    def entry_strategies(self, order_ids: Iterable[str]) -> dict[str, str]:
        """Order id -> the strategy whose entry placed it, for these orders only."""
        ...


class EquityHistory(Protocol):
    """The equity snapshots the service records each tick."""

    def equity_points(self, start: datetime, end: datetime) -> list[tuple[datetime, Decimal]]: ...

    def equity_before(self, at: datetime) -> tuple[datetime, Decimal] | None: ...


class SettingOverrides(Protocol):
    """Runtime overrides of configured settings (e.g. risk set from chat), with who and when."""

    def get_overrides(self, section: str) -> dict[str, str]: ...

    def set_overrides(self, section: str, values: dict[str, str], *, by: str, at: datetime) -> None: ...


class AlertDeliveries(Protocol):
    """Per event type and channel: on, silent or off."""

    def alert_deliveries(self, kind: str | None = None) -> dict[tuple[str, str], str]: ...

    def set_alert_deliveries(self, changes: dict[tuple[str, str], str], *, by: str, at: datetime) -> None: ...


class BalanceHistory(Protocol):
    """Earlier balance reads and the fill journal, to check a new read against."""

    def list_balance_snapshots(self, limit: int | None = None) -> list[Any]: ...

    def record_balance_snapshot(self, balances: dict[str, Balance], timestamp: datetime,
                                equity_quote: Decimal | None, source: str) -> None: ...

    def list_fills(self, symbol: str | None = None, limit: int | None = None) -> list[Fill]: ...


class ToolStore(AutopilotSwitch, RiskStore, EvaluationLog, EquityHistory, SettingOverrides, AlertDeliveries,
                BalanceHistory, LearningStore, Protocol):
    """Everything the catalogue's tools read or write in the database, and nothing else."""
