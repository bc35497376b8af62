"""Offline intent engine: spelling repair, tokens, and reading coins, numbers and times (words: intent_vocab)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from agent.intents.vocab import (  # noqa: F401 - re-exported: the engine reads them as W.<NAME>
    _TARGETS,
    ALL,
    BIGRAMS,
    BUY,
    CLOSED,
    COINS,
    COMMON,
    FILLERS,
    FLATTEN_VERBS,
    GREET,
    HISTORY,
    KNOWN,
    NEGATIONS,
    NO_TARGET,
    NOTHING,
    ORDERS,
    PENDING_FILL,
    PENDING_NO,
    PERF,
    PORTIONS,
    PRICE,
    QUESTION_START,
    RESET,
    SELL,
    START,
    STATS,
    STATUS,
    STOP,
    STOP_KEYS,
    SYNONYMS,
    TP_KEYS,
    TRIP,
    WEEKDAYS,
)
from tools.window import Window
from trading.errors import UnknownPairError
from trading.pairs import split_pair


@dataclass(frozen=True)
class Tok:
    kind: str  # word | num | time | date | oid | mark | part (a portion of a holding: "half", "1/4")
    text: str  # canonical word, exact number text, "HH:MM", ISO date, upper-case order id, or "@"/"?"
    value: Decimal | None = None
    dollar: bool = False
    pct: bool = False
    negative: bool = False


def osa_distance(a: str, b: str) -> int:
    """Edit distance counting a swap of two neighbouring letters as one edit ("stpo" -> "stop")."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def repair(word: str) -> str:
    """The vocabulary word one edit away, if exactly one meaning is that close; else the word unchanged."""
    if word in KNOWN or len(word) < 4 or not word.isalpha():
        return word
    near = {SYNONYMS.get(t, t) for t in _TARGETS if abs(len(t) - len(word)) <= 1 and osa_distance(word, t) <= 1}
    return near.pop() if len(near) == 1 else word


_TOKEN = re.compile(r"""
 (?P<oid>\b[a-z0-9]{6}-[a-z0-9]{5}-[a-z0-9]{6}\b)
|(?P<date>\b\d{4}-\d{2}-\d{2}\b)
|(?P<frac>\b[1-9]/[1-9]\b)
|(?P<time>\b\d{1,2}:\d{2}(?:\s?[ap]m\b)?|\b\d{1,2}\s?[ap]m\b)
|(?P<neg>(?<![^\s])-)?(?P<pre>\$\s?)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:e\d{1,3}(?![a-z]))?|\.\d+)
    (?P<suf>[km](?![a-z]))?(?P<post>\s?%|\s?\$)?
|(?P<word>[a-z][a-z0-9]*(?:/[a-z]{2,5})?)
|(?P<mark>[@?$%])
""", re.X)
_SUFFIX = {"k": Decimal(1000), "m": Decimal(1000000)}
_DOLLARS = {"usd", "dollar", "dollars", "bucks"}


def clean(text: str) -> str:
    """Lower case, one apostrophe style dropped, '&'/'+' as 'and', a leading slash command unwrapped."""
    # NFKC folds full-width letters and digits from some phone keyboards into plain ones.
    s = unicodedata.normalize("NFKC", text or "").lower().replace("\u2019", "'").replace("\u2018", "'")
    s = re.sub(r"\bp\s*[&/]\s*l\b|\bp and l\b", " pnl ", s)
    s = re.sub(r"^\s*/([a-z_]+)(@\w+)?", r"\1", s)  # "/status@ZynBot" from a group chat
    s = s.replace("'", "").replace("`", "").replace("&", " and ").replace("+", " and ").replace("_", " ")
    return s.replace("\u20ac", " eur ").replace("\u00a3", " gbp ")


def _number(m: re.Match[str]) -> Tok:
    digits = m["num"].replace(",", "")
    try:
        value = Decimal(digits)
    except InvalidOperation:  # the pattern only admits digits, so this is a guard, not a path
        return Tok("word", m["num"])
    if value.as_tuple().exponent > 0 or "e" in digits:  # "1e9": written out, never read as 1
        if value > Decimal("1e15"):
            raise Reject(f"{m['num']} is far beyond any order or setting I can make; nothing was done.")
        value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value
    text = format(value, "f")  # exact: "0.010" stays "0.010", never a float
    if m["suf"]:
        value *= _SUFFIX[m["suf"]]
        text = format(value, "f")
        text = text.rstrip("0").rstrip(".") if "." in text else text
    post = (m["post"] or "").strip()
    return Tok("num", text, value, dollar=bool(m["pre"]) or post == "$", pct=post == "%", negative=bool(m["neg"]))


