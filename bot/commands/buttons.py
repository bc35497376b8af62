"""Buttons every front end shows, as (label, data) rows; the data is short and is checked again when pressed.

Data (at most 64 bytes, Telegram's limit; Discord custom ids allow 100), forgeable by a modified client:
  cf:CODE:USER  confirm a pending action       cx:CODE:USER  drop it
  co:ORDER_ID   cancel that order (menu)       ca            cancel all (menu; asks to confirm)
  x             close the menu                 rf:COMMAND LINE  re-run a read-only command (Refresh)
  pn:COMMAND LINE  a control-panel action (owner only; one of PANEL_LINES; state changes still confirm)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tools.gate.types import PendingAction
from tools.results import amount_str, money

MAX_DATA = 64
MENU_ORDERS = 20  # orders listed as buttons in the cancel menu


@dataclass(frozen=True)
class Button:
    label: str
    data: str
    style: str = "secondary"  # "primary" | "danger" | "secondary": a hint for front ends that colour buttons


Rows = list[list[Button]]


def _data(*parts: str) -> str | None:
    data = ":".join(parts)
    return data if len(data.encode()) <= MAX_DATA else None


def confirm_rows(pending: PendingAction) -> Rows:
    """Confirm / Cancel for one pending action, bound to the person who asked."""
    return [[Button("✅ Confirm", _data("cf", pending.code, pending.user_id) or "x", "primary"),
             Button("✖ Cancel", _data("cx", pending.code, pending.user_id) or "x", "danger")]]


def refresh_rows(command_line: str) -> Rows | None:
    """A Refresh button re-running a read-only command ("price BTC/USD"); None if it does not fit."""
    data = _data("rf", command_line)
    return [[Button("🔄 Refresh", data)]] if data else None


def cancel_menu_rows(orders: Sequence[Any]) -> Rows:
    """One button per open order (newest first), then Cancel all and Close."""
    rows: Rows = []
    for o in orders[:MENU_ORDERS]:
        data = _data("co", o.id)
        if data is None:
            continue  # an id too long for a button: /cancel ID still works
        price = f" @ {money(o.price)}" if o.price else (f" at {money(o.stop_price)}" if o.stop_price else "")
        label = f"{o.side.value} {amount_str(o.amount)} {o.symbol} {o.type.value}{price}"
        rows.append([Button(label[:60], data)])
    rows.append([Button("Cancel all", "ca", "danger"), Button("Close", "x")])
    return rows


def data_of(rows: Rows | None) -> set[str]:
    """Every button's data in these rows."""
    return {b.data for row in rows or () for b in row}


# The control panel's buttons: (label, command line, style); each runs that command through the desk and gate.
PANEL = (("Autopilot on", "autopilot on", "primary"), ("Autopilot off", "autopilot off", "secondary"),
         ("Kill switch", "killswitch status", "secondary"), ("Re-arm kill switch", "killswitch reset", "danger"),
         ("Flatten all", "flatten", "danger"))
PANEL_LINES = frozenset(line for _, line, _ in PANEL)


def panel_rows() -> Rows:
    """The control panel: autopilot on/off, kill-switch state and re-arm, flatten."""
    buttons = [Button(label, f"pn:{line}", style) for label, line, style in PANEL]
    return [buttons[:2], buttons[2:4], buttons[4:]]
