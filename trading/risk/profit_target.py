"""The daily profit target in the owner's terms: like the daily loss limit, a share of the day's start equity
("2%", "0.02") or money ("$50", "50 USD"), parsed the same way (trading/risk/loss_limit.py); or none at all."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from trading.risk.loss_limit import LossLimit

NONE_WORDS = frozenset({"", "none", "no", "off", "null", "0", "0%", "disable", "disabled", "remove"})


class ProfitTarget(LossLimit):
    """Exactly one of fraction (0.02 = 2% over the day's start equity) and amount (money, in `currency`).

    allowed(start) is the gain from the day's start that reaches the target."""

    WHAT: ClassVar[str] = "daily profit target"
    EXAMPLE: ClassVar[str] = "2% or 50 USD"

    @classmethod
    def parse_optional(cls, value: Any) -> ProfitTarget | None:
        """None for none/off/no target; else parse (ValueError on anything that is neither)."""
        if value is None or (isinstance(value, str) and value.strip().lower() in NONE_WORDS):
            return None
        return cls.parse(value)

    def gain(self, start_equity: Decimal) -> Decimal:
        """The day's gain (from its start equity, realised and unrealised) that reaches the target."""
        return self.allowed(start_equity)
