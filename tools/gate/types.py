"""The gate's types: who is asking (and through what), what tool was called, what came back."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from memory.vocab import PendingAction  # declared once, with the stored record


class CallerKind(StrEnum):
    """How a call reached the gate (the rule is the same for all; logs and taint say which)."""

    TEXT = "text"  # a chat message understood by the offline intent engine
    MODEL = "model"  # a language model's tool call
    COMMAND = "command"  # a slash command, a button or a web action
    CLI = "cli"  # the terminal owner


class Verdict(StrEnum):
    """What the gate does with a call."""

    RUN = "run"
    CONFIRM = "confirm"  # becomes a pending action that only the asking person can approve
    REFUSE = "refuse"


class Role(StrEnum):
    OWNER = "owner"  # may trade, confirm and use admin tools
    TRADER = "trader"  # allowlisted: may trade and confirm
    VIEWER = "viewer"  # group members: read-only tools


@dataclass(frozen=True)
class Caller:
    user_id: str
    chat_id: str
    channel: str  # the front end: "telegram" | "discord" | "web" | "cli"
    role: Role
    name: str = ""
    private: bool = False  # a one-to-one chat with Zyn (nobody else reads the answer)

    def order_source(self, kind: CallerKind | str | None) -> str:
        """Who an order placed by this call comes from (trading.attribution): "cli", "web:owner",
        "command:discord:7", or a chat turn "chat:telegram:42". kind: how the call came (None: not known)."""
        if kind == CallerKind.CLI or self.channel == "cli":
            return "cli"
        if self.channel == "web":
            return f"web:{self.user_id}"
        what = "command" if kind == CallerKind.COMMAND else "chat"
        return f"{what}:{self.channel}:{self.user_id}"

    @property
    def conversation(self) -> str:
        """This chat's key for its conversation and turn lock: a chat id is only unique within a front end."""
        return f"{self.channel}:{self.chat_id}"


@dataclass(frozen=True)
class ToolCall:
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    call_id: str = ""


@dataclass(frozen=True)
class ToolOutcome:
    call: ToolCall
    ok: bool
    result: Any = None  # the typed tool result (has .text())
    error: str | None = None  # a short, user-safe message
    pending: PendingAction | None = None
    exit_code: int = 0  # for a failure: 1 bad input or refused (nothing changed), 2 exchange or internal error
    refused: bool = False  # the caller's role may not run this tool
    stamp: str = ""  # "PAPER · as of 2024-05-06 14:07 UTC" on a result with money or trades (see the gate)

    def text(self) -> str:
        """What the tool said, as the model or the user sees it."""
        if self.pending is not None:
            return f"PENDING CONFIRMATION {self.pending.code}: {self.pending.summary} (expires {self.pending.expires_at:%H:%M:%S} UTC)"
        if not self.ok:
            return f"ERROR: {self.error}"
        text = self.result.text() if hasattr(self.result, "text") else str(self.result)
        return f"{text}\n{self.stamp}" if self.stamp else text
