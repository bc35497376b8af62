"""Types shared by the agent's parts: who is asking, what tool was called, what came back, the reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any


class Role(StrEnum):
    OWNER = "owner"  # may trade, confirm and use admin tools
    TRADER = "trader"  # allowlisted: may trade and confirm
    VIEWER = "viewer"  # group members: read-only tools


@dataclass(frozen=True)
class Caller:
    user_id: str
    chat_id: str
    channel: str  # "telegram" | "discord" | "web" | "cli"
    role: Role
    name: str = ""


@dataclass(frozen=True)
class ToolCall:
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    call_id: str = ""


@dataclass(frozen=True)
class PendingAction:
    """A state-changing call waiting for its requester's confirmation."""

    code: str  # short, e.g. "K7Q2"
    tool: str
    args: dict[str, Any]
    user_id: str
    chat_id: str
    created_at: datetime
    expires_at: datetime
    summary: str  # what will happen, in words
    reference_price: str | None = None  # price when asked (re-checked at execution)


@dataclass(frozen=True)
class ToolOutcome:
    call: ToolCall
    ok: bool
    result: Any = None  # the typed tool result (has .text())
    error: str | None = None  # a short, user-safe message
    pending: PendingAction | None = None

    def text(self) -> str:
        """What the tool said, as the model or the user sees it."""
        if self.pending is not None:
            return f"PENDING CONFIRMATION {self.pending.code}: {self.pending.summary} (expires {self.pending.expires_at:%H:%M:%S} UTC)"
        if not self.ok:
            return f"ERROR: {self.error}"
        return self.result.text() if hasattr(self.result, "text") else str(self.result)


@dataclass
class Reply:
    text: str
    outcomes: list[ToolOutcome] = field(default_factory=list)
    pending: PendingAction | None = None
    source: str = "offline"  # "llm" or "offline" (the intent engine)
    corrected: bool = False  # the grounding check replaced the model's text
    photos: list[Path] = field(default_factory=list)  # PNGs the tools made this turn (charts, reports)
