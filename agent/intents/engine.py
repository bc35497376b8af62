"""The offline intent engine: phone-style messages -> proposed calls of the tool catalogue, no model needed."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from agent.intents import words as W
from tools.gate.types import ToolCall

HELP_TEXT = """Things you can say:
- status · balance · positions · how are we doing
- price btc (or just: hows eth)
- buy $200 of eth w 2% stop 5% tp
- sell 0.01 btc at 70k · orders · cancel all
- what have you learned · why is rsi off
- history · pnl this week
- why didnt you buy btc at 14:05
- stop trading · start trading · autopilot status
- kill switch · reset kill switch · flatten
- chart btc · backtest btc last month · risk 1%
- /confirm CODE to approve · no to drop it"""

UNKNOWN_NOTE = ("Sorry, I didn't get that. Try: status, balance, price btc, buy $200 of eth, "
                "pnl this week, stop trading, or help.")
INJECTION_NOTE = "That reads like instructions to me, not a request, so I did nothing. Ask plainly, e.g. 'balance'."
CONFIRM_HINT = "To approve, send /confirm CODE with the code from my last message (or say no)."
MAX_CHARS = 500

_INJECTION = re.compile(
    r"ignore\s+(?:all\s+|any\s+|the\s+|your\s+|my\s+)*(?:previous|prior|above|earlier|preceding|all|other)?"
    r"\s*(?:instructions|rules|prompts?|messages)|system\s*prompt|\byou\s+are\s+now\b|disregard\s+(?:all|any|previous"
    r"|prior|the|your)|forget\s+(?:all\s+|your\s+)?(?:previous\s+|prior\s+)?(?:instructions|rules)"
    r"|new\s+instructions|developer\s+mode|\bjailbreak|\bact\s+as\b|\bpretend\s+(?:to\s+be|you)")
_CONFIRM = re.compile(r"^\s*/?confirm(?:@\w+)?\s*[:#-]?\s*([a-z0-9]{4,6})\s*[.!]*\s*$", re.I)
_YES_CODE = re.compile(r"^\s*(?:yes|yep|yeah|y|ok|okay|approve|do\s+it|go)\s*[,:#-]?\s*([a-z0-9]{4,6})\s*[.!]*\s*$", re.I)
_YES = re.compile(r"^\s*/?(?:confirm|yes|yep|yeah|y|ok|okay|sure|approve|do\s+it|go\s+ahead|go\s+for\s+it"
                  r"|send\s+it)\s*(?:please|pls|now)?\s*[.!\U0001F44D]*\s*$", re.I)
_NOT_CODES = frozenset({"that", "this", "please", "order", "trade", "now", "pls"})
_HOW_WE = re.compile(r"\bhow (?:are |is )?(?:we|things|it|everything)(?: been)? (?:doing|going|looking)\b")
_HOW_DID = re.compile(r"\bhow (?:did|have|has) (?:we|you|i|it|the autopilot) (?:do|done|been doing|perform)")
_HELP_PHRASE = re.compile(r"^(?:what (?:can|do|else can) you do|how (?:do|does) (?:i|this|it|you) work|who are you"
                          r"|how are you(?: doing)?|what is this|what are you)$")
_GREET_ONLY = W.GREET | {"help", "whats", "up", "what"}


@dataclass(frozen=True)
class Parsed:
    calls: tuple[ToolCall, ...] = ()
    confirm_code: str | None = None
    cancel_pending: bool = False
    help: bool = False
    unknown: bool = False
    note: str = ""
    # A follow-up that needs the conversation: ("symbols", [...]) "and eth?", ("size", Tok) "make it $300",
    # ("why",) "why?" after a report; the agent resolves it from the chat's earlier messages.
    follow: tuple[Any, ...] | None = None
    cancel_ref: bool = False  # "cancel that": the pending action, else the order the chat last mentioned
    confirm_latest: bool = False  # "do it", "yes": the one action waiting for this person here


def _call(name: str, **args: Any) -> ToolCall:
    return ToolCall(name=name, args=args)


def _ok(note: str, *calls: ToolCall) -> Parsed:
    return Parsed(calls=tuple(calls), note=note)


def _unknown(note: str = UNKNOWN_NOTE) -> Parsed:
    return Parsed(unknown=True, note=note)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def parse(text: str, *, now: datetime, symbols: Sequence[str] = ("BTC/USD", "ETH/USD", "SOL/USD"),
          quote: str = "USD", tz: str = "UTC") -> Parsed:
    """Understand one chat message without a model: tool calls to propose, a confirmation, help, or unknown."""
    raw = (text or "").strip()
    if len(raw) > MAX_CHARS:
        return _unknown("That is a long message for me offline; ask one thing at a time.")
    cleaned = W.clean(raw)
    if _INJECTION.search(cleaned):
        return _unknown(INJECTION_NOTE)
    code = _confirmation(raw)
    if code is not None:
        return code
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    zone = ZoneInfo(tz or "UTC")
    whole = _parse_one(cleaned, raw, now, tuple(symbols), quote.upper(), zone)
    if whole.note == INJECTION_NOTE:
        return whole
    clauses = [c for c in _CLAUSE.split(cleaned) if c and c.strip()]
    if len(clauses) < 2:
        return whole
    # "stop trading and cancel all orders": each clause its own request, when every clause is one and
    # together they ask for more than the whole message read at once.
    if whole.unknown:  # refused as a whole ("buy $200 of eth and $100 of sol"): never split into guesses
        return whole
    parts = [_parse_one(c, c, now, tuple(symbols), quote.upper(), zone) for c in clauses]
    if not all(p.calls and not p.follow for p in parts):
        return whole
    names = {c.name for p in parts for c in p.calls}
    if not whole.unknown and names <= {c.name for c in whole.calls}:
        return whole
    return Parsed(calls=tuple(c for p in parts for c in p.calls), note=" ".join(p.note for p in parts))


_CLAUSE = re.compile(r"\s*(?:,\s*(?:and\s+)?(?:then\s+)?|;|\band then\b|\bthen\b|\band\b|\bn\b|\balso\b)\s*")


def _parse_one(cleaned: str, raw: str, now: datetime, symbols: tuple[str, ...], quote: str,
               zone: ZoneInfo) -> Parsed:
    try:
        msg = W.read_message(cleaned, now, symbols, quote, zone)
        if _INJECTION.search(msg.text):  # the same phrases in phone spelling: "u r now ..."
            return _unknown(INJECTION_NOTE)
        if not msg.toks or all(t.kind == "mark" for t in msg.toks):
            if any(ch.isalnum() for ch in raw):  # letters of a script the engine does not read
                return _unknown()
            return Parsed(help=True, note="Here is what I can do.")
        for rule in _RULES:
            found = rule(msg)
            if found is not None:
                return found
    except W.Reject as why:
        return _unknown(str(why))
    return _unknown()


def looks_like_injection(text: str) -> bool:
    """Whether text carries instruction-like phrases ("ignore previous instructions", "you are now", ...)."""
    return bool(text) and _INJECTION.search(W.clean(text[:20000])) is not None


def _confirmation(raw: str) -> Parsed | None:
    """'/confirm K7Q2', 'yes k7q2' -> the code; a bare 'yes' gets told how to confirm."""
    m = _CONFIRM.match(raw)
    if m and m[1].lower() not in _NOT_CODES:
        return Parsed(confirm_code=m[1].upper(), note=f"Confirming {m[1].upper()}.")
    m = _YES_CODE.match(raw)
    # A code after "yes" must look like one (a digit, or typed in capitals): "yes please" is not a code.
    if m and (any(c.isdigit() for c in m[1]) or m[1].isupper()):
        return Parsed(confirm_code=m[1].upper(), note=f"Confirming {m[1].upper()}.")
    if m or _YES.match(raw) or _CONFIRM.match(raw):
        return Parsed(confirm_latest=True, note=CONFIRM_HINT)
    return None


# --- conversation -------------------------------------------------------------------------------------------

def _pending_no(m: W.Message) -> Parsed | None:
    only_words = all(t.kind == "word" for t in m.toks)
    if only_words and m.wset & W.PENDING_NO and m.wset <= W.PENDING_NO | W.PENDING_FILL and not m.syms:
        refers = "cancel" in m.wset and bool(m.wset & {"that", "it", "this", "one", "order"})
        return Parsed(cancel_pending=True, cancel_ref=refers, note="Okay, dropped.")
    return None


_FOLLOW_WORDS = frozenset({"and", "about", "same", "also", "too", "plus", "instead"})
_FOLLOW_SMALL = _FOLLOW_WORDS | {"what", "how", "for", "with", "then", "the", "now", "please", "one", "thing", "do",
                                 "it", "that", "of", "me", "show"}


def _followup(m: W.Message) -> Parsed | None:
    """'and eth?', 'same for sol', 'make it $300', 'why?': what the chat said before fills the gap."""
    if m.symbols and not m.nums and m.wset & _FOLLOW_WORDS and m.plain <= _FOLLOW_SMALL:
        return Parsed(follow=("symbols", tuple(m.symbols)), note="")
    if not m.symbols and m.wset & {"make", "change"} and m.wset & {"it", "that", "this"} and len(m.nums) == 1 \
            and m.plain <= {"make", "change", "it", "that", "this", "to", "instead", "please", "of", "worth",
                            "usd", "dollars", "bucks", m.quote.lower()}:
        num = m.toks[m.nums[0]]
        dollar = num.dollar or bool(m.wset & {"usd", "dollars", "bucks", "worth", m.quote.lower()})
        return Parsed(follow=("size", num.text, dollar, num.value), note="")
    if "why" in m.wset and not m.symbols and not m.nums and m.wset <= {"why", "that", "is", "so", "was", "not",
                                                                        "this", "then", "it"}:
        return Parsed(follow=("why",), note="")
    return None


def _help(m: W.Message) -> Parsed | None:
    if m.syms or m.nums:
        return None
    if m.wset <= _GREET_ONLY or _HELP_PHRASE.match(m.text) or ("help" in m.wset and m.wset <= W.FILLERS | {"help"}):
        return Parsed(help=True, note="Here is what I can do.")
    return None


# --- the learner ------------------------------------------------------------------------------------------------

_LEARN = frozenset({"learn", "learned", "learnt", "learning", "learner"})
_STRATEGY_WORDS = (("mean reversion", "mean_reversion"), ("trend following", "trend_following"),
                   ("ma crossover", "ma_crossover"), ("crossover", "ma_crossover"), ("breakout", "breakout"),
                   ("macd", "macd"), ("rsi", "rsi"), ("reversion", "mean_reversion"))


def _strategy_in(text: str) -> str | None:
    padded = f" {text} "
    return next((name for said, name in _STRATEGY_WORDS if f" {said} " in padded), None)


def _learning(m: W.Message) -> Parsed | None:
    """'what have you learned?', 'why is mean reversion off?', 'freeze learning', 'reset learning'."""
    strategy = _strategy_in(m.text)
    asks_why = bool(m.wset & {"why", "whys"})
    if asks_why and strategy and not m.symbols and not m.nums:
        return _ok(f"Looking up why {strategy.replace('_', ' ')} is on or off.",
                   _call("why_strategy_off", strategy=strategy))
    if not m.wset & _LEARN or m.symbols or m.nums:
        return None
    if m.wset & {"unfreeze", "resume", "start", "unpause"}:
        return _ok("Unfreezing the learner.", _call("learning_freeze", frozen=False))
    if m.wset & {"stop", "freeze", "pause", "hold"}:
        return _ok("Freezing the learner: its on/off states stay as they are.", _call("learning_freeze"))
    if m.wset & W.RESET or "forget" in m.wset:
        return _ok("Resetting the learner: every outcome forgotten, every strategy off.", _call("learning_reset"))
    return _ok("Checking what I have learned from the outcomes.", _call("learning_status"))


# --- explanations, backtests, charts, settings ----------------------------------------------------------------

def _why(m: W.Message) -> Parsed | None:
    asks_why = "why" in m.wset
    traded = m.wset & {"trades", "trade", "buy", "sell", "bought", "sold"}
    # "no trades today?" and "didnt you buy btc?" ask why not; "dont buy btc" is no question.
    no_trades = bool(traded and (m.wset & W.NOTHING or (m.wset & W.NEGATIONS and m.question)))
    if not (asks_why or no_trades):
        return None
    at = W.moment(m)
    base: dict[str, Any] = {"at": _iso(at)} if at else {}
    if m.wset & (W.NEGATIONS | W.NOTHING) or no_trades:
        if not at:
            base.update(_range(m))
        calls = [_call("why_not_trade", symbol=s, **base) for s in m.symbols] or [_call("why_not_trade", **base)]
        when = f" at {_both(at, m.tz)}" if at else ""
        return _ok(f"Looking up why the autopilot did not trade{_for(m)}{when}.", *calls)
    calls = [_call("explain_evaluation", symbol=s, **base) for s in m.symbols] or [_call("explain_evaluation", **base)]
    return _ok(f"Explaining the autopilot's decision{_for(m)}.", *calls)


def _for(m: W.Message) -> str:
    return f" for {', '.join(m.symbols)}" if m.symbols else ""


def _range(m: W.Message) -> dict[str, str]:
    """why_not_trade's start/end for 'yesterday', a date, or a span; nothing for today (the tool's default)."""
    found = W.window(m)
    if found is not None and found[1] is None and "since" not in m.wset and m.wset & {"today"} and not m.kinds("time"):
        return {}  # today: the tool's own default
    if found is not None and found[0] is not None:
        return {"start": _iso(found[0]), **({"end": _iso(found[1])} if found[1] is not None else {})}
    span = W.span(m)
    return {"start": _iso(m.now - span)} if span else {}


def _backtest(m: W.Message) -> Parsed | None:
    if "backtest" not in m.wset:
        return None
    args: dict[str, Any] = {}
    dates = [t.text for t in m.kinds("date")]
    if dates:
        args["start"] = dates[0]
        if len(dates) > 1:  # "to March 31" includes the 31st: the tool's end is exclusive
            args["end"] = (date.fromisoformat(dates[1]) + timedelta(days=1)).isoformat()
    elif (span := W.span(m)) is not None:
        args = {"start": (m.now - span).date().isoformat()}  # up to now (the tool's default end)
    calls = [_call("run_backtest", symbol=s, **args) for s in m.symbols] or [_call("run_backtest", **args)]
    period = f" from {args['start']}" + (f" to {dates[1]}" if len(dates) > 1 else " to now") if args else ""
    return _ok(f"Backtesting{_for(m)}{period}.", *calls)


def _chart(m: W.Message) -> Parsed | None:
    if "chart" not in m.wset:
        return None
    if not m.symbols:
        raise W.Reject("Which pair? e.g. 'chart btc'.")
    span = W.span(m)
    extra = {"hours": max(1, int(span.total_seconds() // 3600))} if span else {}
    return _ok(f"Drawing a chart of {', '.join(m.symbols)}.", *[_call("make_chart", symbol=s, **extra) for s in m.symbols])


def _risk(m: W.Message) -> Parsed | None:
    loss = "loss" in m.wset and bool(m.wset & {"limit", "max", "today"})
    if not ("risk" in m.wset or loss) or m.wset & (W.BUY | W.SELL):
        return None
    keys = [(i, _risk_key(m, i)) for i, t in enumerate(m.toks) if t.kind == "word" and t.text in ("risk", "loss")]
    args: dict[str, str] = {}
    said: list[str] = []
    claimed: set[int] = set()
    for i, key in keys:
        j = W.near_number(m, i, claimed, forward=True, reach=4)
        j = W.near_number(m, i, claimed, forward=False) if j is None else j
        if j is None or key in args:
            continue
        num = m.toks[j]
        money = num.dollar or m.word(j + 1) in {"usd", "dollars", "dollar", "bucks", m.quote.lower()}
        if key == "daily_loss_limit" and money and not num.negative and not num.pct:
            claimed.add(j)  # "$50", "50 usd": the kill switch trips at that much money lost in a day
            args[key] = f"{format(num.value, 'f')} {m.quote}"
            said.append(f"daily loss limit {format(num.value, 'f')} {m.quote}")
            continue
        if not num.pct or num.negative:
            raise W.Reject("Say the risk as a percentage, e.g. 'set risk to 1%', or the daily loss limit as a "
                           "percentage or money, e.g. 'daily loss limit 5%' or 'daily loss limit $50'.")
        claimed.add(j)
        args[key] = format(num.value / 100, "f")
        said.append(f"{key.replace('_', ' ')} {num.text}%")
    if not args:
        if loss:
            return _ok("Showing the kill switch and its daily loss limit.", _call("kill_switch_status"))
        raise W.Reject("To change risk say 'set risk to 1%' or 'daily loss limit 5%'.")
    return _ok(f"Setting {', '.join(said)}.", _call("set_risk", **args))


_TARGET_OFF = frozenset({"no", "off", "remove", "disable", "clear", "none", "delete", "drop", "without", "unset",
                         "cancel", "stop"})
_MONEY_WORDS = frozenset({"usd", "dollars", "dollar", "bucks"})


def _profit_target(m: W.Message) -> Parsed | None:
    """'set daily profit target to 2%', 'profit target $50', 'no daily profit target', 'what is my profit target?'."""
    if "profit" not in m.wset or not m.wset & {"tp", "goal"} or m.wset & (W.BUY | W.SELL) or m.symbols:
        return None
    if m.nums:
        j = m.nums[0]
        num = m.toks[j]
        if num.negative or num.value <= 0:
            raise W.Reject("The daily profit target is a gain: say e.g. 'daily profit target 2%' or '$50', or "
                           "'no daily profit target'.")
        plain = format(num.value, "f")
        if num.dollar or m.word(j + 1) in _MONEY_WORDS | {m.quote.lower()}:
            value = f"{plain} {m.quote}"
        else:
            pct = num.value * 100 if not num.pct and num.value <= 1 else None  # a bare 0.02 is 2%
            value = f"{plain}%" if num.pct else f"{format(pct.normalize(), 'f')}%" if pct is not None else plain
        return _ok(f"Setting the daily profit target to {value}.", _call("set_risk", daily_profit_target=value))
    if m.wset & _TARGET_OFF:
        return _ok("Removing the daily profit target.", _call("set_risk", daily_profit_target="none"))
    return _ok("Showing the daily profit target and the universe.", _call("universe_status"))


_UNIVERSE_ASK = frozenset({"which", "what", "why", "trade", "trading", "trades", "traded", "chosen", "choose", "chose",
                           "pick", "picked", "these", "those", "universe"})


_PAIR_WORDS = frozenset({"pairs", "pair", "coins", "markets", "universe"})
_RANKED = frozenset({"liquid", "top", "most", "biggest", "largest", "busiest"})
_CONFIGURED = frozenset({"configured", "config", "configuration", "usual", "default", "defaults", "original"})


def _set_universe(m: W.Message) -> Parsed | None:
    """'trade the 5 most liquid pairs', 'universe size 10', 'use the configured pairs', 'back to the default pairs'."""
    if not m.wset & _PAIR_WORDS or m.wset & (W.BUY | W.SELL) or m.symbols or m.question:
        return None
    acting = m.wset & {"trade", "trades", "trading", "use", "set", "switch", "universe", "only", "pick", "choose",
                        "make"}
    if m.nums and acting and (m.wset & _RANKED or {"universe", "size"} <= m.wset):
        num = m.toks[m.nums[0]]
        if num.negative or num.pct or num.dollar or num.value is None or num.value != num.value.to_integral_value() \
                or not 1 <= num.value <= 20:
            raise W.Reject("Say how many pairs to trade as a whole number, 1 to 20: e.g. 'trade the 5 most liquid "
                           "pairs', or 'use the configured pairs'.")
        size = int(num.value)
        return _ok(f"Setting the universe to the {size} most liquid pairs.", _call("set_universe", size=size))
    if m.wset & _CONFIGURED and not m.nums and m.wset & {"use", "trade", "trades", "back", "go", "switch", "set",
                                                         "only"}:
        return _ok("Setting the universe to the configured pairs.", _call("set_universe", configured=True))
    return None


def _universe(m: W.Message) -> Parsed | None:
    """'which pairs do you trade?', 'why these pairs?', 'universe', 'what coins are you trading?'."""
    if m.nums or m.wset & (W.BUY | W.SELL):
        return None
    # "which coins did you trade today?" asks for the trade history, not the universe
    past = bool(m.wset & {"traded", "today", "yesterday", "week", "month", "history", "last", "ago", "since"}
                or ("did" in m.wset and m.wset & {"trade", "trading", "trades"}))
    if "universe" in m.wset or (m.wset & {"pairs", "coins", "market", "markets"} and m.wset & _UNIVERSE_ASK
                                and not m.symbols and not past
                                and m.wset & {"trade", "trading", "trades", "chosen", "choose", "chose", "pick",
                                              "picked", "these", "those"}):
        return _ok("Showing the pairs the autopilot trades and how they were chosen.", _call("universe_status"))
    return None


def _risk_key(m: W.Message, i: int) -> str:
    if m.toks[i].text == "loss":
        return "daily_loss_limit"
    return "max_portfolio_risk" if m.word(i - 1) in ("portfolio", "total") else "risk_per_trade"


# --- safety switches and orders -------------------------------------------------------------------------------

def _killswitch(m: W.Message) -> Parsed | None:
    if "killswitch" not in m.wset:
        return None
    if m.wset & W.TRIP:
        raise W.Reject("The kill switch trips by itself on the daily loss limit. To stop now say 'stop trading' "
                      "or 'flatten'.")
    if m.wset & W.RESET:
        return _ok("Re-arming the kill switch.", _call("kill_switch_reset"))
    return _ok("Checking the kill switch.", _call("kill_switch_status"))


def _cancel(m: W.Message) -> Parsed | None:
    closing_orders = "close" in m.wset and m.wset & W.ORDERS and "positions" not in m.wset
    if "cancel" not in m.wset and not closing_orders:
        return None
    oids = [t.text for t in m.kinds("oid")]
    if oids:
        return _ok(f"Cancelling {', '.join(oids)}.", *[_call("cancel_order", order_id=o) for o in oids])
    if m.wset & (W.BUY | W.SELL | {"flatten"}) and not m.wset & W.ORDERS:
        raise W.Reject("Cancel, or trade? Please ask for one thing at a time.")
    one = {"symbol": m.symbols[0]} if len(m.symbols) == 1 else {}
    kind = next((k for k in ("limit", "stop", "tp") if k in m.wset), None)
    newest = bool(m.wset & {"last", "latest", "newest", "recent", "previous"})
    if "orders" not in m.wset and not m.wset & W.ALL and (newest or kind or (one and "order" in m.wset)):
        # One named order ("the btc limit", "my last order"): found among the open orders in this turn.
        pick = {"pick": "newest" if newest else "only", **one, **({"type": _KIND[kind]} if kind else {})}
        what = f"{'newest ' if newest else ''}{one.get('symbol', '')} {kind or ''} order".replace("  ", " ").strip()
        return _ok(f"Looking for your {what} to cancel.", _call("list_open_orders", **one),
                   _call("cancel_order", **pick))
    if m.wset & W.ALL or "orders" in m.wset or m.symbols:
        calls = [_call("cancel_all", symbol=s) for s in m.symbols] or [_call("cancel_all")]
        return _ok(f"Cancelling all open orders{_for(m)}.", *calls)
    return Parsed(cancel_pending=True, cancel_ref=True, note="Okay, dropped.")


_KIND = {"limit": "limit", "stop": "stop_loss", "tp": "take_profit"}


def _flatten(m: W.Message) -> Parsed | None:
    everything = bool(m.wset & W.FLATTEN_VERBS and m.wset & W.ALL) or {"close", "positions"} <= m.wset
    if "flatten" not in m.wset and not everything:
        return None
    if m.wset & W.BUY:
        raise W.Reject("Sell everything and buy? Please ask for one thing at a time.")
    if m.symbols and "flatten" not in m.wset:
        return None  # "sell everything in btc": all of one coin, an order
    if m.symbols or m.nums:
        raise W.Reject("Flatten sells every holding. To sell one coin say e.g. 'sell all my btc'.")
    return _ok("Emergency flatten: cancel all orders and sell every holding at market.", _call("flatten_all"))


def _order(m: W.Message) -> Parsed | None:
    buy, sell = m.wset & W.BUY, m.wset & W.SELL
    # "get me $50 of btc": "get" buys only with a coin and an amount and no question about the account.
    if not (buy or sell) and "get" in m.wset and m.symbols and m.nums and not m.wset & _READ_WORDS:
        buy = {"get"}
    whole = "dump" in m.wset
    if not (buy or sell) and m.wset & {"exit", "close"} and m.symbols and not m.wset & W.ORDERS:
        sell, whole = {"dump"}, True  # "exit my btc position": all of it
    if not (buy or sell):
        return None
    if buy and sell:
        raise W.Reject("Buy or sell? I won't guess; please ask for one of them.")
    if m.wset & W.NEGATIONS:
        raise W.Reject("That sounds like a 'don't'; I placed nothing. To trade say e.g. 'buy 0.01 btc'.")
    if m.kinds("time") or m.kinds("date") or m.kinds("oid"):
        raise W.Reject("I can't schedule orders or trade by order id; say e.g. 'buy 0.01 btc at 60k'.")
    if len(m.symbols) != 1:
        raise W.Reject("Which coin? e.g. 'buy 0.01 btc'." if not m.symbols else "One pair at a time, please.")
    side = "buy" if buy else "sell"
    args: dict[str, Any] = {"symbol": m.symbols[0], "side": side}
    portion = _portion(m, whole) if side == "sell" else None
    if portion is not None:
        claimed = W._exits(m, args)
        W._limit_price(m, args, claimed)
        coin = args["symbol"].split("/")[0]
        args["portion"] = portion
        said = "all" if portion == "1" else f"{Decimal(portion):.0%}".replace(".0%", "%")
        return _ok(f"Selling {said} of your {coin}, from your balance.", _call("get_balances", asset=coin),
                   _call("place_order", **args))
    if side == "buy" and m.kinds("part"):
        raise W.Reject("Half of what? Say how much to buy, e.g. 'buy $100 of btc'.")
    W.read_order_numbers(m, args)
    return _ok(_order_note(args), _call("place_order", **args))


_READ_WORDS = frozenset({"balance", "cash", "positions", "price", "portfolio", "pnl", "history", "trades", "orders",
                         "order", "status", "chart", "report"})


def _portion(m: W.Message, whole: bool) -> str | None:
    """The part of a holding a sell names: 'half', '1/4', '25%', 'all', 'everything'; None when it names a size."""
    parts = m.kinds("part")
    if parts:
        return format(parts[0].value, "f") if parts[0].value is not None else None
    stops = {i for i, t in enumerate(m.toks) if t.kind == "word" and t.text in W.STOP_KEYS | W.TP_KEYS}
    pcts = [j for j in m.nums if m.toks[j].pct and not any(abs(j - i) <= 3 for i in stops)]
    if pcts:
        value = m.toks[pcts[0]].value
        if value is None or m.toks[pcts[0]].negative or not 0 < value <= 100:
            raise W.Reject("Say a share between 1% and 100%, e.g. 'sell 25% of btc'.")
        return format((value / 100).normalize(), "f")
    priced = {j for j in m.nums if m.word(j - 1) in ("at", "limit", "@") or (j > 0 and m.toks[j - 1].text == "@")}
    sizes = [j for j in m.nums if j not in priced and not any(abs(j - i) <= 3 for i in stops)]
    if sizes:
        return None
    if m.wset & W.ALL or whole:
        return "1"
    return None


def _order_note(a: dict[str, Any]) -> str:
    base, quote = a["symbol"].split("/")
    size = f"{a['quote_amount']} {quote} of {base}" if "quote_amount" in a else f"{a['amount']} {base}"
    at = f" limit at {a['price']}" if "price" in a else " at market"
    exits = [f"stop {a['stop_pct']}%" if "stop_pct" in a else f"stop {a['stop']}" if "stop" in a else "",
             f"target {a['take_profit_pct']}%" if "take_profit_pct" in a else
             f"target {a['take_profit']}" if "take_profit" in a else ""]
    tail = ", ".join(e for e in exits if e)
    return f"{a['side'].capitalize()} {size}{at}{', ' + tail if tail else ''}."


# --- autopilot and read-only questions ------------------------------------------------------------------------

def _autopilot(m: W.Message) -> Parsed | None:
    # "on"/"go" and "off" count only beside no plain start/stop: "stop trading on btc" is a stop.
    start = "start" in m.wset or (bool(m.wset & {"on", "go"}) and "stop" not in m.wset)
    stop = "stop" in m.wset or ("off" in m.wset and "start" not in m.wset)
    trading = bool(m.wset & {"trading", "buying", "selling"})
    strong = "autopilot" in m.wset or (trading and (start or stop or bool(
        m.wset & {"running", "active", "paused", "enabled", "stopped"})))
    asking = bool(m.words) and m.words[0] in W.QUESTION_START or "status" in m.wset or (m.question and len(m.words) <= 3)
    if not strong:
        # "stop", "pause", "resume", "start" alone (with small words) are commands to the autopilot.
        small = W.FILLERS | {"start", "stop", "it", "new", "again", "for", "while", "bit", "everything"}
        if asking or m.syms or m.nums or not m.wset & {"start", "stop"} or not m.wset <= small:
            return None
    if asking or not (start or stop):
        return _ok("Checking the autopilot.", _call("autopilot_status"))
    if start and stop:
        raise W.Reject("Start or stop the autopilot? Please say one.")
    if start:
        return _ok("Starting the autopilot.", _call("autopilot_start"))
    note = " (it stops for every pair)" if m.symbols else ""
    return _ok(f"Stopping new autopilot trades; open positions stay{note}.", _call("autopilot_stop"))


def _period(m: W.Message) -> tuple[str, str]:
    if "alltime" in m.wset or ("all" in m.wset and "orders" not in m.wset):
        return "all", ""
    span = W.span(m)
    if span is not None:
        days = span.days
        return ("today" if days <= 1 else "week" if days <= 7 else "month" if days <= 31 else "all"), ""
    if "yesterday" in m.wset:
        return "week", " (reports cover today, week, month or all; here is the last 7 days)"
    return "today", ""


def _reads(m: W.Message) -> Parsed | None:
    found: list[tuple[int, ToolCall]] = []
    period, aside = _period(m)
    if m.wset & W.STATS and period == "today" and not m.wset & {"today"}:
        period = "all"  # "profit factor?", "win rate": over every closed trade unless a period is named
    one = {"symbol": m.symbols[0]} if len(m.symbols) == 1 else {}

    def add(index: int, call: ToolCall) -> None:
        if index >= 0 and all((c.name, c.args) != (call.name, call.args) and (c.name != call.name or call.name
                                                                              != "get_balances") for _, c in found):
            found.append((index, call))

    if (hit := _HOW_WE.search(m.text)) is not None or "portfolio" in m.wset:
        at = m.first(frozenset({"portfolio"})) if hit is None else m.first(frozenset({"how"}))
        add(at, _call("get_portfolio"))
        add(at, _call("performance_report", period=period))
    perf = m.first(W.PERF)
    if perf < 0 and _HOW_DID.search(m.text):
        perf = m.first(frozenset({"how"}))
    add(perf, _call("performance_report", period=period))
    if m.wset & W.ORDERS:
        closed = {"closed": True} if m.wset & W.CLOSED else {}
        add(m.first(W.ORDERS), _call("list_open_orders", **closed, **one))
    elif m.wset & W.HISTORY or ("trade" in m.wset and (m.question or m.wset & {"what", "did", "we", "i"})):
        counted = W.span_count(m)
        limit = [m.toks[j].value for j in m.nums if not m.toks[j].pct and not m.toks[j].dollar and j != counted]
        lim = {"limit": int(limit[0])} if limit and limit[0] == int(limit[0]) and 1 <= limit[0] <= 1000 else {}
        span = W.exact_window(m)
        win = {k: _iso(v) for k, v in (("since", span.since), ("until", span.until)) if v is not None} if span else {}
        add(m.first(W.HISTORY | {"trade"}), _call("trade_history", **one, **lim, **win))
        if span is not None:
            aside = f" ({span.words(str(m.tz))})"
    for asset in _assets(m):
        add(m.first(frozenset({"balance", "cash", "hold", "have", "dollars", "usd"})), _call("get_balances",
                                                                                              asset=asset))
    add(m.first(frozenset({"balance", "cash"})), _call("get_balances"))
    add(m.first(frozenset({"positions"})), _call("get_positions"))
    add(m.first(W.STATUS), _call("get_status"))
    if not found:  # "what do we hold" -> positions; "how much btc do we have" -> balances
        add(m.first(frozenset({"hold", "have"})), _call("get_positions"))
    price_at = m.first(frozenset({"price", "worth", "market"}))
    if price_at < 0 and not found and m.symbols and m.plain <= W.FILLERS | W.PRICE | {"much", "vs", "or", "and"}:
        price_at = 0  # "hows btc", "btc?", "eth and sol": a bare coin asks for its price
    if price_at >= 0:
        for s in m.symbols or list(m.universe):
            found.append((price_at, _call("get_price", symbol=s)))
    if not found:
        return None
    calls = [c for _, c in sorted(found, key=lambda f: f[0])]
    return _ok(_read_note(calls, period) + aside, *calls)


_READ_NOTES = {"get_portfolio": "your portfolio", "performance_report": "P&L", "list_open_orders": "orders",
               "trade_history": "trade history", "get_balances": "balances", "get_positions": "positions",
               "get_status": "status", "get_price": "prices", "get_balances:asset": "balance"}


def _assets(m: W.Message) -> list[str]:
    """'how much btc do i have', 'usd balance', 'how many dollars': the assets whose balance is asked."""
    asks = m.wset & {"balance", "cash"} or ("much" in m.wset or "many" in m.wset) and m.wset & {"hold", "have", "got"}
    if not asks or m.wset & (W.BUY | W.SELL):
        return []
    assets = [s.split("/")[0] for s in m.symbols]
    if m.wset & {"usd", "dollars", "dollar", "bucks", "cash", m.quote.lower()} and m.quote not in assets:
        assets.append(m.quote)
    return assets


def _both(at: datetime, tz: ZoneInfo) -> str:
    """'2024-05-05 18:00 UTC (14:00 America/New_York)': UTC, and the owner's clock when it differs."""
    utc = f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return utc if str(tz) == "UTC" else f"{utc} ({at.astimezone(tz):%a %H:%M} {tz})"


