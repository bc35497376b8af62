"""Kraken's rate limits as Kraken counts them, shared by every Kraken client of the process.

Kraken keeps, per API key, a REST "API counter": every private call adds 1 (Ledgers and TradesHistory add 2),
the counter decays by a fixed amount per second, and a call that would take it past the tier's maximum is
refused with "EAPI:Rate limit exceeded". AddOrder and CancelOrder do not touch that counter: they count on the
trading engine's separate per-pair counter (AddOrder +1; cancelling an order adds a penalty that is larger the
younger the order is, +8 under 5 s), which refuses new orders past the tier's threshold. Public calls are
limited per address (about one a second); they are counted apart from the private ones.

    tier         API counter max   decay/s   order threshold   order decay/s
    starter      15                0.33      60                1
    intermediate 20                0.5       125               2.34
    pro          20                1         180               3.75

KrakenLimiter counts a request just before it is sent: a caller whose call does not fit waits (asyncio.sleep)
until the counter has decayed enough and checks again; a wait beyond `max_wait` in all is refused
(RateLimitWaitError, nothing is sent). Cancels never wait (they protect money); their penalty is counted. The
parts are shared by address and key (`limiter_for`): the autopilot, chat, the reconcilers and the fill watcher
all go through one counter, so together they stay under Kraken's limit. Only counts live here; no lock, so
one limiter works from any event loop.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trading.errors import ConfigError, RateLimitWaitError


@dataclass(frozen=True, slots=True)
class Tier:
    """One Kraken verification tier's limits (see the module docstring)."""

    name: str
    max_counter: float
    decay: float  # API counter units per second
    order_threshold: float
    order_decay: float  # trading-engine counter units per second, per pair


TIERS: dict[str, Tier] = {
    "starter": Tier("starter", 15, 0.33, 60, 1.0),
    "intermediate": Tier("intermediate", 20, 0.5, 125, 2.34),
    "pro": Tier("pro", 20, 1.0, 180, 3.75),
}
DEFAULT_TIER = "starter"
PUBLIC_MAX, PUBLIC_DECAY = 10.0, 1.0  # public calls: a small burst, then about one a second
HISTORY_CALLS = frozenset({"Ledgers", "TradesHistory"})  # cost 2 on the API counter
ENGINE_CALLS = frozenset({"AddOrder", "CancelOrder"})  # on the per-pair trading-engine counter instead
# Kraken's cancel penalty by the order's age in seconds: under 5 s +8, under 10 s +6, ... over 300 s nothing.
CANCEL_PENALTY = ((5, 8), (10, 6), (15, 5), (45, 4), (90, 2), (300, 1))
MAX_WAIT = 30.0  # seconds a caller may wait for headroom before the call is refused
MARGIN = 1.0  # counter units kept free: Kraken's clock and ours are not the same clock
_REMEMBERED = 5000  # orders whose pair and age we remember (for cancel penalties)


def tier_named(name: str | Tier | None) -> Tier:
    """The tier for ZYN_KRAKEN_TIER's value (starter, intermediate, pro); a Tier passes through."""
    if isinstance(name, Tier):
        return name
    key = (name or DEFAULT_TIER).strip().lower()
    if key not in TIERS:
        raise ConfigError(f"unknown Kraken tier '{name}': use starter, intermediate or pro")
    return TIERS[key]


def cancel_penalty(age_seconds: float | None) -> int:
    """What cancelling an order of this age adds to its pair's counter (unknown age: the worst case, +8)."""
    if age_seconds is None:
        return CANCEL_PENALTY[0][1]
    for below, penalty in CANCEL_PENALTY:
        if age_seconds < below:
            return penalty
    return 0


