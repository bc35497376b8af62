"""The gate: permission, validation, the confirmation rule and execution, for every caller of a tool."""

from tools.gate.confirm import Confirmations
from tools.gate.gate import Gate, allowed, decide
from tools.gate.types import Caller, CallerKind, PendingAction, Role, ToolCall, ToolOutcome, Verdict

__all__ = ["Caller", "CallerKind", "Confirmations", "Gate", "PendingAction", "Role", "ToolCall", "ToolOutcome",
           "Verdict", "allowed", "decide"]
