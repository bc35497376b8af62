"""Kraken's rate-limit counters, enforced by the Kraken stand-in when a test turns them on.

    k.limits = KrakenLimits(max_counter=15, decay=0.33)   # the starter tier's REST counter, per API key

Per API key a REST counter: +1 per private call, +2 for Ledgers and TradesHistory, decaying `decay` per second;
a call that would take it past `max_counter` is refused with "EAPI:Rate limit exceeded" (and not counted).
AddOrder and CancelOrder count instead on the per-key, per-pair trading-engine counter: AddOrder +1 and refused
past `order_threshold` with "EOrder:Rate limit exceeded"; a cancel adds Kraken's penalty by the order's age
(under 5 s +8, ... over 300 s nothing) and is never refused. Public calls: one counter for everyone, +1 a call,
"EGeneral:Too many requests" past `public_max`. Written from Kraken's documentation, independently of the
client's limiter (trading/exchange/kraken/ratelimit.py), so a test of one against the other means something.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

_CANCEL = ((5, 8), (10, 6), (15, 5), (45, 4), (90, 2), (300, 1))


@dataclass
class _Decaying:
    maximum: float
    decay: float
    level: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def now_level(self) -> float:
        now = time.monotonic()
        self.level = max(0.0, self.level - (now - self.stamp) * self.decay)
        self.stamp = now
        return self.level


@dataclass
class KrakenLimits:
    """The counters and what they refused (`refused`: (api key or "public", endpoint) per refusal)."""

    max_counter: float = 15
    decay: float = 0.33
    order_threshold: float = 60
    order_decay: float = 1.0
    public_max: float = 10
    public_decay: float = 1.0
    refused: list[tuple[str, str]] = field(default_factory=list)
    peak: float = 0.0  # the highest REST counter any key reached
    _api: dict[str, _Decaying] = field(default_factory=dict)
    _orders: dict[tuple[str, str], _Decaying] = field(default_factory=dict)
    _public: _Decaying | None = None

    def check(self, kind: str, name: str, key: str, params: dict[str, str], standin: Any) -> str | None:
        """The Kraken error for this call if a counter refuses it, else None (and the call is counted)."""
        if kind == "public":
            if self._public is None:
                self._public = _Decaying(self.public_max, self.public_decay)
            return self._charge(self._public, 1, key="public", name=name, error="EGeneral:Too many requests")
        if name == "AddOrder" and not params.get("validate"):
            pair = standin._pair_id(params.get("pair")) if params.get("pair") else "?"
            counter = self._orders.setdefault((key, pair), _Decaying(self.order_threshold, self.order_decay))
            return self._charge(counter, 1, key=key, name=name, error="EOrder:Rate limit exceeded")
        if name == "CancelOrder":
            found = [o for txid, o in standin.orders.items() if o["status"] == "open" and (
                txid == params.get("txid") or (params.get("cl_ord_id") and o["cl_ord_id"] == params["cl_ord_id"]))]
            if found:
                age = standin.now() - found[0]["opentm"]
                penalty = next((p for below, p in _CANCEL if age < below), 0)
                counter = self._orders.setdefault((key, found[0]["pair"]),
                                                  _Decaying(self.order_threshold, self.order_decay))
                counter.level = counter.now_level() + penalty  # cancels are never refused
            return None
        counter = self._api.setdefault(key, _Decaying(self.max_counter, self.decay))
        cost = 2 if name in ("Ledgers", "TradesHistory") else 1
        error = self._charge(counter, cost, key=key, name=name, error="EAPI:Rate limit exceeded")
        self.peak = max(self.peak, counter.level)
        return error

    def _charge(self, counter: _Decaying, cost: float, *, key: str, name: str, error: str) -> str | None:
        if counter.now_level() + cost > counter.maximum:
            self.refused.append((key, name))
            return error
        counter.level += cost
        return None