def tokenize(text: str) -> list[Tok]:
    """Tokens of a cleaned message: words spelled canonically (repaired, phrases merged), numbers, times."""
    toks: list[Tok] = []
    for m in _TOKEN.finditer(text):
        if m["oid"]:
            toks.append(Tok("oid", m["oid"].upper()))
        elif m["date"]:
            toks.append(Tok("date", m["date"]))
        elif m["frac"]:
            top, bottom = m["frac"].split("/")
            if int(top) < int(bottom):
                toks.append(Tok("part", m["frac"], Decimal(top) / Decimal(bottom)))
        elif m["time"]:
            toks.append(Tok("time", m["time"].replace(" ", "")))
        elif m["num"]:
            toks.append(_number(m))
        elif m["word"] and m["word"].rstrip("s") in PORTIONS:
            value = PORTIONS[m["word"].rstrip("s")]
            part = Decimal(1) / 3 if value == "1/3" else Decimal(value)
            if toks and toks[-1].text in ("three", "two"):  # "three quarters", "two thirds"
                part *= 3 if toks.pop().text == "three" else 2
            toks.append(Tok("part", m["word"], part))
        elif m["word"]:
            word = repair(SYNONYMS.get(m["word"], m["word"]))
            toks.append(Tok("word", SYNONYMS.get(word, word)))
        elif m["mark"] in "%$" and toks and toks[-1].kind == "num":  # "2 %" or "200 $" written apart
            prev = toks.pop()
            toks.append(Tok("num", prev.text, prev.value, prev.dollar or m["mark"] == "$",
                            prev.pct or m["mark"] == "%", prev.negative))
        else:
            toks.append(Tok("mark", m["mark"]))
    return _merge(toks)


def _merge(toks: list[Tok]) -> list[Tok]:
    out: list[Tok] = []
    for tok in toks:
        if out and tok.kind == "word" and out[-1].kind == "word":
            merged = BIGRAMS.get((out[-1].text, tok.text))
            if merged:
                out[-1] = Tok("word", merged)
                continue
        if tok.kind == "num" and out and out[-1].kind == "mark" and out[-1].text == "$":  # "$ 200"
            out[-1] = Tok("num", tok.text, tok.value, True, tok.pct, tok.negative)
            continue
        out.append(tok)
    return out


# --- a message read into words, coins, numbers and times ---------------------------------------------------

class Reject(Exception):
    """The message looked like a request but could not be read safely; its text is the note."""


@dataclass
class Message:
    """A message's tokens with its coins (by token index), clock and universe, plus handy views of its words."""

    toks: list[Tok]
    syms: dict[int, str]  # token index -> symbol
    now: datetime
    universe: tuple[str, ...]
    quote: str
    question: bool
    tz: ZoneInfo = ZoneInfo("UTC")  # the owner's zone: days and clock times are theirs

    def __post_init__(self) -> None:
        self.words = [t.text for t in self.toks if t.kind == "word"]
        self.wset = set(self.words)
        self.text = " ".join(self.words)
        self.symbols = list(dict.fromkeys(self.syms.values()))
        self.plain = {t.text for i, t in enumerate(self.toks) if t.kind == "word" and i not in self.syms}
        self.nums = [i for i, t in enumerate(self.toks) if t.kind == "num"]

    def kinds(self, kind: str) -> list[Tok]:
        return [t for t in self.toks if t.kind == kind]

    def word(self, i: int) -> str | None:
        return self.toks[i].text if 0 <= i < len(self.toks) and self.toks[i].kind == "word" else None

    def first(self, words: frozenset[str] | set[str]) -> int:
        return next((i for i, t in enumerate(self.toks) if t.kind == "word" and t.text in words), -1)


def read_message(cleaned: str, now: datetime, universe: tuple[str, ...], quote: str,
                 tz: ZoneInfo = ZoneInfo("UTC")) -> Message:
    """Tokenize a cleaned message and find its coins: names, tickers and pair spellings."""
    toks = tokenize(cleaned)
    bases = {s.split("/")[0].lower(): s.split("/")[0].upper() for s in universe if "/" in s}
    syms = {i: s for i, t in enumerate(toks) if t.kind == "word" and (s := _symbol(t.text, bases, quote))}
    return Message(toks, syms, now, universe, quote, "?" in cleaned, tz)


def _symbol(word: str, bases: dict[str, str], quote: str) -> str | None:
    """'eth', 'ethereum', 'ethusd', 'eth/usd' -> 'ETH/USD'; words that are not coins -> None."""
    if word in COINS:
        return f"{COINS[word]}/{quote}"
    if word in bases and word not in KNOWN and word != quote.lower():
        return f"{bases[word]}/{quote}"
    if "/" in word or 5 <= len(word) <= 10:
        try:
            base, q = split_pair(word)
        except UnknownPairError:
            return None
        if base.lower() in COINS or base in COINS.values() or base.lower() in bases:
            return f"{COINS.get(base.lower(), base)}/{q}"
    return None


