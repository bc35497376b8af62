"""The one way every caller runs tools: permission, validation, the catalogue's confirmation rule, errors.

The agent (model and offline engine), slash commands and buttons (through bot/commands), the CLI and the web
all call Gate.execute; a person's approval comes in through Gate.confirm, never from the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from loguru import logger
from pydantic import BaseModel

from tools.base import Permission, Tool, ToolFlag
from tools.catalog_light import LIGHT
from tools.context import ToolContext
from tools.gate.confirm import Confirmations
from tools.gate.types import Caller, CallerKind, Role, ToolCall, ToolOutcome, Verdict
from tools.market import resolve_symbol
from tools.results import amount_str, data_stamp, data_time, money
from trading.domain import Mode, Side
from trading.errors import InputError, ZynError

_log = logger.bind(component="gate")

_ALLOWED = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.TRADER: frozenset({Permission.READ, Permission.TRADE}),
    Role.OWNER: frozenset({Permission.READ, Permission.TRADE, Permission.ADMIN}),
}
_NO_SELF_CONFIRM = "confirmation comes only from the person who asked: the button or /confirm CODE"


class _Catalogue(Mapping[str, Tool]):
    """tools.catalog's CATALOG, imported on first need: looking up get_status or get_price (tools.catalog_light,
    the same entries) does not load every tool module, so `zyn status` and `zyn ticker` start faster."""

    def __init__(self) -> None:
        self._full: Mapping[str, Tool] | None = None

    def _all(self) -> Mapping[str, Tool]:
        if self._full is None:
            from tools.catalog import CATALOG  # checks at import that it holds no confirm* tool

            self._full = CATALOG
        return self._full

    def get(self, name: str, default: Any = None) -> Any:  # noqa: ANN401 - Mapping.get
        tool = LIGHT.get(name) if self._full is None else None
        return tool if tool is not None else self._all().get(name, default)

    def __getitem__(self, name: str) -> Tool:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def allowed(role: Role, permission: Permission) -> bool:
    """Whether a role may run tools of this permission (viewer: read; trader: read+trade; owner: all)."""
    return permission in _ALLOWED.get(Role(role), frozenset())


def decide(tool: Tool, role: Role, mode: Mode, kind: CallerKind, args: BaseModel | None = None, *,
           confirm_in_paper: frozenset[str] = frozenset(), tainted: bool = False) -> Verdict:
    """The gate's verdict for one call: refuse (role), confirm (the tool's rule, or a tainted turn), or run.

    The caller kind changes nothing in the rule: a slash command, a model's call, chat text and the CLI are
    judged alike (the model simply has no way to confirm)."""
    if not allowed(role, tool.permission):
        return Verdict.REFUSE
    if tool.needs_confirmation(mode, args, confirm_in_paper=confirm_in_paper):
        return Verdict.CONFIRM
    dry = args is not None and tool.dry_run is not None and tool.dry_run(args)
    if tainted and tool.changes_state and not dry:
        return Verdict.CONFIRM
    return Verdict.RUN


class Gate:
    """Runs ToolCalls for a Caller; a call the rule holds back becomes a pending confirmation."""

    def __init__(self, ctx: ToolContext, confirmations: Confirmations, *,
                 confirm_in_paper: Iterable[str] = (), catalog: Mapping[str, Tool] | None = None) -> None:
        self.ctx = ctx
        self.confirmations = confirmations
        self.catalog: Mapping[str, Tool] = _Catalogue() if catalog is None else catalog
        self.confirm_in_paper = frozenset(confirm_in_paper)
        # The model gets no confirm tool; a catalogue that had one would hand it a way round the person.
        # (The default one is checked by tools.catalog itself when it loads.)
        sneaky = [] if catalog is None else [n for n in catalog if n.lower().startswith("confirm")]
        if sneaky:
            raise ValueError(f"tools named confirm* are not allowed in the catalogue: {sneaky}")

    @property
    def mode(self) -> Mode:
        return self.ctx.mode

    def tools_for(self, role: Role) -> list[Tool]:
        """The tools a role may call (what the model is offered for that caller)."""
        return [t for t in self.catalog.values() if allowed(role, t.permission)]

    def permits(self, caller: Caller, name: str) -> bool:
        """Whether the caller's role may run this tool at all (unknown tools: no)."""
        tool = self.catalog.get(name)
        return tool is not None and allowed(caller.role, tool.permission)

    def is_read(self, name: str) -> bool:
        """Whether the tool of this name changes nothing (unknown tools count as changing)."""
        tool = self.catalog.get(name)
        return tool is not None and not tool.changes_state

    async def execute(self, caller: Caller, call: ToolCall, *, kind: CallerKind,
                      force_confirm: bool = False) -> ToolOutcome:
        """Check, validate and run one call, or turn it into a pending confirmation.

        force_confirm: a state-changing call waits for the person's confirmation even where the rule would
        run it directly (the agent sets it when this turn carried instruction-like text)."""
        name = (call.name or "").strip()
        if name.lower().startswith("confirm"):
            _log.warning("refused a {} attempt to confirm via tool '{}' (chat {})", kind.value, name, caller.chat_id)
            return _fail(call, _NO_SELF_CONFIRM)
        tool = self.catalog.get(name)
        if tool is None:
            return _fail(call, f"unknown action '{name}'")
        if not allowed(caller.role, tool.permission):
            _log.info("refused {} ({}) for {} {} in {} chat {} (needs {})", name, kind.value, caller.role.value,
                      caller.user_id, caller.channel, caller.chat_id, tool.permission.value)
            return _fail(call, f"{name} needs {tool.permission.value} permission; you have {caller.role.value}",
                         refused=True)
        if not isinstance(call.args, dict):  # never fall back to defaults: cancel_all({}) cancels everything
            return _fail(call, "the arguments must be an object of named values")
        try:
            args = tool.parse(call.args)
        except InputError as exc:
            return _fail(call, exc.message)
        refusal = await self._precheck(tool, args)
        if refusal:
            return _fail(call, refusal)
        verdict = decide(tool, caller.role, self.mode, kind, args, confirm_in_paper=self.confirm_in_paper,
                         tainted=force_confirm)
        caution = await self._caution(tool, args)
        if verdict is Verdict.CONFIRM or caution:
            return await self._ask(caller, call, tool, args, caution, kind)
        return await self._run(caller, call, tool, args, kind)

    async def _precheck(self, tool: Tool, args: BaseModel) -> str | None:
        """The tool's reason this call cannot be done now; a failing check is logged and refuses nothing."""
        if tool.precheck is None:
            return None
        try:
            return await tool.precheck(self.ctx, args)
        except Exception:  # noqa: BLE001 - the call itself still checks; this only spares a needless question
            _log.exception("precheck of {} failed", tool.name)
            return None

    async def _caution(self, tool: Tool, args: BaseModel) -> str | None:
        """The tool's reason to ask now (never for a dry run); a failing check is logged and says nothing."""
        if tool.caution is None or (tool.dry_run is not None and tool.dry_run(args)):
            return None
        try:
            return await tool.caution(self.ctx, args)
        except Exception:  # noqa: BLE001 - the rule still applies; the check is extra care
            _log.exception("caution check of {} failed", tool.name)
            return None

    async def confirm(self, caller: Caller, code: str) -> ToolOutcome:
        """A person's button press or /confirm CODE: run the stored call exactly once, if still valid."""
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
        if tool.has(ToolFlag.RECHECK_PRICE) and action.reference_price is not None:
            try:
                symbol, current = await self._reference(args)
            except InputError as exc:
                return _fail(call, exc.message)
            if current is None:  # cannot vouch for the price: leave it pending, nothing ran
                return _fail(call, f"cannot check the {symbol} price right now; try /confirm {action.code} again",
                             exit_code=2)
            if self.confirmations.is_stale(action, current):
                moved = f"price moved from {_price(action.reference_price)} to {_price(current)}"
                summary = f"{tool.summary(args, self.mode, symbol)}; {moved} since you asked"
                try:
                    fresh = self.confirmations.refuse_stale(caller, action, current, summary)
                except InputError as exc:
                    return _fail(call, exc.message)
                _log.info("confirmation {} refused as stale ({}); asked again as {}", action.code, moved, fresh.code)
                return ToolOutcome(call=call, ok=False, error=f"{moved}; confirm again with code {fresh.code}",
                                   pending=fresh, exit_code=1)
        try:
            self.confirmations.claim(action)  # marked executed before it runs: a double press runs once
        except InputError as exc:
            return _fail(asked, exc.message)
        _log.info("confirmation {} by {}: running {}", action.code, caller.user_id, tool.name)
        outcome = await self._run(caller, call, tool, args, action.kind or None)
        self.confirmations.record_result(action, outcome.text())
        return outcome

    async def cancel(self, caller: Caller, code: str | None = None) -> ToolOutcome:
        """A person drops a pending action (that code, or their newest in this chat)."""
        asked = ToolCall(name="cancel_confirmation", args={"code": code} if code else {})
        try:
            action = self.confirmations.cancel(caller, code)
        except InputError as exc:
            return _fail(asked, exc.message)
        return ToolOutcome(call=asked, ok=True, result=f"Cancelled {action.code}: {action.summary}")

    async def _ask(self, caller: Caller, call: ToolCall, tool: Tool, args: BaseModel,
                   caution: str | None = None, kind: CallerKind | None = None) -> ToolOutcome:
        symbol, price = None, None
        if tool.has(ToolFlag.RECHECK_PRICE):
            try:
                symbol, price = await self._reference(args)
            except InputError as exc:  # an unknown pair: no point asking to confirm it
                return _fail(call, exc.message)
        stored = ToolCall(name=tool.name, args=stored_args(args), call_id=call.call_id)
        try:
            summary = tool.summary(args, self.mode, symbol) + (f". CAUTION: {caution}" if caution else "")
            pending = self.confirmations.create(caller, stored, summary, price, kind.value if kind else "")
        except InputError as exc:
            return _fail(call, exc.message)
        _log.info("{} from {} in {} chat {} awaits confirmation {}", tool.name, caller.user_id, caller.channel,
                  caller.chat_id, pending.code)
        return ToolOutcome(call=call, ok=True, pending=pending)

    async def _run(self, caller: Caller, call: ToolCall, tool: Tool, args: BaseModel,
                   kind: CallerKind | str | None = None) -> ToolOutcome:
        # A copy per call: concurrent chats must not see each other's actor in the audit trail, nor orders
        # each other's source (the kind the call was asked through: a confirmation keeps the asking one).
        ctx = replace(self.ctx, actor=f"{caller.channel}:{caller.user_id}", order_source=caller.order_source(kind),
                      reply_to=caller.conversation)
        try:
            result = await tool.run(ctx, args)
        except ZynError as exc:
            _log.info("{} failed for {}: {}", tool.name, caller.user_id, exc.message)
            return _fail(call, exc.message, exit_code=exc.exit_code)
        except Exception:
            _log.exception("{} raised unexpectedly for {}", tool.name, caller.user_id)
            return _fail(call, "internal error", exit_code=2)
        stamp = data_stamp(ctx.mode, data_time(result, ctx.clock.now()), ctx.timezone) if tool.has(
            ToolFlag.STAMPED) else ""
        return ToolOutcome(call=call, ok=True, result=result, stamp=stamp)

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


def _price(value: Decimal | str | None) -> str:
    if value is None:
        return "unknown"
    number = Decimal(str(value))
    return money(number) if abs(number) >= 1 else amount_str(number)


def _fail(call: ToolCall, error: str, *, exit_code: int = 1, refused: bool = False) -> ToolOutcome:
    return ToolOutcome(call=call, ok=False, error=error, exit_code=exit_code, refused=refused)
