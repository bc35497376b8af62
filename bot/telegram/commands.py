"""Slash commands: each one's usage line and description, and a strict parser from its words to one tool call.

Parsers only read the words; the tool validates the values again (pairs, amounts, limits), so a command can
never do more than its tool allows. Wrong words raise Usage and nothing runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from tools.catalog import CATALOG


class Usage(Exception):
    """The words do not fit the command; its usage line is the answer."""


@dataclass(frozen=True)
class Step:
    """What a command asks for: one tool call, or a front-end action (help, start, confirm, cancel menu, mode)."""

    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    action: str | None = None  # "start" | "help" | "confirm" | "cancel_menu" | "mode" | "unavailable"
    code: str | None = None


@dataclass(frozen=True)
class Command:
    name: str
    usage: str  # "/price PAIR"
    description: str  # one line, shown by setMyCommands and /help
    parse: Callable[[list[str], datetime], Step]
    refresh: bool = False  # its answer gets a Refresh button (only ever re-runs read-only tools)


_PAIR = re.compile(r"^[A-Za-z0-9]{2,10}(?:[/:-][A-Za-z0-9]{2,10})?$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$|^\.\d+$")
_CODE = re.compile(r"^[A-Za-z0-9]{4,6}$")
_ORDER_ID = re.compile(r"^[A-Za-z0-9-]{1,48}$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_INT = re.compile(r"^[0-9]{1,4}$")


def _pair(word: str) -> str:
    if not _PAIR.match(word):
        raise Usage(f"'{word}' is not a pair like BTC/USD")
    return word.upper()


def _number(word: str) -> Decimal:
    if not _NUMBER.match(word):
        raise Usage(f"'{word}' is not a plain number")
    try:
        value = Decimal(word)
    except InvalidOperation:
        raise Usage(f"'{word}' is not a number") from None
    if value <= 0:
        raise Usage(f"'{word}' must be more than zero")
    return value


def _int(word: str, low: int, high: int, what: str) -> int:
    if not _INT.match(word) or not low <= int(word) <= high:
        raise Usage(f"{what} must be a whole number from {low} to {high}")
    return int(word)


def _amount(word: str, pair: str) -> dict[str, str]:
    """0.01 (coins), or $200 / 200usd: that much of the pair's quote currency to spend or receive."""
    low = word.lower()
    quote = pair.partition("/")[2].lower()
    if low.startswith("$"):
        return {"quote_amount": str(_number(low[1:]))}
    if quote and low.endswith(quote) and len(low) > len(quote):
        return {"quote_amount": str(_number(low[: -len(quote)]))}
    return {"amount": str(_number(word))}


def _exit(word: str, price_key: str, pct_key: str) -> dict[str, str]:
    """59000 (a price) or 2% (a percentage away from the entry)."""
    if word.endswith("%"):
        return {pct_key: str(_number(word[:-1]))}
    return {price_key: str(_number(word))}


def _limit(words: list[str]) -> dict[str, str]:
    if not words:
        return {}
    if len(words) == 2 and words[0].lower() in ("limit", "at", "@"):
        return {"type": "limit", "price": str(_number(words[1]))}
    raise Usage("after the amount only 'limit PRICE' may follow")


def _none(words: list[str]) -> None:
    if words:
        raise Usage("this command takes no arguments")


def _choice(words: list[str], choices: tuple[str, ...], default: str | None) -> str:
    if not words and default is not None:
        return default
    if len(words) != 1 or words[0].lower() not in choices:
        raise Usage(f"choose one of: {', '.join(choices)}")
    return words[0].lower()


def _plain(tool: str) -> Callable[[list[str], datetime], Step]:
    def parse(words: list[str], now: datetime) -> Step:
        _none(words)
        return Step(tool=tool)
    return parse


