"""The one way the agent and the chat front ends run tools: permissions, validation, confirmations, errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from loguru import logger
from pydantic import BaseModel

from agent.confirm import Confirmations
from agent.types import Caller, Role, ToolCall, ToolOutcome
from tools.base import ConfirmPolicy, Permission, Tool
from tools.catalog import CATALOG
from tools.context import ToolContext
from tools.market import resolve_symbol
from tools.results import amount_str, money
from trading.domain import Mode, Side
from trading.errors import InputError, ZynError

_log = logger.bind(component="agent")

DEFAULT_CONFIRM_IN_PAPER = frozenset({"flatten_all", "cancel_all", "kill_switch_reset"})
ORDER_TOOLS = frozenset({"place_order", "place_bracket_order"})  # their confirmation re-checks the price
_ALLOWED = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.TRADER: frozenset({Permission.READ, Permission.TRADE}),
    Role.OWNER: frozenset({Permission.READ, Permission.TRADE, Permission.ADMIN}),
}
_NO_SELF_CONFIRM = "confirmation comes only from the person who asked: the button or /confirm CODE"


def allowed(role: Role, permission: Permission) -> bool:
    """Whether a role may run tools of this permission (viewer: read; trader: read+trade; owner: all)."""
    return permission in _ALLOWED.get(Role(role), frozenset())


def is_state_changing(name: str) -> bool:
    """Whether the catalogue's tool of this name changes anything (every permission but read)."""
    tool = CATALOG.get(name)
    return tool is not None and tool.permission is not Permission.READ


