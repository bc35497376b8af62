"""Trading events as alerts a person can read on a phone: a short title line and a few lines of detail."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.notify.base import Alert, AlertKind
from trading.events import (
    AutopilotError,
    BracketExit,
    Event,
    KillSwitchTripped,
    OrderFilled,
    OrderResolved,
    ProfitTargetReached,
    ProtectionAlert,
    StartupReport,
)

_VERB = {"buy": "bought", "sell": "sold"}


def num(value: Decimal) -> str:
    """A Decimal with thousands separators and no trailing zeros: 64250.50 -> "64,250.5"."""
    value = value.normalize() if value == value else value  # NaN cannot be normalised
    text = f"{value:,f}"
    return "0" if text in ("-0", "0") else text


def money(value: Decimal, places: int = 2) -> str:
    """A money figure rounded half up to `places` decimals, with thousands separators."""
    text = f"{value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP):,.{places}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def signed(value: Decimal, places: int = 2) -> str:
    """Money with an explicit sign: +12.30 / -4.00."""
    text = money(value, places)
    return text if text.startswith("-") else f"+{text}"


def alert_for(event: Event) -> Alert | None:
    """The alert of an event: fills, bracket exits, kill-switch trips and autopilot errors; None for the rest."""
    if isinstance(event, BracketExit):  # checked first in case it ever subclasses OrderFilled
        return _bracket_exit(event)
    if isinstance(event, OrderFilled):
        return _fill(event)
    if isinstance(event, KillSwitchTripped):
        return _kill_switch(event)
    if isinstance(event, AutopilotError):
        return _autopilot_error(event)
    if isinstance(event, ProtectionAlert):
        return _protection(event)
    if isinstance(event, OrderResolved):
        return _resolved(event)
    if isinstance(event, ProfitTargetReached):  # the other daily stop of new entries, with its own settings
        gain = event.equity - event.start_equity
        pct = (gain / event.start_equity * 100).quantize(Decimal("0.01")) if event.start_equity else Decimal(0)
        return Alert(AlertKind.PROFIT_TARGET, f"Daily profit target reached: up {pct}% today{_mode(event)}", event.text,
                     event.at, key=f"profit_target:{event.at:%Y-%m-%d}")
    if isinstance(event, StartupReport):
        title = (f"{'UNPROTECTED at start-up' if event.urgent else 'Start-up check'}: {event.open_orders} open "
                 f"order(s), {event.fills_while_down} fill(s) while down{_mode(event)}")
        return Alert(AlertKind.PROTECTION, title, event.text, event.at, key=f"startup:{event.at.isoformat()}")
    return None


def _resolved(event: OrderResolved) -> Alert:
    what = "placed after all" if event.placed else "NOT placed"
    # Money may have moved: an alert of the fill kind, keyed by the order so no cooldown folds it away.
    return Alert(AlertKind.FILL, f"Order {what}{_mode(event)}", event.text, event.at,
                 key=f"resolved:{event.client_id}")


def _mode(event: Event) -> str:
    return f" [{event.mode.upper()}]" if event.mode else ""


def _fill_lines(fill: Any, event: Event) -> list[str]:
    quote = fill.symbol.partition("/")[2] or fill.fee_currency
    side = fill.side.value
    lines = [f"{_VERB.get(side, side).capitalize()} {num(fill.amount)} {fill.symbol} at {num(fill.price)} {quote}",
             f"Value {money(fill.amount * fill.price)} {quote} · fee {num(fill.fee)} {fill.fee_currency}"
             f" ({fill.liquidity.value})"]
    pnl = getattr(event, "pnl", None)  # events may carry the realised P&L of a closing fill
    if isinstance(pnl, Decimal):
        lines.append(f"P&L {signed(pnl)} {quote}")
    lines.append(f"Order {fill.order_id} · {fill.timestamp:%Y-%m-%d %H:%M:%S} UTC")
    lines.append(f"Mode {event.mode.upper()}" if event.mode else "")
    return [line for line in lines if line]


def _fill(event: OrderFilled) -> Alert:
    fill = event.fill
    if fill is None:
        return Alert(AlertKind.FILL, f"Filled{_mode(event)}", event.text, event.at)
    title = f"Filled: {fill.side.value} {num(fill.amount)} {fill.symbol} @ {num(fill.price)}{_mode(event)}"
    # Keyed by the fill: money moved, so a fill is never folded into a cooldown (storms are errors, not fills).
    return Alert(AlertKind.FILL, title, "\n".join(_fill_lines(fill, event)), event.at, key=f"fill:{fill.id}")


def _bracket_exit(event: BracketExit) -> Alert:
    what = (event.exit_kind or "bracket exit").replace("-", " ").capitalize()
    fill = event.fill
    if fill is None:
        return Alert(AlertKind.BRACKET_EXIT, f"{what} hit{_mode(event)}", event.text, event.at)
    verb = _VERB.get(fill.side.value, fill.side.value)
    title = f"{what} hit: {verb} {num(fill.amount)} {fill.symbol} @ {num(fill.price)}{_mode(event)}"
    return Alert(AlertKind.BRACKET_EXIT, title, "\n".join(_fill_lines(fill, event)), event.at,
                 key=f"fill:{fill.id}")


def _kill_switch(event: KillSwitchTripped) -> Alert:
    pct = (event.loss_fraction * 100).quantize(Decimal("0.01"))
    title = f"KILL SWITCH tripped: down {pct}% today{_mode(event)}"
    lines = [f"Equity {money(event.equity)} vs {money(event.start_equity)} at the start of the UTC day",
             f"P&L today {signed(event.equity - event.start_equity)}",
             "No new entries until tomorrow (UTC) or a manual reset (`zyn killswitch --reset`).",
             event.text]
    return Alert(AlertKind.KILL_SWITCH, title, "\n".join(line for line in lines if line), event.at)


def _protection(event: ProtectionAlert) -> Alert:
    what = "UNPROTECTED" if event.urgent else "Protection"
    title = f"{what}: {event.symbol}{_mode(event)}"
    # Keyed by bracket and text: each new state of a holding's protection is news, a repeat within the cooldown is not.
    body = f"{event.text}\nBracket {event.bracket_id}" if event.bracket_id else event.text
    return Alert(AlertKind.PROTECTION, title, body, event.at,
                 key=f"{event.bracket_id}:{event.text[:60]}")


def _autopilot_error(event: AutopilotError) -> Alert:
    where = f" on {event.symbol}" if event.symbol else ""
    title = f"Autopilot error{where}{_mode(event)}"
    text = f"{event.text}\nThe autopilot goes on with the next tick; details are in the log."
    return Alert(AlertKind.AUTOPILOT_ERROR, title, text, event.at, key=event.symbol or "")