def _order(side: str) -> Callable[[list[str], datetime], Step]:
    def parse(words: list[str], now: datetime) -> Step:
        if len(words) not in (2, 4):
            raise Usage("give a pair and an amount")
        pair = _pair(words[0])
        args = {"symbol": pair, "side": side, **_amount(words[1], pair), **_limit(words[2:])}
        return Step(tool="place_order", args=args)
    return parse


def _bracket(words: list[str], now: datetime) -> Step:
    if len(words) not in (4, 6):
        raise Usage("give a pair, an amount, a stop and a target")
    pair = _pair(words[0])
    args = {"symbol": pair, "side": "buy", **_amount(words[1], pair),
            **_exit(words[2], "stop", "stop_pct"), **_exit(words[3], "take_profit", "take_profit_pct"),
            **_limit(words[4:])}
    return Step(tool="place_bracket_order", args=args)


def _cancel(words: list[str], now: datetime) -> Step:
    if not words:
        return Step(action="cancel_menu")
    if len(words) != 1 or not _ORDER_ID.match(words[0]):
        raise Usage("give one order id, or all")
    if words[0].lower() == "all":
        return Step(tool="cancel_all")
    return Step(tool="cancel_order", args={"order_id": words[0]})


def _price(words: list[str], now: datetime) -> Step:
    if len(words) != 1:
        raise Usage("give one pair")
    return Step(tool="get_price", args={"symbol": _pair(words[0])})


def _history(words: list[str], now: datetime) -> Step:
    if len(words) > 1:
        raise Usage("give how many trades, 1 to 100")
    return Step(tool="trade_history", args={"limit": _int(words[0], 1, 100, "N") if words else 10})


def _pnl(words: list[str], now: datetime) -> Step:
    period = _choice(words, ("today", "week", "month", "all"), "today")
    return Step(tool="performance_report", args={"period": period})


def _report(words: list[str], now: datetime) -> Step:
    period = _choice(words, ("today", "week", "month"), "today")
    if "report" not in CATALOG:  # the report tool is optional: fall back to the P&L summary
        return Step(tool="performance_report", args={"period": period})
    return Step(tool="report", args={"period": period})


def _why(words: list[str], now: datetime) -> Step:
    if not 1 <= len(words) <= 3:
        raise Usage("give a pair, and optionally a UTC time")
    pair = _pair(words[0])
    if len(words) == 1:
        return Step(tool="why_not_trade", args={"symbol": pair})
    return Step(tool="explain_evaluation", args={"symbol": pair, "at": _moment(words[1:], now).isoformat()})


def _moment(words: list[str], now: datetime) -> datetime:
    """HH:MM (today, or yesterday if that is still to come) or YYYY-MM-DD HH:MM, UTC."""
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


def _autopilot(words: list[str], now: datetime) -> Step:
    choice = _choice(words, ("on", "off", "status"), "status")
    tool = {"on": "autopilot_start", "off": "autopilot_stop", "status": "autopilot_status"}[choice]
    return Step(tool=tool)


def _killswitch(words: list[str], now: datetime) -> Step:
    if _choice(words, ("status", "reset"), "status") == "reset":
        return Step(tool="kill_switch_reset", args={"reason": "reset from Telegram"})
    return Step(tool="kill_switch_status")


def _chart(words: list[str], now: datetime) -> Step:
    if len(words) not in (1, 2):
        raise Usage("give a pair, and optionally hours (1 to 60)")
    args: dict[str, Any] = {"symbol": _pair(words[0])}
    if len(words) == 2:
        args["hours"] = _int(words[1], 1, 60, "hours")
    return Step(tool="make_chart", args=args)


def _backtest(words: list[str], now: datetime) -> Step:
    if len(words) not in (1, 2):
        raise Usage("give a pair, and optionally how many days back (1 to 365)")
    if "run_backtest" not in CATALOG:  # the tool is optional
        return Step(action="unavailable")
    args: dict[str, Any] = {"symbol": _pair(words[0])}
    if len(words) == 2:  # the tool's range of UTC days; its end defaults to now
        args["start"] = (now - timedelta(days=_int(words[1], 1, 365, "days"))).date().isoformat()
    return Step(tool="run_backtest", args=args)


