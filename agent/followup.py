"""What the offline engine cannot settle alone: follow-ups read from the chat, and calls that need a holding.

"and eth?" repeats the chat's last request for another pair; "make it $300" resizes its last order; "why?" explains
the pair it was about. "sell half my btc" and "cancel the btc limit" are finished from tool results read in the
same turn (the balance, the open orders), never from a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any

from agent.intents.engine import Parsed
from tools.account import BalancesResult
from tools.gate import ToolCall, ToolOutcome
from tools.results import OrdersResult

_OID = re.compile(r"\b[A-Z0-9]{6}-[A-Z0-9]{5}-[A-Z0-9]{6}\b")
_WITH_SYMBOL = ("get_price", "make_chart", "run_backtest", "trade_history", "list_open_orders", "explain_evaluation",
                "why_not_trade", "cancel_all")
_STEP = Decimal("0.00000001")


def earlier_request(history: Sequence[str], parse: Callable[[str], Parsed]) -> Parsed | None:
    """The newest earlier message of this chat that asked for tools (follow-ups and yes/no skipped)."""
    for text in history:
        p = parse(text)
        if p.calls:
            return p
    return None


def resolve_follow(parsed: Parsed, history: Sequence[str], parse: Callable[[str], Parsed]) -> Parsed:
    """A follow-up turned into calls from the chat's earlier request, or a short note saying what is missing."""
    kind = parsed.follow[0] if parsed.follow else ""
    if kind == "size":
        base = next((p for p in (parse(t) for t in history) if any(c.name == "place_order" for c in p.calls)), None)
        if base is None:
            return Parsed(unknown=True, note="Make what? I see no order earlier in this chat; say e.g. 'buy $300 of btc'.")
        order = next(c for c in base.calls if c.name == "place_order")
        args = {k: v for k, v in order.args.items() if k not in ("amount", "quote_amount", "portion")}
        _, text, dollar, _value = parsed.follow
        args["quote_amount" if dollar or "quote_amount" in order.args else "amount"] = text
        return Parsed(calls=(ToolCall(name="place_order", args=args),), note="Changing the order to " + (
            f"{text} {args['symbol'].split('/')[1]}." if "quote_amount" in args else f"{text} {args['symbol'].split('/')[0]}."))
    base = earlier_request(history, parse)
    if kind == "why":
        sym = next((c.args["symbol"] for c in base.calls if "symbol" in c.args), None) if base else None
        return Parsed(calls=(ToolCall(name="explain_evaluation", args={"symbol": sym} if sym else {}),),
                      note=f"Explaining the autopilot's last decision{' for ' + sym if sym else ''}.")
    if base is None:
        return Parsed(unknown=True, note="Same as what? Ask in full, e.g. 'price eth'.")
    symbols: tuple[str, ...] = parsed.follow[1] if parsed.follow else ()
    calls: list[ToolCall] = []
    for call in base.calls:
        if call.name == "place_order" and "amount" in call.args:
            coin = symbols[0].split("/")[0].lower()
            return Parsed(unknown=True, note=f"How much {coin}? Coins of one pair are not coins of another; say e.g. "
                                             f"'{call.args['side']} 0.1 {coin}'.")
        for sym in symbols:
            if "symbol" in call.args or call.name in _WITH_SYMBOL:
                new = ToolCall(name=call.name, args={**call.args, "symbol": sym})
            elif "asset" in call.args:
                new = ToolCall(name=call.name, args={**call.args, "asset": sym.split("/")[0]})
            else:
                new = call
            if new not in calls:
                calls.append(new)
    return Parsed(calls=tuple(calls), note=f"Same for {', '.join(symbols)}: {base.note}")


def last_order_id(history: Sequence[str]) -> str | None:
    """The order id this chat mentioned last ("cancel that")."""
    for text in history:
        found = _OID.findall(text)
        if found:
            return found[-1]
    return None


def finish_call(call: ToolCall, outcomes: Sequence[ToolOutcome]) -> ToolCall | str:
    """A call with a 'portion' (of a holding) or a 'pick' (of the open orders) made exact from this turn's results."""
    args: dict[str, Any] = dict(call.args)
    if "portion" in args:
        balances = next((o.result for o in reversed(outcomes) if isinstance(o.result, BalancesResult)), None)
        if balances is None:
            return "I could not read your balance, so I sold nothing."
        base = args["symbol"].split("/")[0]
        row = next((b for b in balances.balances if b.asset == base), None)
        held = row.free if row is not None else Decimal(0)
        amount = (held * Decimal(args.pop("portion"))).quantize(_STEP, rounding=ROUND_DOWN)
        if amount <= 0 and row is not None and row.used > 0:
            return (f"Your {format(row.total.normalize(), 'f')} {base} is all held by open orders (a bracket's stop "
                    f"and target, or a resting sell), so I sold nothing. Cancel those orders first ('orders' lists "
                    f"them), or 'flatten' to cancel everything and sell at market.")
        if amount <= 0:
            return f"You hold no {base} that is free to sell, so I sold nothing."
        args["amount"] = format(amount.normalize(), "f")
        return ToolCall(name=call.name, args=args)
    if "pick" in args:
        listed = next((o.result for o in reversed(outcomes) if isinstance(o.result, OrdersResult)), None)
        if listed is None:
            return "I could not read your open orders, so I cancelled nothing."
        pick, kind, sym = args.pop("pick"), args.pop("type", None), args.pop("symbol", None)
        orders = [o for o in listed.orders if (kind is None or o.type.value.replace("-", "_") == kind)
                  and (sym is None or o.symbol == sym)]
        what = " ".join(w for w in (sym, (kind or "").replace("_", "-"), "order") if w)
        if not orders:
            return f"You have no open {what}, so I cancelled nothing."
        if pick == "only" and len(orders) > 1:
            ids = ", ".join(o.id for o in orders[:5])
            return f"You have {len(orders)} open {what}s ({ids}); say which, e.g. 'cancel {orders[0].id}'."
        return ToolCall(name="cancel_order", args={"order_id": orders[0].id})
    return call