_PERIOD_WORDS = {"today": "today", "week": "for the last 7 days", "month": "for the last 30 days", "all": "all time"}


def _read_note(calls: list[ToolCall], period: str) -> str:
    names = list(dict.fromkeys(_READ_NOTES[c.name] for c in calls if c.name in _READ_NOTES))
    names = [f"P&L {_PERIOD_WORDS[period]}" if n == "P&L" else n for n in names]
    return "Checking " + (" and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]) + "."


def _self_test(m: W.Message) -> Parsed | None:
    # "run a test trade on eth", "self-test btc", "test the autopilot": one pass of the tick, nothing recorded.
    if not ({"selftest", "self-test"} & m.wset or ("test" in m.wset and m.wset & {"trade", "tick", "autopilot",
                                                                                   "self", "run"})):
        return None
    args: dict[str, Any] = {"symbol": m.symbols[0]} if m.symbols else {}
    if "place" in m.wset:
        args["place"] = True
    return _ok("Running the autopilot's self-test.", _call("autopilot_self_test", **args))


# --- alerts, reports and questions about Zyn itself ----------------------------------------------------------

_EVENTS = {"trades": "fill", "fill": "fill", "exits": "bracket_exit", "exit": "bracket_exit",
           "killswitch": "kill_switch", "errors": "autopilot_error", "error": "autopilot_error",
           "report": "daily_report", "reports": "daily_report", "target": "profit_target"}
_CHANNELS = ("telegram", "discord", "webhook", "email", "sms")


def _alerts(m: W.Message) -> Parsed | None:
    if "alert" not in m.wset:
        return None
    off = m.wset & {"off", "stop", "disable"}
    silent = m.wset & {"silent", "silence", "mute", "quiet"}
    on = m.wset & {"on", "start", "unmute"} and not m.question and m.words[0] not in W.QUESTION_START
    if not (off or silent or on) or m.words[0] in {"which", "what", "show", "list"}:
        return _ok("Showing where alerts go.", _call("alert_settings"))
    event = next((_EVENTS[w] for w in m.words if w in _EVENTS), "all")
    channel = next((w for w in m.words if w in _CHANNELS), "all")
    delivery = "silent" if silent else "off" if off else "on"
    return _ok(f"Setting {event.replace('_', ' ')} alerts {delivery} on {channel}.",
               _call("set_alert", event=event, channel=channel, delivery=delivery))


def _report(m: W.Message) -> Parsed | None:
    if "report" not in m.wset or m.wset & (W.BUY | W.SELL):
        return None
    args: dict[str, Any] = {}
    if "week" in m.wset:
        args["period"] = "week"
    elif "month" in m.wset:
        args["period"] = "month"
    elif str(m.tz) == "UTC" and (m.kinds("date") or "yesterday" in m.wset or any(w in W.WEEKDAYS for w in m.words)) \
            and "since" not in m.wset:
        on, _ = W.day(m)  # a whole UTC day: the report's own calendar day
        args = {"period": "day", "date": on.isoformat()}
    elif (span := W.exact_window(m)) is not None and not ("today" in m.wset and span.until is None
                                                          and "since" not in m.wset):
        # yesterday, last tuesday, since monday, the last 6 hours: that exact window, in the owner's days
        args = {"since": _iso(span.since), **({"until": _iso(span.until)} if span.until else {})}
        return _ok(f"Building the report {span.words(str(m.tz))}.", _call("report", **args))
    return _ok("Building the report.", _call("report", **args))


_SOURCE_WORDS = frozenset({"cached", "fresh", "delayed", "realtime", "replay", "source", "feed"})


def _zyn(m: W.Message) -> Parsed | None:
    """Questions about Zyn itself: its last tick, whether it runs, where its prices come from."""
    if m.wset & {"tick", "ticks"} or ("running" in m.wset and not m.symbols and not m.wset & (W.BUY | W.SELL)
                                      and m.wset <= W.FILLERS | {"running", "still", "up", "autopilot", "is", "are"}):
        return _ok("Checking the autopilot and its last tick.", _call("autopilot_status"))
    if m.wset & _SOURCE_WORDS or ("live" in m.wset and "price" in m.wset and not m.symbols):
        return _ok("Checking where my prices come from.", _call("get_status"))
    return None


_RULES: tuple[Callable[[W.Message], Parsed | None], ...] = (
    _pending_no, _help, _followup, _profit_target, _set_universe, _universe, _learning, _why, _alerts, _backtest, _chart, _report, _killswitch, _risk, _cancel, _flatten,
    _self_test, _order, _zyn, _autopilot, _reads)
