"""What a command is, for every front end: name, one-line description, usage, typed options, and its route.

Options are typed (pair, amount, price or percentage, whole number in a range, choice, time, code, order id)
and, where they stand for a tool's argument, derived from that tool's args model (description, range, choices),
so Telegram can read them as words, Discord as app-command options and the web as JSON fields, and none of
them can ask for more than the tool allows. `route` turns the values into one Step: a tool call, or a chat flow.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from annotated_types import Ge, Gt, Le, Lt

from tools.catalog import CATALOG


class Usage(Exception):
    """The input does not fit the command; its usage line is the answer."""


class Kind(StrEnum):
    PAIR = "pair"  # BTC/USD, btcusd, XBT
    AMOUNT = "amount"  # 0.01 (coins) or $200 / 200usd (quote to spend or receive)
    EXIT = "exit"  # 59000 (a price) or 2% (away from the entry)
    PRICE = "price"  # a positive number
    INT = "int"  # a whole number within low..high
    CHOICE = "choice"  # one of choices
    MOMENT = "moment"  # HH:MM (UTC, today or yesterday) or YYYY-MM-DD HH:MM
    CODE = "code"  # a confirmation code
    ORDER = "order"  # an order id, or "all"


class Action(StrEnum):
    """Steps that are chat flows, not one tool call."""

    START = "start"
    HELP = "help"
    CONFIRM = "confirm"
    CANCEL_MENU = "cancel_menu"
    MODE = "mode"
    WEBLOGIN = "weblogin"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Option:
    name: str
    kind: Kind
    description: str
    required: bool = False
    choices: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None
    keyword: tuple[str, ...] = ()  # in words, the option is introduced by one of these ("limit 60000")
    default: Any = None


@dataclass(frozen=True)
class Step:
    """What a command asks for: one tool call, or a chat flow (help, start, confirm, cancel menu, mode)."""

    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    action: str | None = None
    code: str | None = None


Route = Callable[[Mapping[str, Any], datetime], Step]


@dataclass(frozen=True)
class Command:
    name: str
    usage: str  # "/price PAIR"
    description: str  # one line: the command list, /help, app-command descriptions
    options: tuple[Option, ...]
    route: Route
    refresh: bool = False  # its answer may get a Refresh button (only ever re-running a read-only tool)
    tools: tuple[str, ...] = ()  # the tools its route may call (permissions are checked on the actual one)

    def option(self, name: str) -> Option:
        """The option of that name."""
        return next(o for o in self.options if o.name == name)


def from_field(tool: str, arg: str, *, name: str | None = None, kind: Kind | None = None,
               description: str | None = None, required: bool = False, low: int | None = None,
               high: int | None = None, choices: tuple[str, ...] | None = None,
               keyword: tuple[str, ...] = ()) -> Option:
    """An option standing for a tool argument: its description, range and choices come from the args model.

    low/high/choices may narrow what the tool accepts, never widen it (a ValueError at import otherwise)."""
    info = CATALOG[tool].args.model_fields[arg]
    lo, hi = _bounds(info.metadata)
    literal = _literal(info.annotation)
    if choices is not None and literal and not set(choices) <= set(literal):
        raise ValueError(f"{tool}.{arg}: choices {choices} go beyond {literal}")
    if (low is not None and lo is not None and low < lo) or (high is not None and hi is not None and high > hi):
        raise ValueError(f"{tool}.{arg}: range {low}..{high} goes beyond {lo}..{hi}")
    picked = choices or literal
    guessed = kind or (Kind.CHOICE if picked else Kind.INT if _is_int(info.annotation) else Kind.PAIR
                       if arg == "symbol" else Kind.PRICE)
    return Option(name=name or arg, kind=guessed, description=(description or info.description or arg)[:100],
                  required=required, choices=tuple(picked), low=low if low is not None else lo,
                  high=high if high is not None else hi, keyword=keyword,
                  default=None if info.is_required() else info.default)


def _bounds(metadata: list[Any]) -> tuple[int | None, int | None]:
    lo = hi = None
    for m in metadata:
        if isinstance(m, Ge):
            lo = int(m.ge)
        elif isinstance(m, Gt):
            lo = int(m.gt) + 1
        elif isinstance(m, Le):
            hi = int(m.le)
        elif isinstance(m, Lt):
            hi = int(m.lt) - 1
    return lo, hi


def _literal(annotation: Any) -> tuple[str, ...]:
    """The choices of a Literal (or Optional[Literal]) annotation, else ()."""
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(str(a) for a in typing.get_args(annotation))
    for arg in typing.get_args(annotation):
        found = _literal(arg)
        if found:
            return found
    return ()


def _is_int(annotation: Any) -> bool:
    return annotation is int or int in typing.get_args(annotation)
