"""What a tool is: name, description, typed args, permission, confirmation policy and flags, async function."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from tools.context import ToolContext
from trading.domain import Mode
from trading.errors import InputError

A = TypeVar("A", bound=BaseModel)


class Permission(StrEnum):
    READ = "read"  # changes nothing
    TRADE = "trade"  # orders, the autopilot on/off
    ADMIN = "admin"  # risk settings, kill switch, flatten, funding, alert routing


class ConfirmPolicy(StrEnum):
    NEVER = "never"  # runs at once in every mode (reads, and changes that only make Zyn safer or quieter)
    LIVE = "live"  # waits for a confirmation in LIVE; in PAPER only when listed in ZYN_CONFIRM_IN_PAPER
    ALWAYS = "always"  # waits for a confirmation in every mode


class ToolFlag(StrEnum):
    RECHECK_PRICE = "recheck_price"  # an order: its price is taken when asked and checked again when confirmed
    STAMPED = "stamped"  # shows money or trades: its reply says the mode and the data's time (tools/gate _run)


class Args(BaseModel):
    """Base of every tool's arguments: unknown fields are refused, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


@dataclass(frozen=True)
class Tool(Generic[A]):
    """One action of the catalogue.

    The confirmation rule, the only one (tools/gate applies it for every caller: the model, chat text, slash
    commands, buttons, the CLI and the web):
      - a READ tool never waits for a confirmation;
      - a call that `dry_run` says changes nothing (an order with validate_only) runs at once;
      - ALWAYS waits in every mode; LIVE waits in LIVE, and in PAPER only if the owner listed the tool in
        ZYN_CONFIRM_IN_PAPER; NEVER runs at once in every mode (autopilot_stop: stopping must never wait);
      - on top of the rule, a call waits when its `caution` names a reason (an order that would execute at
        once, a buy while the kill switch is tripped), and every state-changing call of a turn waits when
        that turn carried instruction-like text (the agent's "taint").
    The permission says who may call it at all: viewers READ, traders READ and TRADE, the owner everything.
    """

    name: str
    description: str
    args: type[A]
    permission: Permission
    confirm: ConfirmPolicy
    fn: Callable[[ToolContext, A], Awaitable[Any]]
    flags: frozenset[ToolFlag] = field(default_factory=frozenset)
    # What a call will do, in words, for the confirmation question: (args, resolved pair or None) -> text.
    describe: Callable[[A, str | None], str] | None = None
    dry_run: Callable[[A], bool] | None = None  # True when this call changes nothing (it runs at once)
    # Why this call needs the person's explicit yes now, whatever the rule (an order that fills at once, a buy
    # while the kill switch is tripped): a short text, or None.
    caution: Callable[[ToolContext, A], Awaitable[str | None]] | None = None
    # Why this call cannot be done now (the funds are not there): refused at once, before any question, and
    # nothing changes. None when it can, or when that cannot be checked now (the call then decides).
    precheck: Callable[[ToolContext, A], Awaitable[str | None]] | None = None

    def __post_init__(self) -> None:
        if self.permission is Permission.READ and self.confirm is not ConfirmPolicy.NEVER:
            raise ValueError(f"{self.name}: a read tool never asks for a confirmation")
        if self.name.lower().startswith("confirm"):
            raise ValueError(f"{self.name}: no tool may be named confirm* (only a person confirms)")

    @property
    def changes_state(self) -> bool:
        """Whether the tool changes anything (every permission but read)."""
        return self.permission is not Permission.READ

    def has(self, flag: ToolFlag) -> bool:
        """Whether the tool carries this flag."""
        return flag in self.flags

    def needs_confirmation(self, mode: Mode, args: A | None = None, *,
                           confirm_in_paper: frozenset[str] = frozenset()) -> bool:
        """The confirmation rule (see the class docstring) for this call in this mode."""
        if not self.changes_state:
            return False
        if args is not None and self.dry_run is not None and self.dry_run(args):
            return False
        if self.confirm is ConfirmPolicy.ALWAYS:
            return True
        if self.confirm is ConfirmPolicy.LIVE:
            return Mode(mode) is Mode.LIVE or self.name in confirm_in_paper
        return False

    def summary(self, args: A, mode: Mode, symbol: str | None = None) -> str:
        """What the call will do, in words, with the mode, e.g. "buy 0.01 BTC/USD at market (PAPER)"."""
        if self.describe is not None:
            text = self.describe(args, symbol)
        else:
            given = args.model_dump(mode="json", exclude_defaults=True)
            detail = ", ".join(f"{k}={v}" for k, v in given.items())
            text = self.description[:1].lower() + self.description[1:] + (f" ({detail})" if detail else "")
        return f"{text} ({Mode(mode).value.upper()})"

    def parse(self, raw: dict[str, Any]) -> A:
        """Validate raw arguments into the typed model, or raise one clear InputError."""
        try:
            return self.args.model_validate(raw)
        except ValidationError as exc:
            raise InputError(describe_validation(exc)) from None

    async def run(self, ctx: ToolContext, raw: dict[str, Any] | A) -> Any:
        """Validate and execute."""
        args = raw if isinstance(raw, self.args) else self.parse(raw)  # type: ignore[arg-type]
        return await self.fn(ctx, args)


def describe_validation(exc: ValidationError) -> str:
    """First validation problem as one short line."""
    err = exc.errors()[0]
    field_name = ".".join(str(p) for p in err.get("loc", ())) or "input"
    kind = err.get("type", "")
    got = err.get("input")
    if kind in ("finite_number", "decimal_parsing", "float_parsing", "decimal_type"):
        return f"{field_name} must be a number (got {got!r})"
    if kind in ("greater_than", "greater_than_equal"):
        return f"{field_name} must be {err['msg'].lower().replace('input should be ', '')} (got {got})"
    if kind == "extra_forbidden":
        return f"unknown argument '{field_name}'"
    if kind == "missing":
        return f"{field_name} is required"
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    # A whole-model check ("a bracket needs both ...") has no field to name; pydantic's prefix is not for people.
    return msg if field_name in ("input", "") or kind == "value_error" else f"{field_name}: {msg}"