class Executor:
    """Runs ToolCalls for a Caller; state-changing calls may first become pending confirmations."""

    def __init__(self, ctx: ToolContext, confirmations: Confirmations, *,
                 confirm_in_paper: frozenset[str] = DEFAULT_CONFIRM_IN_PAPER,
                 catalog: Mapping[str, Tool] | None = None) -> None:
        self.ctx = ctx
        self.confirmations = confirmations
        self.confirm_in_paper = frozenset(confirm_in_paper)
        self.catalog: Mapping[str, Tool] = CATALOG if catalog is None else catalog
        # The model gets no confirm tool; a catalogue that had one would hand it a way round the user.
        sneaky = [n for n in self.catalog if n.lower().startswith("confirm")]
        if sneaky:
            raise ValueError(f"tools named confirm* are not allowed in the catalogue: {sneaky}")

    def tools_for(self, role: Role) -> list[Tool]:
        """The tools a role may call (what the model is offered for that caller)."""
        return [t for t in self.catalog.values() if allowed(role, t.permission)]

    def needs_confirmation(self, tool: Tool) -> bool:
        """LIVE: every state-changing tool; PAPER: the configured ones and those that always confirm."""
        if tool.confirm is ConfirmPolicy.ALWAYS:
            return True
        if self.ctx.mode is Mode.LIVE:
            return tool.permission is not Permission.READ
        return tool.name in self.confirm_in_paper

    async def execute(self, caller: Caller, call: ToolCall, *, from_model: bool,
                      force_confirm: bool = False) -> ToolOutcome:
        """Check, validate and run one call, or turn it into a pending confirmation.

        force_confirm: a state-changing call waits for the person's confirmation even where the policy would
        run it directly (the agent sets it when this turn's tool outputs carried instruction-like text).
        """
        name = (call.name or "").strip()
        if name.lower().startswith("confirm"):
            _log.warning("refused a {} attempt to confirm via tool '{}' (chat {})",
                         "model" if from_model else "direct", name, caller.chat_id)
            return _fail(call, _NO_SELF_CONFIRM)
        tool = self.catalog.get(name)
        if tool is None:
            return _fail(call, f"unknown action '{name}'")
        if not allowed(caller.role, tool.permission):
            _log.info("refused {} for {} {} in chat {} (needs {})", name, caller.role.value, caller.user_id,
                      caller.chat_id, tool.permission.value)
            return _fail(call, f"{name} needs {tool.permission.value} permission; you have {caller.role.value}")
        if not isinstance(call.args, dict):  # never fall back to defaults: cancel_all({}) cancels everything
            return _fail(call, "the arguments must be an object of named values")
        try:
            args = tool.parse(call.args)
        except InputError as exc:
            return _fail(call, exc.message)
        if self.needs_confirmation(tool) or (force_confirm and tool.permission is not Permission.READ):
            return await self._ask(caller, call, tool, args)
        return await self._run(caller, call, tool, args)

    async def confirm(self, caller: Caller, code: str) -> ToolOutcome:
        """A human's button press or /confirm CODE: run the stored call exactly once, if still valid."""
        asked = ToolCall(name="confirm", args={"code": code})
        try:
            action = self.confirmations.resolve(caller, code)
        except InputError as exc:
            _log.info("confirmation {} by {} refused: {}", code, caller.user_id, exc.message)
            return _fail(asked, exc.message)
        call = ToolCall(name=action.tool, args=dict(action.args), call_id=f"confirm:{action.code}")
        tool = self.catalog.get(action.tool)
        try:
            if tool is None:
                raise InputError(f"the action '{action.tool}' no longer exists")
            if not allowed(caller.role, tool.permission):  # the role may have changed since it was asked
                raise InputError(f"{tool.name} needs {tool.permission.value} permission; you have {caller.role.value}")
            args = tool.parse(action.args)
        except InputError as exc:
            self.confirmations.refuse(action, exc.message)
            return _fail(call, exc.message)
        if tool.name in ORDER_TOOLS and action.reference_price is not None:
            try:
                symbol, current = await self._reference(args)
            except InputError as exc:
                return _fail(call, exc.message)
            if current is None:  # cannot vouch for the price: leave it pending, nothing ran
                return _fail(call, f"cannot check the {symbol} price right now; try /confirm {action.code} again")
            if self.confirmations.is_stale(action, current):
                moved = f"price moved from {_price(action.reference_price)} to {_price(current)}"
                summary = f"{describe(tool, args, self.ctx.mode, symbol)}; {moved} since you asked"
                try:
                    fresh = self.confirmations.refuse_stale(caller, action, current, summary)
                except InputError as exc:
                    return _fail(call, exc.message)
                _log.info("confirmation {} refused as stale ({}); asked again as {}", action.code, moved, fresh.code)
                return ToolOutcome(call=call, ok=False, error=f"{moved}; confirm again with code {fresh.code}",
                                   pending=fresh)
        try:
            self.confirmations.claim(action)  # marked executed before it runs: a double press runs once
        except InputError as exc:
            return _fail(asked, exc.message)
        _log.info("confirmation {} by {}: running {}", action.code, caller.user_id, tool.name)
        outcome = await self._run(caller, call, tool, args)
        self.confirmations.record_result(action, outcome.text())
        return outcome

    async def cancel(self, caller: Caller, code: str | None = None) -> ToolOutcome:
        """A human cancels a pending action (that code, or their newest in this chat)."""
        asked = ToolCall(name="cancel_confirmation", args={"code": code} if code else {})
        try:
            action = self.confirmations.cancel(caller, code)
        except InputError as exc:
            return _fail(asked, exc.message)
        return ToolOutcome(call=asked, ok=True, result=f"Cancelled {action.code}: {action.summary}")

    async def _ask(self, caller: Caller, call: ToolCall, tool: Tool, args: BaseModel) -> ToolOutcome:
        symbol, price = None, None
        if tool.name in ORDER_TOOLS:
            try:
                symbol, price = await self._reference(args)
            except InputError as exc:  # an unknown pair: no point asking to confirm it
                return _fail(call, exc.message)
        stored = ToolCall(name=tool.name, args=stored_args(args), call_id=call.call_id)
        try:
            pending = self.confirmations.create(caller, stored, describe(tool, args, self.ctx.mode, symbol), price)
        except InputError as exc:
            return _fail(call, exc.message)
        _log.info("{} from {} in chat {} awaits confirmation {}", tool.name, caller.user_id, caller.chat_id,
                  pending.code)
        return ToolOutcome(call=call, ok=True, pending=pending)

    async def _run(self, caller: Caller, call: ToolCall, tool: Tool, args: BaseModel) -> ToolOutcome:
        # A copy per call: concurrent chats must not see each other's actor in the audit trail.
        ctx = replace(self.ctx, actor=f"{caller.channel}:{caller.user_id}")
        try:
            result = await tool.run(ctx, args)
        except ZynError as exc:
            _log.info("{} failed for {}: {}", tool.name, caller.user_id, exc.message)
            return _fail(call, exc.message)
        except Exception:
            _log.exception("{} raised unexpectedly for {}", tool.name, caller.user_id)
            return _fail(call, "internal error")
        return ToolOutcome(call=call, ok=True, result=result)

    async def _reference(self, args: Any) -> tuple[str, Decimal | None]:
        """The pair and the price the order would trade at now (ask to buy, bid to sell); None if unknown."""
        try:
            symbol = await resolve_symbol(self.ctx, args.symbol)
        except InputError:
            raise
        except ZynError:
            return str(args.symbol), None
        try:
            ticker = await self.ctx.exchange.fetch_ticker(symbol)
        except InputError:
            raise
        except ZynError:
            return symbol, None
        return symbol, ticker.ask if args.side is Side.BUY else ticker.bid


