"""The command set every chat front end publishes (Telegram's commands, Discord's app commands, web routes).

Each command names its typed options (derived from the tool's args model where they stand for an argument)
and a route from the option values to one Step. parse_command reads a Telegram-style list of words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.commands.spec import Action, Command, Kind, Option, Step, Usage, from_field
from bot.commands.words import parse_value, parse_words
from tools.catalog import CATALOG

V = Mapping[str, Any]
PAIR = Option("pair", Kind.PAIR, "pair, e.g. BTC/USD", required=True)
LIMIT = Option("limit", Kind.PRICE, "limit price (else market)", keyword=("limit", "at", "@"))
AMOUNT = Option("amount", Kind.AMOUNT, "0.01 (coins) or $200 (to spend or receive)", required=True)


def _amount(values: V) -> dict[str, str]:
    unit, value = values["amount"]
    return {"amount" if unit == "coin" else "quote_amount": str(value)}


def _limit(values: V) -> dict[str, str]:
    return {"type": "limit", "price": str(values["limit"])} if values.get("limit") is not None else {}


def _exit(values: V, name: str, price_key: str, pct_key: str) -> dict[str, str]:
    unit, value = values[name]
    return {pct_key if unit == "pct" else price_key: str(value)}


def _tool(tool: str, **fixed: Any):  # noqa: ANN202 - a Route
    def route(values: V, now: datetime) -> Step:
        return Step(tool=tool, args=dict(fixed))
    return route


def _act(action: Action):  # noqa: ANN202 - a Route
    def route(values: V, now: datetime) -> Step:
        return Step(action=action.value)
    return route


def _order(side: str):  # noqa: ANN202 - a Route
    def route(values: V, now: datetime) -> Step:
        return Step(tool="place_order", args={"symbol": values["pair"], "side": side, **_amount(values),
                                              **_limit(values)})
    return route


def _bracket(values: V, now: datetime) -> Step:
    return Step(tool="place_bracket_order", args={
        "symbol": values["pair"], "side": "buy", **_amount(values), **_exit(values, "stop", "stop", "stop_pct"),
        **_exit(values, "target", "take_profit", "take_profit_pct"), **_limit(values)})


def _cancel(values: V, now: datetime) -> Step:
    order = values.get("order")
    if order is None:
        return Step(action=Action.CANCEL_MENU.value)
    return Step(tool="cancel_all") if order == "all" else Step(tool="cancel_order", args={"order_id": order})


def _why(values: V, now: datetime) -> Step:
    if values.get("at") is None:
        return Step(tool="why_not_trade", args={"symbol": values["pair"]})
    return Step(tool="explain_evaluation", args={"symbol": values["pair"], "at": values["at"].isoformat()})


def _backtest(values: V, now: datetime) -> Step:
    args: dict[str, Any] = {"symbol": values["pair"]}
    if values.get("days") is not None:
        # The last DAYS of the pair's data (the candle store's, else the bundled history at its real dates, which
        # ends long before today): the tool knows which it reads, and where its warm-up lets the period start.
        args["days"] = values["days"]
    return Step(tool="run_backtest", args=args)


def _switch(on: str, off: str, status: str):  # noqa: ANN202 - a Route
    def route(values: V, now: datetime) -> Step:
        return Step(tool={"on": on, "off": off, "status": status}[values.get("state") or "status"])
    return route


def _killswitch(values: V, now: datetime) -> Step:
    if values.get("do") == "reset":
        return Step(tool="kill_switch_reset", args={"reason": f"reset from {values.get('_front', 'chat')}"})
    return Step(tool="kill_switch_status")


def _with(tool: str, **mapping: str):  # noqa: ANN202 - a Route: option name -> tool argument
    def route(values: V, now: datetime) -> Step:
        return Step(tool=tool, args={arg: values[opt] for opt, arg in mapping.items() if values.get(opt) is not None})
    return route


COMMANDS: dict[str, Command] = {c.name: c for c in (
    Command("start", "/start", "Say hello and see what you may do", (), _act(Action.START)),
    Command("help", "/help", "Commands and things you can just say", (), _act(Action.HELP)),
    Command("status", "/status", "Mode, data source and connectivity", (), _tool("get_status"), refresh=True,
            tools=("get_status",)),
    Command("balance", "/balance", "Balances per asset", (), _tool("get_balances"), refresh=True,
            tools=("get_balances",)),
    Command("positions", "/positions", "Open positions with P&L", (), _tool("get_positions"), refresh=True,
            tools=("get_positions",)),
    Command("orders", "/orders", "Open orders", (), _tool("list_open_orders"), refresh=True,
            tools=("list_open_orders",)),
    Command("price", "/price PAIR", "Bid, ask and last price of a pair", (PAIR,),
            _with("get_price", pair="symbol"), refresh=True, tools=("get_price",)),
    Command("buy", "/buy PAIR AMOUNT [limit PRICE]  (AMOUNT: 0.01 coins, or $200 to spend)",
            "Buy at market or at a limit", (PAIR, AMOUNT, LIMIT), _order("buy"), tools=("place_order",)),
    Command("sell", "/sell PAIR AMOUNT [limit PRICE]  (AMOUNT: 0.01 coins, or $200 worth)",
            "Sell at market or at a limit", (PAIR, AMOUNT, LIMIT), _order("sell"), tools=("place_order",)),
    Command("bracket", "/bracket PAIR AMOUNT STOP TARGET [limit PRICE]  (STOP, TARGET: 59000 or 2%)",
            "Buy with a stop-loss and a take-profit",
            (PAIR, AMOUNT, Option("stop", Kind.EXIT, "stop-loss: a price, or 2% below the entry", required=True),
             Option("target", Kind.EXIT, "take-profit: a price, or 5% above the entry", required=True), LIMIT),
            _bracket, tools=("place_bracket_order",)),
    Command("cancel", "/cancel [ORDER_ID|all]", "Cancel orders (no argument: choose from a list)",
            (Option("order", Kind.ORDER, "an order id, or all"),), _cancel, tools=("cancel_order", "cancel_all")),
    Command("history", "/history [N]", "Your last N trades (default 10)",
            (from_field("trade_history", "limit", name="n", description="how many trades", low=1, high=100),),
            lambda v, now: Step(tool="trade_history", args={"limit": v.get("n") or 10}), tools=("trade_history",)),
    Command("pnl", "/pnl [today|week|month|all]", "Realised P&L and win rate",
            (from_field("performance_report", "period"),),
            lambda v, now: Step(tool="performance_report", args={"period": v.get("period") or "today"}),
            refresh=True, tools=("performance_report",)),
    Command("why", "/why PAIR [HH:MM]", "Why the autopilot did or did not trade",
            (PAIR, Option("at", Kind.MOMENT, "a UTC time, HH:MM or YYYY-MM-DD HH:MM")), _why,
            tools=("why_not_trade", "explain_evaluation")),
    Command("autopilot", "/autopilot [on|off|status]", "Start, stop or check the autopilot",
            (Option("state", Kind.CHOICE, "on, off or status", choices=("on", "off", "status")),),
            _switch("autopilot_start", "autopilot_stop", "autopilot_status"), refresh=True,
            tools=("autopilot_start", "autopilot_stop", "autopilot_status")),
    Command("killswitch", "/killswitch [reset]", "Daily-loss kill switch state, or re-arm it",
            (Option("do", Kind.CHOICE, "status, or reset to re-arm it", choices=("status", "reset")),),
            _killswitch, refresh=True, tools=("kill_switch_status", "kill_switch_reset")),
    Command("flatten", "/flatten", "Emergency: cancel all orders and sell everything", (), _tool("flatten_all"),
            tools=("flatten_all",)),
    Command("report", "/report [today|week|month]", "P&L, trades and the equity curve",
            (from_field("report", "period", choices=("today", "week", "month")),),
            lambda v, now: Step(tool="report", args={"period": v.get("period") or "today"}), refresh=True,
            tools=("report",)),
    Command("chart", "/chart PAIR [HOURS]", "Candlestick chart with our trades marked",
            (PAIR, from_field("make_chart", "hours")), _with("make_chart", pair="symbol", hours="hours"),
            tools=("make_chart",)),
    Command("backtest", "/backtest PAIR [DAYS]", "Backtest the strategies on a pair",
            (PAIR, Option("days", Kind.INT, "how many days back", low=1, high=365)), _backtest,
            tools=("run_backtest",)),
    Command("mode", "/mode", "PAPER or LIVE", (), _act(Action.MODE), refresh=True, tools=("get_status",)),
    Command("weblogin", "/weblogin", "A single-use link into the web dashboard (owner, private chat)", (),
            _act(Action.WEBLOGIN)),
    Command("confirm", "/confirm CODE", "Approve a pending action",
            (Option("code", Kind.CODE, "the code from the confirmation message", required=True),),
            lambda v, now: Step(action=Action.CONFIRM.value, code=v["code"])),
)}

for _command in COMMANDS.values():  # a command may only name tools that exist
    assert all(t in CATALOG for t in _command.tools), _command.name


def parse_command(name: str, words: Sequence[str], now: datetime, *, front: str = "Telegram") -> Step:
    """The step a command's words ask for; Usage when they do not fit."""
    command = COMMANDS[name]
    values = parse_words(command, words, now)
    return command.route({**values, "_front": front}, now)


def route_values(name: str, raw: Mapping[str, Any], now: datetime, *, front: str) -> Step:
    """The step for typed option values (Discord's app-command options, the web's JSON); Usage when wrong."""
    command = COMMANDS[name]
    values: dict[str, Any] = {}
    known = {o.name: o for o in command.options}
    for key in raw:
        if key not in known:
            raise Usage(f"unknown option '{key}'")
    for option in command.options:
        given = raw.get(option.name)
        if given is None or given == "":
            if option.required:
                raise Usage(f"give the {option.name}")
            continue
        values[option.name] = parse_value(option, given, now, pair=values.get("pair", ""))
    return command.route({**values, "_front": front}, now)


def usage_text(name: str, why: str = "") -> str:
    """The answer to wrong arguments: what was wrong and the usage line."""
    command = COMMANDS[name]
    return (f"{why[:1].upper()}{why[1:]}.\n" if why else "") + f"Usage: {command.usage}\n{command.description}."


def help_lines() -> str:
    """Every command with its usage line (for /help)."""
    return "\n".join(f"{c.usage}: {c.description}" for c in COMMANDS.values())


__all__ = ["COMMANDS", "Command", "Step", "Usage", "help_lines", "parse_command", "route_values", "usage_text"]