def _confirm(words: list[str], now: datetime) -> Step:
    if len(words) != 1 or not _CODE.match(words[0]):
        raise Usage("give the code from the confirmation message")
    return Step(action="confirm", code=words[0].upper())


def _action(name: str) -> Callable[[list[str], datetime], Step]:
    def parse(words: list[str], now: datetime) -> Step:
        _none(words)
        return Step(action=name)
    return parse


COMMANDS: dict[str, Command] = {c.name: c for c in (
    Command("start", "/start", "Say hello and see what you may do", _action("start")),
    Command("help", "/help", "Commands and things you can just say", _action("help")),
    Command("status", "/status", "Mode, data source and connectivity", _plain("get_status"), refresh=True),
    Command("balance", "/balance", "Balances per asset", _plain("get_balances"), refresh=True),
    Command("positions", "/positions", "Open positions with P&L", _plain("get_positions"), refresh=True),
    Command("orders", "/orders", "Open orders", _plain("list_open_orders"), refresh=True),
    Command("price", "/price PAIR", "Bid, ask and last price of a pair", _price, refresh=True),
    Command("buy", "/buy PAIR AMOUNT [limit PRICE]  (AMOUNT: 0.01 coins, or $200 to spend)",
            "Buy at market or at a limit", _order("buy")),
    Command("sell", "/sell PAIR AMOUNT [limit PRICE]  (AMOUNT: 0.01 coins, or $200 worth)",
            "Sell at market or at a limit", _order("sell")),
    Command("bracket", "/bracket PAIR AMOUNT STOP TARGET [limit PRICE]  (STOP, TARGET: 59000 or 2%)",
            "Buy with a stop-loss and a take-profit", _bracket),
    Command("cancel", "/cancel [ORDER_ID|all]", "Cancel orders (no argument: choose from a list)", _cancel),
    Command("history", "/history [N]", "Your last N trades (default 10)", _history),
    Command("pnl", "/pnl [today|week|month|all]", "Realised P&L and win rate", _pnl, refresh=True),
    Command("why", "/why PAIR [HH:MM]", "Why the autopilot did or did not trade", _why),
    Command("autopilot", "/autopilot [on|off|status]", "Start, stop or check the autopilot", _autopilot,
            refresh=True),
    Command("killswitch", "/killswitch [reset]", "Daily-loss kill switch state, or re-arm it", _killswitch,
            refresh=True),
    Command("flatten", "/flatten", "Emergency: cancel all orders and sell everything", _plain("flatten_all")),
    Command("report", "/report [today|week|month]", "P&L, trades and the equity curve", _report, refresh=True),
    Command("chart", "/chart PAIR [HOURS]", "Candlestick chart with our trades marked", _chart),
    Command("backtest", "/backtest PAIR [DAYS]", "Backtest the strategies on a pair", _backtest),
    Command("mode", "/mode", "PAPER or LIVE", _action("mode"), refresh=True),
    Command("confirm", "/confirm CODE", "Approve a pending action", _confirm),
)}


def parse_command(name: str, words: list[str], now: datetime) -> Step:
    """The step a command's words ask for; Usage when they do not fit."""
    return COMMANDS[name].parse(words, now)


def usage_text(name: str, why: str = "") -> str:
    """The answer to wrong arguments: what was wrong and the usage line."""
    command = COMMANDS[name]
    return (f"{why[:1].upper()}{why[1:]}.\n" if why else "") + f"Usage: {command.usage}\n{command.description}."


def help_lines() -> str:
    """Every command with its usage line (for /help)."""
    return "\n".join(f"{c.usage}: {c.description}" for c in COMMANDS.values())