def moment(m: Message) -> datetime | None:
    """A clock time in the message as a UTC moment: today's, or yesterday's if that time is still to come."""
    times = m.kinds("time")
    if not times:
        return None
    hit = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?([ap]m)?", times[0].text)
    if not hit:
        raise Reject("I could not read that time; write it like 14:05 or 2pm.")
    hour, minute, half = int(hit[1]), int(hit[2] or 0), hit[3]
    if half:
        if not 1 <= hour <= 12:
            raise Reject(f"{times[0].text} is not a time; write it like 2:05pm or 14:05.")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise Reject(f"{times[0].text} is not a time; write it like 14:05.")
    on, explicit = day(m)
    at = datetime.combine(on, time(hour, minute), tzinfo=m.tz).astimezone(UTC)
    return at - timedelta(days=1) if not explicit and at > m.now else at


def day(m: Message) -> tuple[date, bool]:
    """The day a message means (a date, yesterday, else today) and whether it said so explicitly."""
    dates = m.kinds("date")
    if dates:
        try:
            return date.fromisoformat(dates[0].text), True
        except ValueError:
            raise Reject(f"{dates[0].text} is not a date; write it like 2024-05-06.") from None
    today = m.now.astimezone(m.tz).date()
    if "yesterday" in m.wset:
        return today - timedelta(days=1), True
    named = [w for w in m.words if w in WEEKDAYS]
    if named:  # the latest such day; "last friday" on a Friday is a week ago
        back = (today.weekday() - WEEKDAYS.index(named[0])) % 7
        return today - timedelta(days=back or (7 if "last" in m.wset else 0)), True
    return today, bool(m.wset & {"today", "thismorning", "thisafternoon", "thisevening"})


def local_start(m: Message, on: date, hour: int = 0, minute: int = 0) -> datetime:
    """The UTC moment of a local wall-clock time on a day in the owner's zone."""
    return datetime.combine(on, time(hour, minute), tzinfo=m.tz).astimezone(UTC)


_PARTS_OF_DAY = {"thismorning": (0, 12), "thisafternoon": (12, 17), "thisevening": (17, 24)}


def window(m: Message) -> tuple[datetime | None, datetime | None] | None:
    """'yesterday', 'last tuesday', 'since monday', 'this morning', 'since 9am', a date -> (since, until) in UTC."""
    since_word = "since" in m.wset or "from" in m.wset
    part = next((p for p in _PARTS_OF_DAY if p in m.wset), None)
    if m.kinds("time") and since_word:
        return moment(m), None
    if not (m.kinds("date") or part or m.wset & {"yesterday", "today"} or any(w in WEEKDAYS for w in m.words)):
        return None
    on, _ = day(m)
    start = local_start(m, on)
    if part:
        lo, hi = _PARTS_OF_DAY[part]
        return local_start(m, on, lo), local_start(m, on) + timedelta(hours=hi)
    if since_word or on == m.now.astimezone(m.tz).date():
        return start, None
    return start, local_start(m, on + timedelta(days=1))


def exact_window(m: Message) -> Window | None:
    """The window a message names: a day, a part of one or a time ('yesterday', 'since 9am'), else a span back
    from now ('last 24 hours', 'past 3 days'); None when it names none."""
    found = window(m)
    if found is not None:
        return Window(*found)
    back = span(m)
    return Window(m.now - back, None) if back is not None else None


def span_count(m: Message) -> int | None:
    """The index of the number that counts a span ('24' in 'last 24 hours'), so it is not read as a limit."""
    i = m.first(frozenset(_UNITS))
    return i - 1 if i > 0 and m.toks[i - 1].kind == "num" else None


_UNITS = {"hours": timedelta(hours=1), "days": timedelta(days=1), "week": timedelta(days=7),
          "month": timedelta(days=30), "year": timedelta(days=365)}


def span(m: Message) -> timedelta | None:
    """'last week', 'past 3 days', '24h' -> how far back; None when the message names no span."""
    units = _UNITS
    i = m.first(frozenset(units))
    if i < 0:
        return None
    prev = m.toks[i - 1] if i > 0 else None
    count = prev.value if prev is not None and prev.kind == "num" and not prev.pct and not prev.dollar else None
    if count is not None and (count <= 0 or count != count.to_integral_value() or count > 3650):
        raise Reject("Give the period as a whole number (up to 10 years), e.g. 'last 7 days'.")
    return units[m.toks[i].text] * int(count or 1)


