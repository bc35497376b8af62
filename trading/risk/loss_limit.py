"""The daily loss limit in the owner's terms: a share of the day's start equity ("3%") or an amount of money
("$50", "50 USD"). The kill switch uses whichever was given; both forms are shown back, money and percent of
the start-of-day equity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

_HUNDRED = Decimal(100)
_MONEY = re.compile(r"^(?:\$\s*(?P<a>[\d.,]+)\s*(?P<c1>[a-z]{3,5})?|(?P<c2>[a-z]{3,5})\s*(?P<b>[\d.,]+)|"
                    r"(?P<d>[\d.,]+)\s*(?P<c3>[a-z]{3,5}|\$))$", re.IGNORECASE)
_PCT = re.compile(r"^(?P<p>[\d.,]+)\s*%$")
_USD = {"$", "usd", "dollar", "dollars", "bucks"}
HOW = "give the daily loss limit as a percentage or an amount, e.g. 3% or 50 USD"


@dataclass(frozen=True)
class LossLimit:
    """Exactly one of fraction (0.03 = 3% of the day's start equity) and amount (in `currency`)."""

    fraction: Decimal | None = None
    amount: Decimal | None = None
    currency: str | None = None  # of the amount; None: the account's quote currency
    WHAT: ClassVar[str] = "daily loss limit"  # what the value is, for its error messages
    EXAMPLE: ClassVar[str] = "3% or 50 USD"

    def __post_init__(self) -> None:
        if (self.fraction is None) == (self.amount is None):
            raise ValueError(self.how())
        if self.fraction is not None and not Decimal(0) < self.fraction <= 1:
            raise ValueError(f"a percentage {self.WHAT} must be above 0% and at most 100%")
        if self.amount is not None and self.amount <= 0:
            raise ValueError(f"a {self.WHAT} in money must be above 0")

    @classmethod
    def how(cls) -> str:
        return f"give the {cls.WHAT} as a percentage or an amount, e.g. {cls.EXAMPLE}"

    @classmethod
    def parse(cls, value: Any) -> LossLimit:
        """'3%', '0.03' (a fraction, at most 1), '$50', '50 USD', 'usd 50', or a LossLimit; ValueError otherwise."""
        if isinstance(value, cls):
            return value
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return cls._fraction(Decimal(str(value)))
        if not isinstance(value, str):
            raise ValueError(cls.how())
        text = value.strip()
        if (hit := _PCT.match(text)) is not None:
            return cls(fraction=_number(hit["p"], cls.how()) / _HUNDRED)
        if (hit := _MONEY.match(text)) is not None:
            amount = _number(hit["a"] or hit["b"] or hit["d"], cls.how())
            word = (hit["c1"] or hit["c2"] or hit["c3"] or "$").lower()
            return cls(amount=amount, currency="USD" if word in _USD else word.upper())
        return cls._fraction(_number(text, cls.how()))

    @classmethod
    def _fraction(cls, value: Decimal) -> LossLimit:
        if value > 1:  # "50": a share or money? asking beats guessing with money
            raise ValueError(f"is {value} a percentage or money? write {value}% or {value} USD")
        return cls(fraction=value)

    def allowed(self, start_equity: Decimal) -> Decimal:
        """The loss (in the quote currency) from the day's start that trips the kill switch."""
        return self.amount if self.amount is not None else start_equity * (self.fraction or Decimal(0))

    def fraction_of(self, start_equity: Decimal | None) -> Decimal | None:
        """The limit as a share of the day's start equity (None for money before that equity is known)."""
        if self.fraction is not None:
            return self.fraction
        if start_equity is None or start_equity <= 0 or self.amount is None:
            return None
        return self.amount / start_equity

    def describe(self, start_equity: Decimal | None, quote: str) -> str:
        """Both forms: '3% = 90.00 USD of the day's start 3,000.00' or '50.00 USD = 1.67% of ...'."""
        if start_equity is None or start_equity <= 0:
            other = "in money" if self.fraction is not None else "as a percentage"
            return f"{self} ({other} once the day's start equity is known)"
        money = f"{self.allowed(start_equity):,.2f} {self.currency or quote}"
        pct = f"{self.fraction_of(start_equity) * _HUNDRED:.2f}%".replace(".00%", "%")
        first, second = (pct, money) if self.fraction is not None else (money, pct)
        return f"{first} = {second} of the day's start equity {start_equity:,.2f} {quote}"

    def short(self, start_equity: Decimal) -> str:
        """'3% = 90.00' or '50 USD = 1.67%': the form given, then the other one, for a trip's reason."""
        pct = f"{(self.fraction_of(start_equity) or Decimal(0)) * _HUNDRED:.2f}%"
        return f"{self} = {self.allowed(start_equity):,.2f}" if self.fraction is not None else f"{self} = {pct}"

    def __str__(self) -> str:
        if self.fraction is not None:
            return f"{_plain(self.fraction * _HUNDRED)}%"
        return f"{_plain(self.amount)} {self.currency or 'USD'}"


def _number(text: str, how: str = HOW) -> Decimal:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(how) from None
    if not value.is_finite():
        raise ValueError(how)
    return value


def _plain(value: Decimal | None) -> str:
    text = format(value, "f") if value is not None else "-"
    return text.rstrip("0").rstrip(".") if "." in text else text
