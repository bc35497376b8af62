"""Pair spellings: BTC/USD, btcusd, XBTUSD, XBT/USD and XXBTZUSD all mean the same market."""

from __future__ import annotations

import re
from collections.abc import Mapping

from trading.errors import UnknownPairError

# Kraken's legacy asset codes and their common names.
ASSET_ALIASES = {"XBT": "BTC", "XXBT": "BTC", "XDG": "DOGE", "XXDG": "DOGE", "XETH": "ETH",
                 "ZUSD": "USD", "ZEUR": "EUR", "ZGBP": "GBP", "ZCAD": "CAD", "ZJPY": "JPY",
                 "XLTC": "LTC", "XXRP": "XRP", "XXLM": "XLM", "XETC": "ETC", "XZEC": "ZEC",
                 "XXMR": "XMR", "ZCHF": "CHF", "ZAUD": "AUD"}
KNOWN_QUOTES = ("USDT", "USDC", "USD", "EUR", "GBP", "CAD", "JPY", "CHF", "AUD", "XBT", "BTC", "ETH", "DAI")
_PAIR_RE = re.compile(r"^[A-Z0-9]{2,12}$")


def asset_name(code: str) -> str:
    """Common name of a Kraken asset code (XXBT -> BTC)."""
    code = code.upper()
    return ASSET_ALIASES.get(code, code)


def split_pair(text: str) -> tuple[str, str]:
    """Split a pair spelling into (base, quote) in common names, or raise UnknownPairError."""
    raw = (text or "").strip().upper().replace("-", "/").replace("_", "/")
    if "/" in raw:
        parts = [p for p in raw.split("/") if p]
        if len(parts) != 2 or not all(_PAIR_RE.match(p) for p in parts):
            raise UnknownPairError(f"'{text}' is not a pair; write it like BTC/USD")
        return asset_name(parts[0]), asset_name(parts[1])
    if not _PAIR_RE.match(raw):
        raise UnknownPairError(f"'{text}' is not a pair; write it like BTC/USD")
    # Kraken's 8-letter ids: XXBTZUSD, XETHZUSD.
    if len(raw) == 8 and raw[0] in "XZ" and raw[4] in "XZ" and asset_name(raw[:4]) != raw[:4]:
        return asset_name(raw[:4]), asset_name(raw[4:])
    for quote in KNOWN_QUOTES:
        if raw.endswith(quote) and len(raw) > len(quote):
            return asset_name(raw[: -len(quote)]), asset_name(quote)
    raise UnknownPairError(f"'{text}' is not a pair I know; write it like BTC/USD")


def normalize_pair(text: str) -> str:
    """Unified symbol for any accepted spelling: 'xbtusd' -> 'BTC/USD'."""
    base, quote = split_pair(text)
    return f"{base}/{quote}"


def resolve_pair(text: str, markets: Mapping[str, object]) -> str:
    """Unified symbol of a market that exists, or UnknownPairError naming a few that do."""
    symbol = normalize_pair(text)
    if symbol not in markets:
        sample = ", ".join(sorted(markets)[:5])
        raise UnknownPairError(f"unknown pair '{text}'; try one of: {sample}")
    return symbol
