"""Typed option values from what a person typed: one parser per option kind, and a command's words in order.

Telegram hands over words; Discord and the web hand over one string (or number) per option: both go through
parse_value, so "$200", "2%" or "14:05" mean the same everywhere. Wrong input raises Usage; nothing runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.commands.spec import Command, Kind, Option, Usage

_PAIR = re.compile(r"^[A-Za-z0-9]{2,10}(?:[/:-][A-Za-z0-9]{2,10})?$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$|^\.\d+$")
_CODE = re.compile(r"^[A-Za-z0-9]{4,6}$")
_ORDER_ID = re.compile(r"^[A-Za-z0-9-]{1,48}$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_INT = re.compile(r"^[0-9]{1,6}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def number(word: str) -> Decimal:
    """A plain positive number ("0.01", ".5", "60000"); no signs, exponents or thousands separators."""
    if not _NUMBER.match(word):
        raise Usage(f"'{word}' is not a plain number")
    try:
        value = Decimal(word)
    except InvalidOperation:
        raise Usage(f"'{word}' is not a number") from None
    if value <= 0:
        raise Usage(f"'{word}' must be more than zero")
    return value


def amount(word: str, pair: str = "") -> tuple[str, Decimal]:
    """("coin", 0.01) for 0.01; ("quote", 200) for $200 or 200usd (the pair's quote currency)."""
    low = word.lower()
    quote = pair.partition("/")[2].lower() if "/" in pair else ""
    if low.startswith("$"):
        return "quote", number(low[1:])
    for q in (quote, "usd") if quote else ("usd",):
        if low.endswith(q) and len(low) > len(q):
            return "quote", number(low[: -len(q)])
    return "coin", number(word)


def moment(text: str, now: datetime) -> datetime:
    """HH:MM (today, or yesterday if that is still to come) or YYYY-MM-DD HH:MM, UTC."""
    words = text.split()
    if not 1 <= len(words) <= 2:
        raise Usage(f"'{text}' is not a UTC time like 14:05")
    m = _CLOCK.match(words[-1])
    if m is None:
        raise Usage(f"'{words[-1]}' is not a UTC time like 14:05")
    if len(words) == 2:
        try:
            day = datetime.strptime(words[0], "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise Usage(f"'{words[0]}' is not a date like 2024-05-06") from None
    else:
        day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    at = day.replace(hour=int(m[1]), minute=int(m[2]))
    if len(words) == 1 and at > now:
        at -= timedelta(days=1)
    return at


def parse_value(option: Option, raw: Any, now: datetime, *, pair: str = "") -> Any:
    """One option's typed value from a word, a string or (Discord, web) a number."""
    text = str(raw).strip()
    kind = option.kind
    if kind is Kind.PAIR:
        if not _PAIR.match(text):
            raise Usage(f"'{text[:30]}' is not a pair like BTC/USD")
        return text.upper()
    if kind is Kind.AMOUNT:
        return amount(text, pair)
    if kind is Kind.EXIT:
        return ("pct", number(text[:-1])) if text.endswith("%") else ("price", number(text))
    if kind is Kind.PRICE:
        return number(text)
    if kind is Kind.INT:
        low, high = option.low or 0, option.high if option.high is not None else 10**6
        if not _INT.match(text) or not low <= int(text) <= high:
            what = option.name.upper() if len(option.name) == 1 else option.name
            raise Usage(f"{what} must be a whole number from {low} to {high}")
        return int(text)
    if kind is Kind.CHOICE:
        if text.lower() not in option.choices:
            raise Usage(f"choose one of: {', '.join(option.choices)}")
        return text.lower()
    if kind is Kind.MOMENT:
        return moment(text, now)
    if kind is Kind.CODE:
        if not _CODE.match(text):
            raise Usage("give the code from the confirmation message")
        return text.upper()
    if kind is Kind.ORDER:
        if not _ORDER_ID.match(text):
            raise Usage("give one order id, or all")
        return "all" if text.lower() == "all" else text
    raise Usage(f"unknown option kind {kind}")


def parse_words(command: Command, words: Sequence[str], now: datetime) -> dict[str, Any]:
    """The command's option values from its words: positional options in order, then keyword options."""
    words = list(words)
    values: dict[str, Any] = {}
    positional = [o for o in command.options if not o.keyword]
    keyed = {k: o for o in command.options if o.keyword for k in o.keyword}
    if not command.options and words:
        raise Usage("this command takes no arguments")
    for option in positional:
        if not words or words[0].lower() in keyed:
            if option.required:
                raise Usage(_missing(command))
            break
        take = 2 if option.kind is Kind.MOMENT and len(words) >= 2 and _DATE.match(words[0]) else 1
        values[option.name] = parse_value(option, " ".join(words[:take]), now, pair=values.get("pair", ""))
        words = words[take:]
    while words:
        option = keyed.get(words[0].lower())
        if option is None or len(words) < 2 or option.name in values:
            raise Usage(_extra(command))
        values[option.name] = parse_value(option, words[1], now)
        words = words[2:]
    return values


def _missing(command: Command) -> str:
    needed = [o.name for o in command.options if o.required]
    return "give " + " and ".join(f"the {n.replace('_', ' ')}" for n in needed)


def _extra(command: Command) -> str:
    keyed = [o for o in command.options if o.keyword]
    if keyed:
        return "after the amount only " + " or ".join(f"'{o.keyword[0]} {o.kind.value.upper()}'" for o in keyed) + \
            " may follow"
    return "too many words; see the usage line"
