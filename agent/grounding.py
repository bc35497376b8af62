"""The grounding check: a reply may state only ids and figures that this turn's tools returned.

Rules (applied to the model's reply before it goes out):

1. Order ids. Every Kraken-style id (a letter and 5-5-6 upper-case letters/digits, e.g. OQCLML-BW3P3-BUCMWZ;
   our bracket ids B..., fill ids T... have the same shape) must appear in this turn's tool outcomes, or
   `known_ids(id)` must say it is a stored record.
2. Figures. A number is a figure (an amount, price or balance) when it has a currency symbol ($ € £ ¥), a
   currency or asset code or word next to it (USD, BTC, eth, dollars), decimals, thousands separators, a
   "k" suffix (64k), a % sign, or is a bare integer above 31. Each figure must equal, numerically, a
   number in this turn's outcomes (their text, their structured result, or the arguments of a successful
   call), or that number rounded (half-up, half-even or down) to the precision the reply shows:
   "64,000.10" == "64000.1"; "$64,000" matches 64000.1; "64k" matches 64012.5. Signs are ignored ("a loss
   of 12.50" vs -12.50). A percentage also matches a fraction (2.5% vs 0.025) or a percentage in the user's
   own message.
   Not figures: integers up to 31 without a currency or asset next to them ("2 positions", "5 minutes",
   list numbers), years 1900-2100, dates (2024-05-06, 06/05/2024), times (14:05, 14:05:33), numbers glued
   to letters (5m, 24h, v2, pending codes like K7Q2), and the digits inside ids.
3. Action claims. "I bought/sold/placed/cancelled...", "order placed/filled", "has been executed",
   "filled", a reply starting with "done", need a successful state-changing tool outcome this turn (a
   pending confirmation is not one), or a successful tool that reports our records (orders, trades,
   positions, evaluations), since then the reply may be describing history.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

from loguru import logger

from tools.base import Permission
from tools.catalog import CATALOG
from tools.gate.types import ToolOutcome
from tools.results import jsonable

_log = logger.bind(component="agent")

ORDER_ID = re.compile(r"\b[A-Z][A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{6}\b")
_DATES = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
                    r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{1,2}:\d{2}(?::\d{2})?\b")
_FIGURE = re.compile(r"(?<![\w.,#/])(?P<cur>[$€£¥])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
                     r"(?P<k>[kK](?![\w]))?(?P<pct>\s?%)?(?![\w]|\.\d)")
_ANY_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?")
_WORD_AFTER = re.compile(r"^\s?([A-Za-z]{2,8})\b")
_WORD_BEFORE = re.compile(r"\b([A-Za-z]{2,8})[\s:]?$")
_CODES = frozenset("""USD EUR GBP CAD JPY CHF AUD USDT USDC DAI ZUSD ZEUR BTC XBT XXBT ETH XETH SOL ADA DOT XRP
LTC DOGE XDG LINK MATIC POL AVAX ATOM XLM BCH TRX UNI SHIB XMR ZEC ETC FIL NEAR ALGO EOS XTZ PEPE ARB OP
DOLLAR DOLLARS BUCKS EURO EUROS""".split())
_CLAIMS = re.compile(
    r"\bI(?:'ve|\s+have)?\s+(?:just\s+|now\s+|already\s+)?(?:bought|sold|placed|cancell?ed|closed|opened|executed"
    r"|submitted|flattened|re-?armed|withdrew|started|stopped)\b"
    r"|\b(?:orders?|trades?|positions?|brackets?|it)\s+(?:has\s+been|have\s+been|was|were|is|got)\s+(?:now\s+)?"
    r"(?:placed|filled|executed|submitted|cancell?ed|closed|opened)\b"
    r"|\b(?:orders?|brackets?)\s+(?:placed|filled|executed|submitted|cancell?ed)\b"
    r"|\bsuccessfully\s+(?:placed|bought|sold|cancell?ed|executed|submitted)\b"
    r"|\bfilled\b|^\W*(?:all\s+)?done\b",
    re.IGNORECASE | re.MULTILINE)
RECORD_TOOLS = frozenset({"list_open_orders", "trade_history", "explain_evaluation", "why_not_trade",
                          "performance_report", "get_positions", "get_portfolio", "autopilot_status", "report"})
ACTION_PROBLEM = "claims an action no tool performed"


@dataclass(frozen=True)
class GroundingVerdict:
    ok: bool
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Figure:
    raw: str
    value: Decimal
    places: int  # decimals shown
    scale: Decimal  # 1000 for "64k"
    percent: bool


def check_reply(text: str, outcomes: list[ToolOutcome], *, known_ids: Callable[[str], bool],
                user_text: str = "") -> GroundingVerdict:
    """Whether every id, figure and claimed action in the reply is backed by this turn's tool outcomes."""
    evidence_text = "\n".join(_evidence_texts(outcomes))
    problems: list[str] = []
    seen_ids = set(ORDER_ID.findall(evidence_text))
    for oid in dict.fromkeys(ORDER_ID.findall(text)):
        if oid not in seen_ids and not known_ids(oid):
            problems.append(f"order id {oid} is not in this turn's tool results or our records")
    numbers = _numbers(evidence_text)
    user_numbers = _numbers(user_text)
    for fig in _figures(text):
        if _matches(fig, numbers) or (fig.percent and _matches(fig, user_numbers)):
            continue
        problems.append(f"figure {fig.raw.strip()} is not in this turn's tool results")
    if _CLAIMS.search(text) and not _backs_claims(outcomes):
        problems.append(ACTION_PROBLEM)
    problems = list(dict.fromkeys(problems))
    if problems:
        _log.warning("grounding check failed: {}", "; ".join(problems))
    return GroundingVerdict(ok=not problems, problems=problems)


