"""A strict local Kraken REST stand-in (aiohttp on 127.0.0.1) that real ccxt talks to over real HTTP.

    async with KrakenStandin(api_key="k", api_secret=SECRET) as k:
        exchange = KrakenExchange("k", SECRET, api_url=k.url)

Strict: unknown paths answer 404 with a Kraken error, unknown parameters answer
"EGeneral:Invalid arguments", private calls must carry a valid API-Key/API-Sign and an increasing
nonce. Kraken's rate-limit counters are enforced when `limits` is set (tests/standins/kraken_limits.py).
Knobs: set_price, set_balance, set_candles, set_trades (a tape of public trades that Trades pages by `since`
and `last` and OHLC aggregates), trades_fail_after, fail_next, delay_next, book_late_next, drop_next,
forbid_private, skip_closes; for resting
orders move_price (fills what the new price crosses), fill_order (e.g. a partial fill) and
expire_order. Every request is recorded in `requests` as (method, path, params), private ones
without their nonce.

Post-only (oflags=post, limit orders only): refused with "EOrder:Post only order" when it would take liquidity (a
buy at or above the ask, a sell at or below the bid); resting, it fills as a maker (the pair's maker fee, the
trade's "maker": true), and its oflags say "post". `post_only_cancels = True` takes it and cancels it at once
instead (status canceled, reason "Post only order"), the other way Kraken answers such an order.

Conditional closes (close[ordertype]/close[price]) are opened as a separate order for each execution
of the parent, sized to that execution, with `refid` = the parent's txid (Kraken's "referral order
transaction id that created this order"). Open orders hold funds, trigger orders included.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import contextlib
import hashlib
import hmac
import json
import random
import re
import time
from collections import defaultdict, deque
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.standins.kraken_limits import KrakenLimits

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kraken"
DEFAULT_KEY = "zyn-standin-key"
DEFAULT_SECRET = base64.b64encode(b"zyn stand-in secret, not a real one!").decode()
_INTERVALS = {1, 5, 15, 30, 60, 240, 1440, 10080, 21600}
_ORDER_TYPES = {"market", "limit", "stop-loss", "take-profit"}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_PUBLIC = {"Assets": {"asset", "aclass"}, "AssetPairs": {"pair", "info", "country_code"},
           "Ticker": {"pair"}, "OHLC": {"pair", "interval", "since"}, "Time": set(),
           "Trades": {"pair", "since", "count"}}
_PRIVATE = {
    "BalanceEx": set(),
    "AddOrder": {"pair", "type", "ordertype", "volume", "price", "price2", "cl_ord_id", "userref", "validate",
                 "oflags", "timeinforce", "close[ordertype]", "close[price]", "close[price2]"},
    "CancelOrder": {"txid", "cl_ord_id"},
    "CancelAll": set(),
    "OpenOrders": {"trades", "userref", "cl_ord_id"},
    "ClosedOrders": {"trades", "userref", "cl_ord_id", "start", "end", "ofs", "closetime", "consolidate_taker"},
    "QueryOrders": {"trades", "userref", "txid", "consolidate_taker"},
    "TradesHistory": {"type", "trades", "start", "end", "ofs", "consolidate_taker"},
    "Withdraw": {"asset", "key", "amount", "address", "max_fee"},
    "AddExport": {"report", "format", "description", "fields", "starttm", "endtm"},
}


class KrakenError(Exception):
    """A Kraken error string such as "EOrder:Insufficient funds"."""


def _load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def _fmt(value: Decimal, places: int) -> str:
    return f"{value:.{places}f}"


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1", "yes")


def _dec(value: str | None, name: str, places: int | None = None) -> Decimal:
    try:
        result = Decimal(value or "")
    except InvalidOperation:
        raise KrakenError(f"EGeneral:Invalid arguments:{name}") from None
    if not result.is_finite() or result <= 0:
        raise KrakenError(f"EGeneral:Invalid arguments:{name}")
    if places is not None and -result.normalize().as_tuple().exponent > places:
        raise KrakenError(f"EGeneral:Invalid arguments:{name}")
    return result


class KrakenStandin:
    """In-memory Kraken: markets from fixtures, balances, orders (market orders fill at once), trades."""

    def __init__(self, api_key: str = DEFAULT_KEY, api_secret: str = DEFAULT_SECRET, *,
                 now: datetime | None = None, balances: dict[str, str] | None = None) -> None:
        self.api_key, self.api_secret = api_key, api_secret
        self.pairs = _load("asset_pairs.json")
        self.assets = _load("assets.json")
        self._ticker = _load("ticker.json")
        self.prices = {pid: {"bid": Decimal(t["b"][0]), "ask": Decimal(t["a"][0]), "last": Decimal(t["c"][0])}
                       for pid, t in self._ticker.items()}
        start = {"ZUSD": "10000", "XXBT": "0.5", "XETH": "2", "SOL": "0"} if balances is None else balances
        self.balances = {asset: Decimal(v) for asset, v in start.items()}
        self.orders: dict[str, dict[str, Any]] = {}
        self.trades: dict[str, dict[str, Any]] = {}
        self.candles: dict[str, list[list[Any]]] = {}
        self.withdraw_keys = {"my-cold-wallet"}
        self.withdrawals: list[dict[str, Any]] = []
        self.exports: list[dict[str, str]] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.forbid_private = False
        self.private_violations: list[tuple[str, str, dict[str, str]]] = []
        self.limits: KrakenLimits | None = None  # Kraken's rate-limit counters, enforced when set (kraken_limits)
        self.skip_closes = 0  # the next N executions open no conditional close (Kraken could not place it)
        self.post_only_cancels = False  # a post-only order that would take: booked and cancelled, not refused
        self._fail: dict[str, deque[str]] = defaultdict(deque)
        self._delay: dict[str, deque[float]] = defaultdict(deque)
        self._late: dict[str, deque[float]] = defaultdict(deque)
        self._drop: dict[str, deque[float]] = defaultdict(deque)
        self._last_nonce = 0
        self._base_time = now.timestamp() if now is not None else None
        self._mono = time.monotonic()
        self._rng = random.Random(7)
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- knobs ------------------------------------------------------------------------------

    def set_price(self, pair_id: str, bid: str | Decimal, ask: str | Decimal, last: str | Decimal | None = None) -> None:
        """Set the book top (and last trade) that tickers show and market orders fill at."""
        self.prices[pair_id] = {"bid": Decimal(bid), "ask": Decimal(ask), "last": Decimal(last or bid)}

    def set_balance(self, asset_id: str, amount: str | Decimal) -> None:
        """Set an asset's total balance, by Kraken asset id (ZUSD, XXBT)."""
        self.balances[asset_id] = Decimal(amount)

    def add_market(self, pair_id: str, base: str, quote: str = "ZUSD", *, last: str = "1.0", volume: str = "1000",
                   status: str = "online", like: str = "SOLUSD") -> None:
        """List one more spot pair (its rules copied from `like`), with its price and 24h base volume (its VWAP
        is the last price, so ccxt's 24h quote volume is volume x last). status: Kraken's (online, cancel_only...)."""
        pair = dict(self.pairs[like])
        pair.update(altname=pair_id, wsname=f"{base}/{quote.removeprefix('Z')}", base=base, quote=quote, status=status)
        self.pairs[pair_id] = pair
        self.assets.setdefault(base, dict(self.assets.get("SOL") or next(iter(self.assets.values())), altname=base))
        self.prices[pair_id] = {"bid": Decimal(last), "ask": Decimal(last), "last": Decimal(last)}
        tick = dict(self._ticker[like])
        tick.update(v=[volume, volume], p=[last, last])
        self._ticker[pair_id] = tick

    def advance(self, seconds: float) -> None:
        """Move the stand-in's time on (a stand-in started with a fixed `now`), as a test's clock moves."""
        self._base_time = (self._base_time if self._base_time is not None else time.time()) + seconds

    def set_volume(self, pair_id: str, volume: str) -> None:
        """The 24h base volume the ticker shows for a pair (its quote volume: volume x the 24h VWAP)."""
        self._ticker[pair_id] = dict(self._ticker[pair_id], v=[volume, volume])

    def set_candles(self, pair_id: str, rows: list[list[Any]]) -> None:
        """Serve these OHLC rows ([ts_s, o, h, l, c, vwap, volume, count]) instead of generated ones."""
        self.candles[pair_id] = rows

    def fail_next(self, path: str, error: str) -> None:
        """Answer the next call of path ("AddOrder" or "/0/private/AddOrder") with this Kraken error."""
        self._fail[path.rsplit("/", 1)[-1]].append(error)

    def delay_next(self, path: str, seconds: float) -> None:
        """Apply the next call of path at once but answer only after `seconds` (provokes client timeouts)."""
        self._delay[path.rsplit("/", 1)[-1]].append(seconds)

    def book_late_next(self, path: str, seconds: float) -> None:
        """Hold the next call of path for `seconds`, then apply it (the client has given up and looked meanwhile)."""
        self._late[path.rsplit("/", 1)[-1]].append(seconds)

    def drop_next(self, path: str, seconds: float) -> None:
        """Hold the next call of path for `seconds` and never apply it (a request lost before Kraken booked it)."""
        self._drop[path.rsplit("/", 1)[-1]].append(seconds)

    def move_price(self, pair_id: str, bid: str | Decimal, ask: str | Decimal, last: str | Decimal | None = None) -> None:
        """set_price, then fill every resting order of the pair that the new price crosses (oldest first).

        Limits fill at their price when the touch reaches them; stop-loss and take-profit orders
        trigger on the last price and fill at the touch, as Kraken's market-on-trigger orders do.
        """
        self.set_price(pair_id, bid, ask, last)
        p = self.prices[pair_id]
        resting = sorted(((t, o) for t, o in self.orders.items() if o["pair"] == pair_id and o["status"] == "open"),
                         key=lambda item: item[1]["opentm"])
        for txid, o in resting:
            buy, kind, level = o["type"] == "buy", o["ordertype"], o["price"]
            if kind == "limit" and (p["ask"] <= level if buy else p["bid"] >= level):
                self._fill(txid, level)
            elif kind == "stop-loss" and (p["last"] >= level if buy else p["last"] <= level):
                self._fill(txid, p["ask" if buy else "bid"])
            elif kind == "take-profit" and (p["last"] <= level if buy else p["last"] >= level):
                self._fill(txid, p["ask" if buy else "bid"])

    def fill_order(self, txid: str, volume: str | Decimal | None = None, price: str | Decimal | None = None) -> None:
        """Execute (part of) a resting order now: `volume` of it (default: the rest) at `price` (default: its own)."""
        o = self.orders[txid]
        self._fill(txid, Decimal(price) if price is not None else o["price"], Decimal(volume) if volume else None)

    def expire_order(self, txid: str) -> None:
        """Kraken ends an open order by itself (expiretm reached): status expired, whatever is filled stays."""
        self.orders[txid].update(status="expired", reason="Order expired", closetm=self.now())

    def calls(self, name: str) -> list[dict[str, str]]:
        """Parameters of every recorded request to the endpoint `name` ("AddOrder")."""
        return [params for _m, path, params in self.requests if path.rsplit("/", 1)[-1] == name]

    def now(self) -> float:
        """Stand-in time in epoch seconds (a fixed start, if given, that still moves forward)."""
        if self._base_time is None:
            return time.time()
        return self._base_time + (time.monotonic() - self._mono)

    # --- server -----------------------------------------------------------------------------

    async def __aenter__(self) -> KrakenStandin:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, exc_type: object, *_: object) -> None:
        self._closing.set()  # wake delayed handlers so shutdown is quick
        if self._runner is not None:
            await self._runner.cleanup()
        if exc_type is None and self.private_violations:
            raise AssertionError(f"private Kraken endpoints were called: {self.private_violations}")

    def _json(self, payload: dict[str, Any], status: int = 200) -> web.Response:
        # Exactly "application/json": some clients reject a charset suffix.
        return web.Response(status=status, body=json.dumps(payload).encode(),
                            headers={"Content-Type": "application/json"})

    async def _handle(self, request: web.Request) -> web.Response:
        text = (await request.read()).decode()
        if request.method == "GET":
            params = dict(request.query)
        else:
            params = dict(parse_qsl(text, keep_blank_values=True))
        path = request.path
        self.requests.append((request.method, path, params))
        parts = path.split("/")
        if len(parts) != 4 or parts[1] != "0" or parts[2] not in ("public", "private"):
            return self._json({"error": ["EGeneral:Unknown method"]}, status=404)
        kind, name = parts[2], parts[3]
        table = _PUBLIC if kind == "public" else _PRIVATE
        if name not in table:
            return self._json({"error": ["EGeneral:Unknown method"]}, status=404)
        try:
            if kind == "private":
                if self.forbid_private:
                    self.private_violations.append((request.method, path, params))
                    raise KrakenError("EGeneral:Permission denied")
                self._authenticate(request, path, text, params)
                params.pop("nonce")
            elif request.method != "GET":
                raise KrakenError("EGeneral:Invalid arguments")
            unknown = set(params) - table[name]
            if unknown:
                raise KrakenError(f"EGeneral:Invalid arguments:{sorted(unknown)[0]}")
            refused = self.limits and self.limits.check(kind, name, request.headers.get("API-Key", ""), params, self)
            if refused:
                raise KrakenError(refused)
            if self._fail[name]:
                raise KrakenError(self._fail[name].popleft())
            if self._drop[name]:  # lost: the client times out, Kraken never books it
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), timeout=self._drop[name].popleft())
                raise KrakenError("EService:Unavailable")
            if self._late[name]:  # booked late: after the client's timeout and its first lookups
                await asyncio.sleep(self._late[name].popleft())
            payload = {"error": [], "result": getattr(self, f"_{name}")(params)}
        except KrakenError as exc:
            payload = {"error": [str(exc)]}
        if self._delay[name]:
            try:
                await asyncio.wait_for(self._closing.wait(), timeout=self._delay[name].popleft())
            except TimeoutError:
                pass
        return self._json(payload)

    def _authenticate(self, request: web.Request, path: str, body: str, params: dict[str, str]) -> None:
        nonce = params.get("nonce", "")
        if request.headers.get("API-Key") != self.api_key or not nonce:
            raise KrakenError("EAPI:Invalid key")
        if not request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            raise KrakenError("EGeneral:Invalid arguments")
        digest = hashlib.sha256((nonce + body).encode()).digest()
        mac = hmac.new(base64.b64decode(self.api_secret), path.encode() + digest, hashlib.sha512)
        if not hmac.compare_digest(base64.b64encode(mac.digest()).decode(), request.headers.get("API-Sign", "")):
            raise KrakenError("EAPI:Invalid key")
        if not nonce.isdigit() or int(nonce) <= self._last_nonce:
            raise KrakenError("EAPI:Invalid nonce")
        self._last_nonce = int(nonce)

    # --- public -----------------------------------------------------------------------------

    def _pair_id(self, name: str | None) -> str:
        for pid, pair in self.pairs.items():
            if name in (pid, pair["altname"]):
                return pid
        raise KrakenError("EQuery:Unknown asset pair")

    def _Time(self, params: dict[str, str]) -> dict[str, Any]:
        now = int(self.now())
        return {"unixtime": now, "rfc1123": time.strftime("%a, %d %b %y %H:%M:%S +0000", time.gmtime(now))}

    def _Assets(self, params: dict[str, str]) -> dict[str, Any]:
        wanted = set(params["asset"].split(",")) if params.get("asset") else None
        return {a: v for a, v in self.assets.items() if wanted is None or a in wanted}

    def _AssetPairs(self, params: dict[str, str]) -> dict[str, Any]:
        if not params.get("pair"):
            return self.pairs
        return {pid: self.pairs[pid] for pid in (self._pair_id(n) for n in params["pair"].split(","))}

    def _Ticker(self, params: dict[str, str]) -> dict[str, Any]:
        if not params.get("pair"):
            raise KrakenError("EGeneral:Invalid arguments:pair")
        result = {}
        for pid in (self._pair_id(n) for n in params["pair"].split(",")):
            places, p = int(self.pairs[pid]["pair_decimals"]), self.prices[pid]
            tick = dict(self._ticker.get(pid) or next(iter(self._ticker.values())))
            tick["a"] = [_fmt(p["ask"], places), "1", "1.000"]
            tick["b"] = [_fmt(p["bid"], places), "1", "1.000"]
            tick["c"] = [_fmt(p["last"], places), "0.00100000"]
            result[pid] = tick
        return result

    def _OHLC(self, params: dict[str, str]) -> dict[str, Any]:
        pid = self._pair_id(params.get("pair"))
        interval = int(params.get("interval") or 1)
        if interval not in _INTERVALS:
            raise KrakenError("EGeneral:Invalid arguments:interval")
        rows = self.candles.get(pid) or self._tape_candles(pid, interval * 60) or self._generated(pid, interval * 60)
        since = int(Decimal(params["since"])) if params.get("since") else None
        rows = [r for r in rows if since is None or r[0] >= since][-720:]
        return {pid: rows, "last": rows[-2][0] if len(rows) > 1 else (rows[0][0] if rows else 0)}

    def _generated(self, pid: str, span: int) -> list[list[Any]]:
        """Thirty deterministic candles, the last one the period containing now (still forming)."""
        places, last = int(self.pairs[pid]["pair_decimals"]), self.prices[pid]["last"]
        end = int(self.now()) // span * span
        rows = []
        for i in range(30):
            mid = last * (1 + Decimal(i - 29) / 1000)
            o, c = mid, mid * Decimal("1.001")
            rows.append([end - (29 - i) * span, _fmt(o, places), _fmt(c * Decimal("1.001"), places),
                         _fmt(o * Decimal("0.999"), places), _fmt(c, places), _fmt(mid, places), "1.00000000", 10])
        return rows

    # --- public: the trade tape (Trades, and the OHLC built from it) -------------------------

    tapes: dict[str, list[tuple[int, str, str, str, str]]] | None = None  # pair id -> trades, set_trades
    trades_fail_after: int | None = None  # answer Trades with "EService:Unavailable" once this many pages are served
    trades_pages = 0  # Trades pages served

    def set_trades(self, pair_id: str, tape: list[tuple[int, str, str, str, str]]) -> None:
        """Public trades of a pair, (time_ns, price, volume, "b"/"s", "m"/"l") oldest first; trade ids are 1, 2...

        Trades pages them (only those up to the stand-in's now); OHLC aggregates them (unless set_candles).
        """
        times = [t[0] for t in tape]
        if times != sorted(times):
            raise ValueError("the trade tape must be in time order")
        self.tapes = {**(self.tapes or {}), pair_id: list(tape)}

    def _tape(self, pid: str) -> list[tuple[int, str, str, str, str]]:
        now_ns = int(self.now() * 1e9)
        tape = (self.tapes or {}).get(pid, [])
        return tape[:bisect.bisect_right([t[0] for t in tape], now_ns)]

    def _Trades(self, params: dict[str, str]) -> dict[str, Any]:
        """Kraken's public trades: at most `count` (1000) after `since` (ns, or s), each [price, volume, time, side,
        type, misc, trade_id]; `last` (ns, a string) is the `since` of the next page."""
        pid = self._pair_id(params.get("pair"))
        try:
            count = int(params.get("count") or 1000)
            since = int(Decimal(params["since"])) if params.get("since") else None
        except (ValueError, InvalidOperation):
            raise KrakenError("EGeneral:Invalid arguments") from None
        if not 1 <= count <= 1000:
            raise KrakenError("EGeneral:Invalid arguments:count")
        if self.trades_fail_after is not None and self.trades_pages >= self.trades_fail_after:
            raise KrakenError("EService:Unavailable")
        self.trades_pages += 1
        tape = self._tape(pid)
        if since is None:
            first = max(len(tape) - count, 0)
        else:
            since_ns = since * 1_000_000_000 if since < 10**12 else since
            first = bisect.bisect_right([t[0] for t in tape], since_ns)
        page = [(first + k + 1, t) for k, t in enumerate(tape[first:first + count])]
        rows = [[price, volume, float(Decimal(ns) / 1_000_000_000), side, kind, "", tid]
                for tid, (ns, price, volume, side, kind) in page]
        last = str(page[-1][1][0]) if page else str(since_ns if since is not None else 0)
        return {pid: rows, "last": last}

    def _tape_candles(self, pid: str, span: int) -> list[list[Any]]:
        """OHLC rows from the trade tape: one per period that had trades, and the forming period always last."""
        tape = self._tape(pid)
        if not tape:
            return []
        places = int(self.pairs[pid]["pair_decimals"])
        rows: list[list[Any]] = []
        for ns, price, volume, _side, _kind in tape:
            start, p, v = ns // 1_000_000_000 // span * span, Decimal(price), Decimal(volume)
            if rows and rows[-1][0] == start:
                r = rows[-1]
                r[2], r[3], r[4], r[6], r[7], r[8] = max(r[2], p), min(r[3], p), p, r[6] + v, r[7] + 1, r[8] + p * v
            else:
                rows.append([start, p, p, p, p, None, v, 1, p * v])
        current = int(self.now()) // span * span
        if rows[-1][0] != current:
            c = rows[-1][4]
            rows.append([current, c, c, c, c, None, Decimal(0), 0, Decimal(0)])
        return [[r[0], *(_fmt(x, places) for x in r[1:5]), _fmt(r[8] / r[6] if r[6] else r[4], places),
                 _fmt(r[6], 8), r[7]] for r in rows]

    # --- private: account and orders --------------------------------------------------------

    def _hold(self, asset: str) -> Decimal:
        held = Decimal(0)
        for o in self.orders.values():
            if o["status"] != "open":
                continue
            pair = self.pairs[o["pair"]]
            if o["type"] == "buy" and pair["quote"] == asset:
                held += (o["vol"] - o["vol_exec"]) * (o["price"] or self.prices[o["pair"]]["ask"])
            elif o["type"] == "sell" and pair["base"] == asset:
                held += o["vol"] - o["vol_exec"]
        return held

    def _BalanceEx(self, params: dict[str, str]) -> dict[str, Any]:
        return {a: {"balance": _fmt(v, int(self.assets.get(a, {}).get("decimals", 8))),
                    "hold_trade": _fmt(self._hold(a), int(self.assets.get(a, {}).get("decimals", 8)))}
                for a, v in self.balances.items()}

    def _new_id(self, prefix: str) -> str:
        chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
        part = lambda n: "".join(self._rng.choice(chars) for _ in range(n))  # noqa: E731
        return f"{prefix}{part(5)}-{part(5)}-{part(6)}"

    def _AddOrder(self, p: dict[str, str]) -> dict[str, Any]:
        pid = self._pair_id(p.get("pair"))
        pair = self.pairs[pid]
        side, kind = p.get("type"), p.get("ordertype")
        if side not in ("buy", "sell"):
            raise KrakenError("EGeneral:Invalid arguments:type")
        if kind not in _ORDER_TYPES:
            raise KrakenError("EGeneral:Invalid arguments:ordertype")
        vol = _dec(p.get("volume"), "volume", int(pair["lot_decimals"]))
        price = None if kind == "market" else self._price(p.get("price"), pair)
        cl_ord_id = p.get("cl_ord_id")
        if cl_ord_id is not None:
            if p.get("userref") or not (_UUID.match(cl_ord_id) or (len(cl_ord_id) <= 18 and cl_ord_id.isascii())):
                raise KrakenError("EGeneral:Invalid arguments:cl_ord_id")
        close = {k[6:-1]: v for k, v in p.items() if k.startswith("close[")}
        if close and (close.get("ordertype") not in _ORDER_TYPES - {"market"} or "price" not in close):
            raise KrakenError("EGeneral:Invalid arguments:close")
        if close:
            self._price(close["price"], pair)
        if vol < Decimal(pair["ordermin"]):
            raise KrakenError("EOrder:Order minimum not met")
        fill_at = self.prices[pid]["ask" if side == "buy" else "bid"]
        flags = set((p.get("oflags") or "").split(",")) - {""}
        if flags - {"post", "fciq", "fcib", "nompp"} or ("post" in flags and kind != "limit"):
            raise KrakenError("EGeneral:Invalid arguments:oflags")
        post = "post" in flags
        would_take = post and (price >= fill_at if side == "buy" else price <= fill_at)
        if would_take and not self.post_only_cancels:
            raise KrakenError("EOrder:Post only order")
        if vol * (price or fill_at) < Decimal(pair["costmin"]):
            raise KrakenError("EOrder:Cost minimum not met")
        if side == "buy":
            free, need = self.balances.get(pair["quote"], Decimal(0)) - self._hold(pair["quote"]), vol * (price or fill_at)
        else:
            free, need = self.balances.get(pair["base"], Decimal(0)) - self._hold(pair["base"]), vol
        if need > free:
            raise KrakenError("EOrder:Insufficient funds")
        order = self._new_order(pid, side, kind, vol, price, cl_ord_id, close)
        order["post"] = post
        descr = {"order": self._text(order)}
        if close:
            descr["close"] = self._close_text(close, pair)
        if _truthy(p.get("validate")):
            return {"descr": descr}
        txid = self._new_id("O")
        self.orders[txid] = order
        if would_take:  # post_only_cancels: booked, then cancelled at once
            order.update(status="canceled", reason="Post only order", closetm=self.now())
            return {"descr": descr, "txid": [txid]}
        marketable = kind == "market" or (kind == "limit" and (price >= fill_at if side == "buy" else price <= fill_at))
        if marketable:
            self._fill(txid, fill_at)
        return {"descr": descr, "txid": [txid]}

    def _new_order(self, pid: str, side: str, kind: str, vol: Decimal, price: Decimal | None,
                   cl_ord_id: str | None, close: dict[str, str], refid: str | None = None) -> dict[str, Any]:
        return {"pair": pid, "type": side, "ordertype": kind, "vol": vol, "vol_exec": Decimal(0), "price": price,
                "status": "open", "opentm": self.now(), "closetm": None, "cl_ord_id": cl_ord_id, "close": close,
                "cost": Decimal(0), "fee": Decimal(0), "avg": Decimal(0), "reason": None, "trades": [],
                "refid": refid}

    def _price(self, value: str | None, pair: dict[str, Any]) -> Decimal:
        places = int(pair["pair_decimals"])
        _dec(value, "price")  # a positive number at all
        try:
            return _dec(value, "price", places)
        except KrakenError:
            raise KrakenError(f"EOrder:Invalid price:{pair['altname']} price can only be specified up to "
                              f"{places} decimals.") from None

    def _fill(self, txid: str, price: Decimal, volume: Decimal | None = None) -> None:
        """Execute `volume` (default: the rest) at price (taker fee in quote), move balances, open a conditional close."""
        o = self.orders[txid]
        pair = self.pairs[o["pair"]]
        vol = o["vol"] - o["vol_exec"] if volume is None else min(volume, o["vol"] - o["vol_exec"])
        cost_places = int(pair["cost_decimals"])
        cost = vol * price
        maker = bool(o.get("post"))  # a post-only order only ever fills resting: a maker
        fee = (cost * Decimal(str(pair["fees_maker" if maker else "fees"][0][1])) / 100).quantize(
            Decimal(10) ** -cost_places)
        base, quote = pair["base"], pair["quote"]
        sign = 1 if o["type"] == "buy" else -1
        self.balances[base] = self.balances.get(base, Decimal(0)) + sign * vol
        self.balances[quote] = self.balances.get(quote, Decimal(0)) - sign * cost - fee
        tid = self._new_id("T")
        self.trades[tid] = {"ordertxid": txid, "postxid": self._new_id("T"), "pair": o["pair"], "time": self.now(),
                            "type": o["type"], "ordertype": o["ordertype"], "price": _fmt(price, int(pair["pair_decimals"])),
                            "cost": _fmt(cost, cost_places), "fee": _fmt(fee, cost_places),
                            "vol": _fmt(vol, 8), "margin": "0.00000", "leverage": "0", "misc": "",
                            "trade_id": len(self.trades) + 1, "maker": maker}
        executed = o["vol_exec"] + vol
        total_cost = o["cost"] + cost
        o.update(vol_exec=executed, cost=total_cost, fee=o["fee"] + fee, avg=total_cost / executed,
                 trades=[*o["trades"], tid])
        if executed == o["vol"]:
            o.update(status="closed", closetm=self.now())
        if o["close"] and self.skip_closes > 0:
            self.skip_closes -= 1
        elif o["close"]:  # Kraken opens the conditional close once (this part of) the entry has filled
            close, other = o["close"], "sell" if o["type"] == "buy" else "buy"
            self.orders[self._new_id("O")] = self._new_order(o["pair"], other, close["ordertype"], vol,
                                                             Decimal(close["price"]), None, {}, refid=txid)

    def _text(self, o: dict[str, Any]) -> str:
        pair = self.pairs[o["pair"]]
        head = f"{o['type']} {_fmt(o['vol'], 8)} {pair['altname']} @ "
        if o["ordertype"] == "market":
            return head + "market"
        return head + f"{o['ordertype'].replace('-', ' ')} {_fmt(o['price'], int(pair['pair_decimals']))}"

    def _close_text(self, close: dict[str, str], pair: dict[str, Any]) -> str:
        price = _fmt(Decimal(close["price"]), int(pair["pair_decimals"]))
        return f"close position @ {close['ordertype'].replace('-', ' ')} {price}"

    def _order_json(self, o: dict[str, Any], trades: bool) -> dict[str, Any]:
        pair = self.pairs[o["pair"]]
        places, cost_places = int(pair["pair_decimals"]), int(pair["cost_decimals"])
        data = {
            "refid": o.get("refid"), "userref": 0, "status": o["status"], "opentm": o["opentm"], "starttm": 0, "expiretm": 0,
            "descr": {"pair": pair["altname"], "type": o["type"], "ordertype": o["ordertype"],
                      "price": _fmt(o["price"] or Decimal(0), places), "price2": _fmt(Decimal(0), places),
                      "leverage": "none", "order": self._text(o),
                      "close": self._close_text(o["close"], pair) if o["close"] else ""},
            "vol": _fmt(o["vol"], 8), "vol_exec": _fmt(o["vol_exec"], 8), "cost": _fmt(o["cost"], cost_places),
            "fee": _fmt(o["fee"], cost_places), "price": _fmt(o["avg"], places), "stopprice": _fmt(Decimal(0), places),
            "limitprice": _fmt(Decimal(0), places), "misc": "", "oflags": "fciq,post" if o.get("post") else "fciq",
        }
        if o["cl_ord_id"] is not None:
            data["cl_ord_id"] = o["cl_ord_id"]
        if o["status"] != "open":
            data.update(closetm=o["closetm"], reason=o["reason"])
        if trades and o["trades"]:
            data["trades"] = list(o["trades"])
        return data

    def _select(self, p: dict[str, str], statuses: set[str]) -> list[tuple[str, dict[str, Any]]]:
        found = [(txid, o) for txid, o in self.orders.items() if o["status"] in statuses
                 and (not p.get("cl_ord_id") or o["cl_ord_id"] == p["cl_ord_id"])]
        return sorted(found, key=lambda item: item[1]["closetm"] or item[1]["opentm"], reverse=True)

    def _OpenOrders(self, p: dict[str, str]) -> dict[str, Any]:
        return {"open": {txid: self._order_json(o, _truthy(p.get("trades"))) for txid, o in self._select(p, {"open"})}}

    def _ClosedOrders(self, p: dict[str, str]) -> dict[str, Any]:
        found = self._select(p, {"closed", "canceled", "expired"})
        ofs = int(p.get("ofs") or 0)
        page = found[ofs:ofs + 50]
        return {"closed": {txid: self._order_json(o, _truthy(p.get("trades"))) for txid, o in page},
                "count": len(found)}

    def _QueryOrders(self, p: dict[str, str]) -> dict[str, Any]:
        if not p.get("txid"):
            raise KrakenError("EGeneral:Invalid arguments:txid")
        result = {}
        for txid in p["txid"].split(","):
            if txid not in self.orders:
                raise KrakenError("EOrder:Invalid order")
            result[txid] = self._order_json(self.orders[txid], _truthy(p.get("trades")))
        return result

    def _CancelOrder(self, p: dict[str, str]) -> dict[str, Any]:
        if bool(p.get("txid")) == bool(p.get("cl_ord_id")):
            raise KrakenError("EGeneral:Invalid arguments")
        for txid, o in self.orders.items():
            if o["status"] == "open" and (txid == p.get("txid") or (p.get("cl_ord_id") and o["cl_ord_id"] == p["cl_ord_id"])):
                o.update(status="canceled", reason="User requested", closetm=self.now())
                return {"count": 1}
        raise KrakenError("EOrder:Unknown order")

    def _CancelAll(self, p: dict[str, str]) -> dict[str, Any]:
        working = [o for o in self.orders.values() if o["status"] == "open"]
        for o in working:
            o.update(status="canceled", reason="User requested", closetm=self.now())
        return {"count": len(working)}

    def _TradesHistory(self, p: dict[str, str]) -> dict[str, Any]:
        start, end = Decimal(p.get("start") or 0), Decimal(p.get("end") or 10**12)
        found = sorted(((tid, t) for tid, t in self.trades.items() if start < Decimal(str(t["time"])) <= end),
                       key=lambda item: item[1]["time"], reverse=True)
        ofs = int(p.get("ofs") or 0)
        return {"trades": dict(found[ofs:ofs + 50]), "count": len(found)}

    def _Withdraw(self, p: dict[str, str]) -> dict[str, Any]:
        if p.get("key") not in self.withdraw_keys:
            raise KrakenError("EFunding:Unknown withdraw key")
        asset, amount = p.get("asset", ""), _dec(p.get("amount"), "amount")
        if asset not in self.balances or self.balances[asset] - self._hold(asset) < amount:
            raise KrakenError("EFunding:Insufficient funds")
        self.balances[asset] -= amount
        refid = self._new_id("A")
        self.withdrawals.append({"refid": refid, "asset": asset, "amount": amount, "key": p["key"]})
        return {"refid": refid}

    def _AddExport(self, p: dict[str, str]) -> dict[str, Any]:
        if p.get("report") not in ("trades", "ledgers") or not p.get("description"):
            raise KrakenError("EGeneral:Invalid arguments")
        export_id = "".join(self._rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
        self.exports.append({"id": export_id, **p})
        return {"id": export_id}
