"""The autopilot's persisted run state: on or off, and when it last and next ticks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AutopilotState:
    """What a running service reads each tick and the status tools show."""

    enabled: bool = False
    last_tick_at: datetime | None = None
    last_candle_time: datetime | None = None  # open time of the newest closed candle evaluated
    next_tick_at: datetime | None = None
    updated_at: datetime | None = None  # when `enabled` was last set; None: never (a fresh database)
    note: str | None = None  # who last started or stopped it, e.g. "stopped by telegram:42"