class Counter:
    """A counter that decays linearly; wait_for() says how long until a cost fits, add() counts it."""

    def __init__(self, maximum: float, decay: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.maximum, self.decay, self._clock = float(maximum), float(decay), clock
        self._level, self._stamp = 0.0, clock()

    def level(self) -> float:
        """The counter now (a cancel's penalty can take the order counter above its threshold)."""
        now = self._clock()
        self._level = max(0.0, self._level - (now - self._stamp) * self.decay)
        self._stamp = now
        return self._level

    def wait_for(self, cost: float, margin: float = 0.0) -> float:
        """Seconds until `cost` more fits under the maximum less `margin` (0: fits now), if nothing else is added."""
        over = self.level() + cost - (self.maximum - margin)
        return max(0.0, over / self.decay) if self.decay > 0 else (0.0 if over <= 0 else float("inf"))

    def add(self, cost: float) -> None:
        """Count `cost` now (it decays from now on)."""
        self._level = self.level() + cost



class _Account:
    """The per-key parts: the API counter, the per-pair order counters, and the orders we know the age of."""

    def __init__(self, tier: Tier, clock: Callable[[], float]) -> None:
        self.tier, self._clock = tier, clock
        self.api = Counter(tier.max_counter, tier.decay, clock)
        self.orders: dict[str, Counter] = {}
        self.known: OrderedDict[str, tuple[str, float]] = OrderedDict()  # txid / cl_ord_id -> (pair, wall time)

    def pair(self, pair: str) -> Counter:
        if pair not in self.orders:
            self.orders[pair] = Counter(self.tier.order_threshold, self.tier.order_decay, self._clock)
        return self.orders[pair]

    def remember(self, key: str, pair: str, opened: float) -> None:
        self.known[key] = (pair, opened)
        self.known.move_to_end(key)
        while len(self.known) > _REMEMBERED:
            self.known.popitem(last=False)


@dataclass
class KrakenLimiter:
    """What one Kraken client counts against: the address's public counter and its key's private parts."""

    tier: Tier
    public: Counter
    account: _Account | None
    max_wait: float = MAX_WAIT
    margin: float = MARGIN
    sleep: Callable[[float], Any] | None = None  # awaited with the wait (asyncio.sleep by default)
    waited: float = 0.0  # seconds this limiter's callers spent waiting in total (doctor, benchmarks)

    async def before(self, api: str, path: str, params: dict[str, Any]) -> None:
        """Wait until this request fits Kraken's counters, and count it; RateLimitWaitError when too long."""
        counter, cost = self._where(api, path, params)
        if counter is None:
            return
        if path == "CancelOrder":  # never delayed: a cancel takes risk off; its penalty is counted
            counter.add(cost)
            return
        import asyncio

        sleep = self.sleep or asyncio.sleep
        waited = 0.0
        while True:  # no reservation: a cancel's penalty, counted at once, can push everyone waiting back
            wait = counter.wait_for(cost, self.margin)
            if wait <= 0:
                counter.add(cost)
                return
            if waited + wait > self.max_wait:
                raise RateLimitWaitError(
                    f"Kraken's rate limit ({self.tier.name} tier) would hold this {path} call {waited + wait:.0f} s, "
                    f"more than the {self.max_wait:.0f} s allowed: too many Kraken calls at once; nothing was sent, "
                    "try again in a minute")
            wait += 0.001
            waited += wait
            self.waited += wait
            await sleep(wait)

    def _where(self, api: str, path: str, params: dict[str, Any]) -> tuple[Counter | None, float]:
        if api == "public":
            return self.public, 1.0
        if self.account is None:
            return None, 0.0
        if path == "AddOrder":
            if str(params.get("validate", "")).lower() == "true":
                return self.account.api, 1.0  # a validation places nothing; Kraken counts it as a plain call
            return self.account.pair(str(params.get("pair", "?"))), 1.0
        if path == "CancelOrder":
            key = str(params.get("txid") or params.get("cl_ord_id") or "")
            pair, opened = self.account.known.get(key, ("?", None))
            age = None if opened is None else max(0.0, time.time() - opened)
            return self.account.pair(pair), float(cancel_penalty(age))
        return self.account.api, 2.0 if path in HISTORY_CALLS else 1.0

    def after(self, path: str, params: dict[str, Any], response: Any, alias: Callable[[str], str]) -> None:
        """Learn each order's pair and age from Kraken's answers (AddOrder, OpenOrders, QueryOrders, ClosedOrders),
        so a cancel is charged to its pair with its real penalty. `alias` maps an altname (XBTUSD) to a pair id."""
        if self.account is None or not isinstance(response, dict):
            return
        result = response.get("result")
        if not isinstance(result, dict):
            return
        if path == "AddOrder" and params.get("pair") and str(params.get("validate", "")).lower() != "true":
            now = time.time()
            for key in [*(result.get("txid") or []), params.get("cl_ord_id")]:
                if key:
                    self.account.remember(str(key), str(params["pair"]), now)
            return
        rows = result.get("open") if path == "OpenOrders" else result.get("closed") if path == "ClosedOrders" \
            else result if path == "QueryOrders" else None
        if not isinstance(rows, dict):
            return
        for txid, row in rows.items():
            if not isinstance(row, dict) or row.get("status") not in (None, "open", "pending"):
                continue
            pair = alias(str((row.get("descr") or {}).get("pair") or ""))
            try:
                opened = float(row.get("opentm") or 0) or None
            except (TypeError, ValueError):
                opened = None
            if pair and opened:  # what we placed ourselves we timed ourselves: kept as it is
                for key in (str(txid), str(row.get("cl_ord_id") or "")):
                    if key and key not in self.account.known:
                        self.account.remember(key, pair, opened)

    def snapshot(self) -> dict[str, Any]:
        """The counters as this process counts them now (for `zyn doctor` and the service's status file)."""
        out: dict[str, Any] = {"tier": self.tier.name, "public": round(self.public.level(), 2),
                               "public_max": self.public.maximum, "waited_s": round(self.waited, 2)}
        if self.account is not None:
            out.update(api=round(self.account.api.level(), 2), api_max=self.tier.max_counter, decay=self.tier.decay,
                       order_threshold=self.tier.order_threshold,
                       orders={pair: round(c.level(), 2) for pair, c in self.account.orders.items() if c.level() > 0})
        return out


_PUBLIC: dict[str, Counter] = {}
_ACCOUNTS: dict[tuple[str, str, Tier], _Account] = {}


def limiter_for(api_url: str | None, api_key: str | None, tier: str | Tier | None = None, *,
                max_wait: float = MAX_WAIT, clock: Callable[[], float] = time.monotonic) -> KrakenLimiter:
    """A limiter on the process-wide counters of this address (public) and this key (private).

    Every client built for the same address and key shares the same counters. The key is kept only as a hash.
    """
    where = (api_url or "https://api.kraken.com").rstrip("/")
    chosen = tier_named(tier)
    public = _PUBLIC.setdefault(where, Counter(PUBLIC_MAX, PUBLIC_DECAY, clock))
    account = None
    if api_key:
        key = (where, hashlib.sha256(api_key.encode()).hexdigest()[:16], chosen)
        account = _ACCOUNTS.get(key)
        if account is None:
            account = _ACCOUNTS[key] = _Account(chosen, clock)
    return KrakenLimiter(chosen, public, account, max_wait=max_wait)


def limited_kraken(config: dict[str, Any], limiter: KrakenLimiter) -> Any:
    """A ccxt kraken instance whose every HTTP request first goes through `limiter` (ccxt's own limiter off)."""
    import ccxt.async_support as ccxt_async

    class LimitedKraken(ccxt_async.kraken):  # type: ignore[misc, name-defined]
        async def fetch2(self, path: str, api: Any = "public", method: str = "GET", params: Any = None,
                         *args: Any, **kwargs: Any) -> Any:
            kind = api if isinstance(api, str) else (api[0] if api else "public")
            plain = params if isinstance(params, dict) else {}
            await limiter.before(kind, path, plain)
            response = await super().fetch2(path, api, method, params if params is not None else {}, *args, **kwargs)
            limiter.after(path, plain, response, self._pair_id_of)
            return response

        def _pair_id_of(self, altname: str) -> str:
            market = (self.options.get("marketsByAltname") or {}).get(altname)
            return str(market["id"]) if isinstance(market, dict) and market.get("id") else altname

    return LimitedKraken({**config, "enableRateLimit": False})