def stored_args(args: BaseModel) -> dict[str, Any]:
    """The validated arguments as plain JSON (Decimals as exact strings), parsed again identically."""
    return args.model_dump(mode="json", exclude_defaults=True)


def describe(tool: Tool, args: Any, mode: Mode, symbol: str | None = None) -> str:
    """What a call will do, in words, e.g. "buy 0.01 BTC/USD at market (PAPER)"."""
    name = tool.name
    if name in ORDER_TOOLS:
        text = _describe_order(args, symbol or args.symbol)
    elif name == "cancel_order":
        text = f"cancel order {args.order_id}"
    elif name == "cancel_all":
        text = "cancel every open order" + (f" on {args.symbol}" if args.symbol else "")
    elif name == "flatten_all":
        text = "EMERGENCY: cancel every order and sell every holding at market"
    elif name == "kill_switch_reset":
        text = f"re-arm the kill switch ({args.reason})"
    elif name == "withdraw":
        text = f"withdraw {amount_str(args.amount)} {args.asset.upper()} to the saved address '{args.key}'"
    else:
        given = stored_args(args)
        detail = ", ".join(f"{k}={v}" for k, v in given.items())
        text = tool.description[:1].lower() + tool.description[1:] + (f" ({detail})" if detail else "")
    return f"{text} ({mode.value.upper()})"


def _describe_order(args: Any, symbol: str) -> str:
    if args.amount is not None:
        qty = f"{amount_str(args.amount)} {symbol}"
    else:
        quote = symbol.partition("/")[2] or "quote"
        qty = f"{amount_str(args.quote_amount)} {quote} of {symbol}"
    how = {"market": "at market", "limit": f"at limit {amount_str(args.price)}",
           "stop-loss": f"stop-loss at {amount_str(args.trigger)}",
           "take-profit": f"take-profit at {amount_str(args.trigger)}"}[args.type]
    text = f"{args.side.value} {qty} {how}"
    if args.is_bracket:
        stop = amount_str(args.stop) if args.stop is not None else f"{amount_str(args.stop_pct)}%"
        target = amount_str(args.take_profit) if args.take_profit is not None else f"{amount_str(args.take_profit_pct)}%"
        text += f", stop {stop}, target {target}"
    if args.validate_only:
        text += ", validate only"
    return text


def _price(value: Decimal | str | None) -> str:
    if value is None:
        return "unknown"
    number = Decimal(str(value))
    return money(number) if abs(number) >= 1 else amount_str(number)


def _fail(call: ToolCall, error: str) -> ToolOutcome:
    return ToolOutcome(call=call, ok=False, error=error)
