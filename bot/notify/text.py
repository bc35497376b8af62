"""Text helpers for channels: split long messages under a limit, escape for Telegram HTML, truncate with a marker.

    >>> split_message("line one\\nline two", limit=10)
    ['line one', 'line two']
    >>> html_escape("P&L < 0 & > -5")
    'P&amp;L &lt; 0 &amp; &gt; -5'
"""

from __future__ import annotations

import html
from collections.abc import Callable

TELEGRAM_LIMIT = 4096  # characters of one Telegram message
SMS_LIMIT = 1600  # characters of one SMS body (Twilio's maximum for a concatenated message)
TRUNCATED = "… [truncated]"

Length = Callable[[str], int]


def html_escape(text: str) -> str:
    """Plain text made safe for Telegram's HTML parse mode: &, < and > escaped (quotes left alone)."""
    return html.escape(text, quote=False)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: most emoji count 2); pass as split_message's length."""
    return len(text.encode("utf-16-le")) // 2


def split_message(text: str, limit: int = TELEGRAM_LIMIT, *, length: Length = len,
                  numbered: bool = False) -> list[str]:
    """Cut text into parts of at most `limit` (as measured by `length`), in order.

    Cuts at line breaks first (that one newline is dropped), then at the last space of an over-long line
    (the space stays at the end of the first part), then anywhere. Joining the parts with the dropped
    newlines gives back the text; blank parts are left out (chat APIs refuse them), so "" gives [].
    numbered=True prefixes "(i/n) " to each part when there is more than one (room for it is kept).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    parts = _split(text, limit, length)
    if not numbered or len(parts) <= 1:
        return parts
    reserve = length("(99/99) ")
    while True:  # the prefix needs room; the part count may grow once room is kept for it
        if reserve >= limit:
            raise ValueError(f"limit {limit} leaves no room for part numbers")
        parts = _split(text, limit - reserve, length)
        n = len(parts)
        if length(f"({n}/{n}) ") <= reserve:
            return [f"({i}/{n}) {p}" for i, p in enumerate(parts, 1)]
        reserve = length(f"({n}/{n}) ")


def truncate(text: str, limit: int, *, marker: str = TRUNCATED, length: Length = len) -> str:
    """Text shortened to at most `limit` with a marker at the end when it was cut (whole text otherwise)."""
    if length(text) <= limit:
        return text
    room = limit - length(marker)
    if room <= 0:
        return marker[:limit]
    head, _ = _cut(text, room, length)
    return head.rstrip() + marker


def _split(text: str, limit: int, length: Length) -> list[str]:
    parts: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        candidate = line if current is None else f"{current}\n{line}"
        if length(candidate) <= limit:
            current = candidate
            continue
        if current is not None:
            parts.append(current)
        while length(line) > limit:
            head, line = _cut(line, limit, length)
            parts.append(head)
        current = line
    if current is not None:
        parts.append(current)
    return [p for p in parts if p.strip()]


def _cut(line: str, limit: int, length: Length) -> tuple[str, str]:
    """The longest head of an over-long line that fits (ending at a space if one is in its second half)."""
    if length is len:
        fit = limit
    else:  # binary search: the measured length grows with every character added
        lo, hi = 1, len(line)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if length(line[:mid]) <= limit:
                lo = mid
            else:
                hi = mid - 1
        fit = lo  # at least one character, even if a single one is wider than the limit
    space = line.rfind(" ", 0, fit)
    end = space + 1 if space >= fit // 2 and space > 0 else fit
    return line[:end], line[end:]
