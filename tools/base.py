"""What a tool is: name, description, typed args, permission, confirmation policy, async function."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from tools.context import ToolContext
from trading.domain import Mode
from trading.errors import InputError

A = TypeVar("A", bound=BaseModel)


class Permission(StrEnum):
    READ = "read"
    TRADE = "trade"
    ADMIN = "admin"


class ConfirmPolicy(StrEnum):
    NEVER = "never"
    LIVE = "live"  # confirm in LIVE, run directly in PAPER
    ALWAYS = "always"


class Args(BaseModel):
    """Base of every tool's arguments: unknown fields are refused, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


@dataclass(frozen=True)
class Tool(Generic[A]):
    name: str
    description: str
    args: type[A]
    permission: Permission
    confirm: ConfirmPolicy
    fn: Callable[[ToolContext, A], Awaitable[Any]]

    def needs_confirmation(self, mode: Mode) -> bool:
        """Whether this call must be confirmed by the user before it runs."""
        return self.confirm is ConfirmPolicy.ALWAYS or (self.confirm is ConfirmPolicy.LIVE and mode is Mode.LIVE)

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
    field = ".".join(str(p) for p in err.get("loc", ())) or "input"
    kind = err.get("type", "")
    got = err.get("input")
    if kind in ("finite_number", "decimal_parsing", "float_parsing", "decimal_type"):
        return f"{field} must be a number (got {got!r})"
    if kind in ("greater_than", "greater_than_equal"):
        return f"{field} must be {err['msg'].lower().replace('input should be ', '')} (got {got})"
    if kind == "extra_forbidden":
        return f"unknown argument '{field}'"
    if kind == "missing":
        return f"{field} is required"
    return f"{field}: {err.get('msg', 'invalid value')}"