def correction_text(verdict: GroundingVerdict, outcomes: list[ToolOutcome]) -> str:
    """A safe reply built only from the outcomes' own texts."""
    texts = list(dict.fromkeys(f"• {o.call.name}: {_cap(o.text())}" for o in outcomes))
    changed = any(_changed_state(o) for o in outcomes)
    if not texts:
        return ("I could not verify my previous answer, and no tool ran this turn, so nothing was placed or "
                "changed. Ask me again and I will check with the tools.")
    lines = ["I could not verify my previous answer. Here is what the tools returned:", *texts]
    if not changed:
        lines.append("Nothing was placed or changed this turn.")
    return "\n".join(lines)


def _changed_state(outcome: ToolOutcome) -> bool:
    tool = CATALOG.get(outcome.call.name)
    return outcome.ok and outcome.pending is None and tool is not None and tool.permission is not Permission.READ


def _backs_claims(outcomes: Iterable[ToolOutcome]) -> bool:
    return any(_changed_state(o) or (o.ok and o.pending is None and o.call.name in RECORD_TOOLS)
               for o in outcomes)


def _evidence_texts(outcomes: Iterable[ToolOutcome]) -> Iterator[str]:
    """What this turn's tools said: their text, their structured result, successful calls' arguments."""
    for o in outcomes:
        yield o.text()
        if o.result is not None and not isinstance(o.result, str):
            try:
                yield json.dumps(jsonable(o.result), default=str)
            except (TypeError, ValueError):
                pass
        if o.ok and isinstance(o.call.args, dict):
            yield json.dumps(o.call.args, default=str)


def _numbers(text: str) -> set[Decimal]:
    found: set[Decimal] = set()
    for token in _ANY_NUMBER.findall(text):
        try:
            number = Decimal(token.replace(",", ""))
            # Ids and hashes hold digit-e-digit runs ("5e70001"): not figures, and beyond the context's range.
            if number.is_finite() and -40 < number.adjusted() < 40:
                found.add(abs(number))
        except ArithmeticError:  # InvalidOperation, Overflow: not a number a person would state
            continue
    return found


def _figures(text: str) -> Iterator[_Figure]:
    """The reply's numbers that state an amount, price or balance (see the module's rules)."""
    text = ORDER_ID.sub(lambda m: " " * len(m.group()), text)
    text = _DATES.sub(lambda m: " " * len(m.group()), text)
    for m in _FIGURE.finditer(text):
        num = m.group("num")
        value = Decimal(num.replace(",", ""))
        places = len(num.partition(".")[2])
        has_code = _next_to_code(text, m.start(), m.end())
        obvious = bool(m.group("cur") or m.group("k") or has_code or "," in num or places)
        if not obvious:
            if value <= 31 or (1900 <= value <= 2100 and not m.group("pct")):
                continue
        scale = Decimal(1000) if m.group("k") else Decimal(1)
        yield _Figure(raw=m.group(), value=value, places=places, scale=scale, percent=bool(m.group("pct")))


def _next_to_code(text: str, start: int, end: int) -> bool:
    after = _WORD_AFTER.match(text[end:end + 12])
    before = _WORD_BEFORE.search(text[max(0, start - 12):start])
    return any(w is not None and w.group(1).upper() in _CODES for w in (after, before))


def _matches(fig: _Figure, numbers: set[Decimal]) -> bool:
    step = Decimal(1).scaleb(-fig.places)
    for n in numbers:
        for candidate in (n / fig.scale, n * 100) if fig.percent else (n / fig.scale,):
            if candidate == fig.value or _rounds_to(candidate, step, fig.value):
                return True
    return False


def _rounds_to(number: Decimal, step: Decimal, shown: Decimal) -> bool:
    if abs(number - shown) >= step:  # cheap filter before quantizing
        return False
    try:
        return any(number.quantize(step, rounding=r) == shown for r in (ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN))
    except InvalidOperation:
        return False


def _cap(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