_SKIP = frozenset({"at", "of", "to", "is", "price", "per", "trade", "limit", "max"})


def near_number(m: Message, i: int, claimed: set[int], *, forward: bool, reach: int = 1) -> int | None:
    """The number next to token i (after it, skipping small words, or just before it), if not taken."""
    step = 1 if forward else -1
    j = i + step
    while 0 <= j < len(m.toks) and abs(j - i) <= reach:
        t = m.toks[j]
        if t.kind == "num":
            return None if j in claimed else j
        if not forward or not (t.kind == "mark" or t.text in _SKIP):
            return None
        j += step
    return None


def read_order_numbers(m: Message, args: dict[str, Any]) -> None:
    """Fill an order's stop/target, limit price and amount from the message's numbers, or Reject."""
    claimed = _exits(m, args)
    _limit_price(m, args, claimed)
    _amount(m, args, claimed)


def _exits(m: Message, args: dict[str, Any]) -> set[int]:
    """Stop and target numbers: 'stop 2% tp 5%' (number after) or '2% stop 5% tgt' (number before)."""
    keys = [i for i, t in enumerate(m.toks) if t.kind == "word" and t.text in STOP_KEYS | TP_KEYS]
    for forward_first in (True, False):
        claimed: set[int] = set()
        found: dict[int, int] = {}
        for i in keys:
            j = near_number(m, i, claimed, forward=forward_first, reach=3)
            if j is None:
                j = near_number(m, i, claimed, forward=not forward_first, reach=3)
            if j is not None:
                claimed.add(j)
                found[i] = j
        if len(found) == len(keys):
            break
    else:
        raise Reject("I couldn't tell which number is the stop or the target; e.g. 'stop 2% tp 5%'.")
    for i, j in found.items():
        num, exit_ = m.toks[j], "stop" if m.toks[i].text in STOP_KEYS else "take_profit"
        key = f"{exit_}_pct" if num.pct else exit_
        if num.negative or num.value <= 0 or exit_ in args or f"{exit_}_pct" in args:
            raise Reject("Give one positive stop and one target, e.g. 'stop 2% tp 5%' or 'sl 58k tp 66k'.")
        args[key] = num.text
    return claimed


def _limit_price(m: Message, args: dict[str, Any], claimed: set[int]) -> None:
    for i, t in enumerate(m.toks):
        if t.text in ("@", "at", "limit") and t.kind in ("word", "mark"):
            j = near_number(m, i, claimed, forward=True, reach=2)
            if j is None:
                if t.text == "limit" and "price" not in args:
                    raise Reject("A limit order needs a price, e.g. 'buy 0.01 btc limit 60000'.")
                continue
            num = m.toks[j]
            if num.pct or num.negative or num.value <= 0 or "price" in args:
                raise Reject("Give one limit price, e.g. 'at 60000' or '@60k'.")
            claimed.add(j)
            args.update(price=num.text, type="limit")


def _amount(m: Message, args: dict[str, Any], claimed: set[int]) -> None:
    """Exactly one number left: coin ('0.01 btc') or quote ('$200 of eth', '200 usd', 'for 200')."""
    rest = [j for j in m.nums if j not in claimed]
    if not rest:
        raise Reject("How much? e.g. 'buy 0.01 btc' or 'buy $200 of btc'.")
    if len(rest) > 1:
        raise Reject("I see more than one amount; give one, e.g. 'buy 0.01 btc' or 'buy $200 of btc'.")
    j = rest[0]
    num, before, after = m.toks[j], m.word(j - 1), m.word(j + 1)
    if num.negative or (num.value is not None and num.value == 0):
        raise Reject(f"That amount is {'negative' if num.negative else 'zero'}, so I {args['side']} nothing; "
                     f"e.g. '{args['side']} 0.01 {args['symbol'].split('/')[0].lower()}'.")
    if num.pct:
        raise Reject(f"The amount must be a number of coins or of {m.quote}; a percentage sells part of a holding, "
                     "e.g. 'sell 25% of btc'.")
    money = {m.quote.lower()} | (_DOLLARS if m.quote in ("USD", "USDT", "USDC") else set())
    if num.dollar or after in money or before in money or after == "worth" or before == "for":
        args["quote_amount"] = num.text
    elif j + 1 in m.syms or j - 1 in m.syms:
        args["amount"] = num.text
    else:  # "buy 200 of eth": coins or dollars? Asking beats guessing with money.
        coin = args["symbol"].split("/")[0].lower()
        raise Reject(f"Is {num.text} coins or {m.quote}? Say '{num.text} {coin}' or '${num.text} of {coin}'.")
