"""Kraken through ccxt.async_support: the LIVE account adapter and the key-less public-data feed.

ccxt is imported lazily, on the first call, so that importing this module or building an adapter
costs the CLI nothing.
Every ccxt call is translated into Zyn errors (kraken_errors) and every payload into domain types
(kraken_convert). Transient failures are retried with exponential backoff; refusals never are.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from loguru import logger
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from trading.clock import Clock, SystemClock, to_ms
from trading.domain import (
    Balance,
    Bracket,
    BracketRequest,
    BracketStatus,
    Candle,
    Fill,
    Market,
    Mode,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Ticker,
)
from trading.errors import (
    AuthenticationError,
    ConfigError,
    ExchangeError,
    InputError,
    InsufficientFundsError,
    InvalidOrderError,
    NetworkError,
    OrderNotFoundError,
    OrderOutcomeUnknownError,
    PermissionDeniedError,
    PostOnlyRejectedError,
    RequestTimeoutError,
    TransientError,
    ZynError,
)
from trading.exchange.kraken import convert as conv
from trading.exchange.kraken.checks import _check_bracket, _check_order  # noqa: F401 - journal imports them here
from trading.exchange.kraken.errors import is_translatable, translate
from trading.exchange.kraken.funding import KrakenFundingMixin
from trading.exchange.kraken.ratelimit import (
    DEFAULT_TIER,
    MAX_WAIT,
    KrakenLimiter,
    Tier,
    limited_kraken,
    limiter_for,
)
from trading.pairs import resolve_pair

T = TypeVar("T")
_log = logger.bind(component="kraken")
# Kraken order ids look like "OQCLML-BW3P3-BUCMWZ"; anything else is taken as our client id.
_TXID = re.compile(r"^O[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{6}$")
VALIDATED_ONLY = "validated only: not placed"
AUTO: Any = object()  # rate_tier's default: Kraken's starter tier on Kraken itself, none for another address


TICKERS_PER_CALL = 100  # pairs per public Ticker call when many are asked at once (the universe's ranking)


def is_txid(order_id: str) -> bool:
    """True when order_id has the shape of a Kraken order id (not a client id)."""
    return bool(_TXID.match(order_id or ""))


class _KrakenClient:
    """What the feed and the account adapter share: the ccxt instance, retries, markets, public data."""

    source = "kraken"

    def __init__(self, api_key: str | None, api_secret: str | None, *, api_url: str | None = None,
                 clock: Clock | None = None, timeout_ms: int = 10000, retries: int = 3,
                 retry_wait: float = 0.5, lookups: int = 3, lookup_grace: float = 1.0,
                 rate_tier: str | Tier | None = AUTO, rate_max_wait: float = MAX_WAIT) -> None:
        if bool(api_key) != bool(api_secret):
            raise ConfigError("set both the Kraken API key and secret, or neither")
        if api_secret:
            try:
                base64.b64decode(api_secret, validate=True)
            except (binascii.Error, ValueError):
                raise ConfigError("the Kraken API secret is not valid base64") from None
        # ccxt logs request headers (the API key among them) at DEBUG; keep that out of any log.
        ccxt_logger = logging.getLogger("ccxt")
        if ccxt_logger.level < logging.INFO:
            ccxt_logger.setLevel(logging.INFO)
        config: dict[str, Any] = {"timeout": int(timeout_ms), "enableRateLimit": False}
        # Kraken's own counter model, shared by every client of this address and key (see kraken.ratelimit).
        # By default on for Kraken itself; for another address (a local stand-in) only when a tier is given.
        if rate_tier is AUTO:
            rate_tier = DEFAULT_TIER if api_url is None else None
        self.limiter: KrakenLimiter | None = None if rate_tier is None else limiter_for(
            api_url, api_key, rate_tier, max_wait=rate_max_wait)
        if api_key and api_secret:
            config.update(apiKey=api_key, secret=api_secret)
        if api_url:
            base = api_url.rstrip("/")
            config["urls"] = {"api": {"public": base, "private": base}}
            if base.startswith("http://"):
                config["timeout_on_exit"] = 0  # ccxt's 250 ms close grace only matters for TLS
        self._config = config
        self._ccxt: Any = None
        self._clock: Clock = clock or SystemClock()
        self._retries = max(0, int(retries))
        self._retry_wait = max(0.0, float(retry_wait))
        # Before re-sending an order whose answer was lost, look it up this many times, this far apart: Kraken
        # can book a request after a first lookup found nothing (a drill placed 15 of 15 such orders twice).
        self._lookups, self._lookup_grace = max(1, int(lookups)), max(0.0, float(lookup_grace))
        self._markets: dict[str, Market] | None = None
        self._markets_lock = asyncio.Lock()
        self._client_ids: dict[str, str] = {}  # Kraken id -> client id, so fills can carry it

    @property
    def _ex(self) -> Any:
        """The ccxt instance, created (and ccxt imported) on first use: see the module docstring."""
        if self._ccxt is None:
            if self.limiter is not None:
                self._ccxt = limited_kraken(self._config, self.limiter)
            else:
                import ccxt.async_support as ccxt_async

                self._ccxt = ccxt_async.kraken(self._config)
        return self._ccxt

    async def __aenter__(self) -> _KrakenClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- plumbing -----------------------------------------------------------------------------

    async def _raw(self, method: str, *args: Any) -> Any:
        """One ccxt call, its exceptions translated (raised outside the handler: no ccxt context)."""
        try:
            return await getattr(self._ex, method)(*args)
        except Exception as exc:  # noqa: BLE001 - filtered just below
            if not is_translatable(exc):
                raise
            error = translate(exc)
        raise error

    async def _retry(self, attempt: Callable[[int], Awaitable[T]], what: str) -> T:
        """Run attempt(n) until it succeeds, retrying only TransientError with exponential backoff."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retries + 1),
            wait=wait_exponential(multiplier=self._retry_wait, max=max(self._retry_wait * 16, 0.0)),
            retry=retry_if_exception_type(TransientError),
            reraise=True,
            before_sleep=lambda state: _log.warning(
                "{} failed ({}); retry {} of {}", what, state.outcome.exception(), state.attempt_number,
                self._retries),
        )
        async for attempt_state in retrying:
            with attempt_state:
                result = await attempt(attempt_state.retry_state.attempt_number)
        return result

    async def _call(self, method: str, *args: Any) -> Any:
        """A read-only or idempotent ccxt call with retries."""
        return await self._retry(lambda _n: self._raw(method, *args), what=method)

    # --- public data --------------------------------------------------------------------------

    async def load_markets(self) -> dict[str, Market]:
        """All spot markets keyed by unified symbol; loaded once, then cached."""
        if self._markets is None:
            async with self._markets_lock:
                if self._markets is None:
                    raw = await self._call("load_markets")
                    self._markets = {
                        m["symbol"]: conv.market_from_ccxt(m)
                        for m in raw.values()
                        if m.get("spot", True) and "/" in (m.get("symbol") or "") and ":" not in m["symbol"]
                    }
        return dict(self._markets)

    async def market(self, symbol: str) -> Market:
        """The market for any accepted pair spelling (XBTUSD, btcusd, XBT/USD), or UnknownPairError."""
        markets = await self.load_markets()
        return markets[resolve_pair(symbol, markets)]

    async def fetch_ticker(self, symbol: str) -> Ticker:
        """Best bid/ask and last price now."""
        market = await self.market(symbol)
        raw = await self._call("fetch_ticker", market.symbol)
        return conv.ticker_from_ccxt(raw, market.symbol, self._clock.now())

    async def fetch_tickers(self, symbols: Sequence[str]) -> dict[str, Ticker]:
        """The tickers of many markets in one Ticker call (with their 24h quote volume), keyed by symbol."""
        markets = await self.load_markets()
        wanted = [s for s in symbols if s in markets]
        if not wanted:
            return {}
        raw: dict[str, Any] = {}
        for k in range(0, len(wanted), TICKERS_PER_CALL):  # a bounded URL per call (Kraken lists ~400 USD pairs)
            raw.update(await self._call("fetch_tickers", wanted[k:k + TICKERS_PER_CALL]) or {})
        now = self._clock.now()
        out: dict[str, Ticker] = {}
        for symbol, t in raw.items():
            if symbol in markets:
                with contextlib.suppress(ExchangeError):  # a market without prices is left out
                    out[symbol] = conv.ticker_from_ccxt(t, symbol, now)
        return out

    async def fetch_ohlcv(self, symbol: str, timeframe: str = "5m", since: datetime | None = None,
                          limit: int | None = None) -> list[Candle]:
        """Candles oldest first; the last has closed=False while it is still forming."""
        market = await self.market(symbol)
        if timeframe not in (self._ex.timeframes or {}):
            raise InputError(f"unsupported timeframe '{timeframe}'; try 5m, 15m, 1h or 1d")
        since_ms = to_ms(since) if since is not None else None
        rows = await self._call("fetch_ohlcv", market.symbol, timeframe, since_ms, limit)
        return conv.candles_from_ccxt(rows, market.symbol, timeframe, self._clock.now())

    async def fetch_trades_page(self, symbol: str, since_ns: int | None = None,
                                count: int = 1000) -> tuple[list[list[Any]], int | None]:
        """One page of public Trades after since_ns: the raw rows [price, volume, time_s, side, type, misc, id],
        oldest first, and Kraken's `last` cursor (ns) for the next page."""
        market = await self.market(symbol)
        params: dict[str, Any] = {"pair": market.exchange_id, "count": int(count)}
        if since_ns is not None:
            params["since"] = str(int(since_ns))
        raw = await self._call("public_get_trades", params)
        result = (raw or {}).get("result") or {}
        rows = next((v for k, v in result.items() if k != "last" and isinstance(v, list)), [])
        last = result.get("last")
        return rows, int(last) if last not in (None, "") else None

    async def server_time(self) -> datetime:
        """Kraken's clock (public Time), for the clock-skew check of `zyn doctor`."""
        ms = await self._call("fetch_time")
        return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)

    async def close(self) -> None:
        """Close ccxt's HTTP session (if one was ever opened)."""
        if self._ccxt is not None:
            await self._ccxt.close()


class KrakenPublicFeed(_KrakenClient):
    """Kraken public market data only. It holds no keys, so it can never sign a private call."""

    def __init__(self, *, api_url: str | None = None, clock: Clock | None = None, timeout_ms: int = 10000,
                 retries: int = 3, retry_wait: float = 0.5, rate_tier: str | Tier | None = AUTO) -> None:
        super().__init__(None, None, api_url=api_url, clock=clock, timeout_ms=timeout_ms, retries=retries,
                         retry_wait=retry_wait, rate_tier=rate_tier)


class KrakenExchange(KrakenFundingMixin, _KrakenClient):
    """The LIVE Kraken account: balances and orders, idempotent by client order id (cl_ord_id).

    Every order carries the caller's client id as Kraken's cl_ord_id. When placing fails with a
    transient error (a timeout leaves the outcome unknown), the order is looked up by that client id
    before each retry and returned if Kraken has it, so a retry never places it twice.
    """

    mode = Mode.LIVE

    # --- account ------------------------------------------------------------------------------

    async def fetch_balances(self) -> dict[str, Balance]:
        """Balances keyed by asset ("USD", "BTC"); used = held by open orders."""
        return conv.balances_from_ccxt(await self._call("fetch_balance"))

    async def create_order(self, request: OrderRequest) -> Order:
        """Place a market, limit, stop-loss or take-profit order (validate_only: Kraken checks, places nothing)."""
        market = await self.market(request.symbol)
        _check_order(request, market)
        return _refused_post_only(request, await self._place(request, market, {}))

    async def create_bracket(self, request: BracketRequest) -> Bracket:
        """Place the entry with a conditional stop-loss close attached; the target is placed later.

        Kraken spot has no OCO. The entry goes out with Kraken's conditional close
        (close[ordertype]=stop-loss, close[price]=stop), which Kraken turns into a stop order once the
        entry fills. The take-profit leg is NOT placed here: a reconciler places it after the fill and
        cancels the other leg when one fills. Hence status PENDING_ENTRY and no leg order ids yet.
        """
        market = await self.market(request.symbol)
        entry = OrderRequest(
            symbol=market.symbol, side=request.side, amount=request.amount, client_id=request.client_id,
            type=OrderType.LIMIT if request.entry_price is not None else OrderType.MARKET,
            price=request.entry_price, post_only=request.post_only,
        )
        _check_order(entry, market)
        _check_bracket(request, market)
        # ccxt passes a nested dict as close[ordertype]=stop-loss&close[price]=... (Kraken's form). A post-only
        # entry's close opens only on its fill, like any entry's: the stop and target arm once it fills.
        close = {"ordertype": "stop-loss", "price": str(request.stop_price)}
        order = _refused_post_only(entry, await self._place(entry, market, {"close": close}))
        return Bracket(
            id=request.client_id, symbol=market.symbol, side=request.side, entry_order_id=order.id,
            stop_order_id=None, take_profit_order_id=None, status=BracketStatus.PENDING_ENTRY,
            created_at=order.created_at, stop_price=request.stop_price,
            take_profit_price=request.take_profit_price,
        )

    async def _place(self, request: OrderRequest, market: Market, extra: dict[str, Any]) -> Order:
        """AddOrder with retries; before every retry the order is looked up by client id (no double orders)."""
        limit = request.type is OrderType.LIMIT
        ccxt_type, price = ("limit", str(request.price)) if limit else ("market", None)
        # With stopLossPrice / takeProfitPrice ccxt sends ordertype=stop-loss / take-profit, price=trigger.
        trigger = {OrderType.STOP_LOSS: "stopLossPrice", OrderType.TAKE_PROFIT: "takeProfitPrice"}.get(request.type)
        if trigger:
            extra = {**extra, trigger: str(request.stop_price)}

        sent = _Sent()

        async def attempt(number: int) -> Order:
            if number > 1 and not request.validate_only:
                found = await self._find_booked_late(request.client_id)
                if found is not None:
                    _log.warning("order {} reached Kraken despite the failed reply; not placing it again",
                                 request.client_id)
                    return found
            params = {**extra, "clientOrderId": request.client_id}  # ccxt sends it as cl_ord_id
            if request.post_only:
                params["postOnly"] = True  # ccxt sends Kraken's oflags=post (a maker order: it must rest)
            if request.validate_only:
                params["validate"] = "true"  # a string: ccxt would urlencode a bool as "True"
            _log.info("placing {} {} {} {} client_id={}{}", request.type.value, request.side.value,
                      request.amount, market.symbol, request.client_id,
                      " (validate only)" if request.validate_only else "")
            try:
                raw = await self._raw("create_order", market.symbol, ccxt_type, request.side.value,
                                      str(request.amount), price, params)
            except (RequestTimeoutError, NetworkError):
                sent.maybe = True  # the request may have reached Kraken: its outcome is unknown
                raise
            if request.validate_only:
                now = self._clock.now()
                return Order(id="", client_id=request.client_id, symbol=market.symbol, side=request.side,
                             type=request.type, amount=request.amount, status=OrderStatus.CANCELED,
                             created_at=now, updated_at=now, price=request.price,
                             stop_price=request.stop_price, reason=VALIDATED_ONLY)
            placed = self._order(raw, symbol=market.symbol, side=request.side, client_id=request.client_id)
            try:  # AddOrder's reply is thin (no status, no fills): ask for the full record once.
                return self._order(await self._raw("fetch_order", placed.id), client_id=request.client_id)
            except ZynError as exc:
                _log.warning("placed order {} but could not refresh it: {}", placed.id, exc)
                return placed

        if request.validate_only:
            return await self._retry(attempt, what="create order")
        try:
            return await self._retry(attempt, what="create order")
        except (InputError, InsufficientFundsError, InvalidOrderError, AuthenticationError, PermissionDeniedError):
            raise  # a refusal: Kraken answered, nothing was placed
        except ZynError as exc:
            if not sent.maybe:
                raise
            return await self._outcome_unknown(request, market, exc)

    async def _outcome_unknown(self, request: OrderRequest, market: Market, exc: ZynError) -> Order:
        """The last word on an order whose reply was lost: found by its client id, or OrderOutcomeUnknownError."""
        try:
            found = await self._find_booked_late(request.client_id)
        except ZynError:
            found = None
        if found is not None:
            _log.warning("order {} reached Kraken despite the failed reply", request.client_id)
            return found
        what = f"{request.side.value} {request.amount} {market.symbol}"
        _log.error("order {} ({}): outcome unknown after {}", request.client_id, what, exc.message)
        price = request.price if request.price is not None else request.stop_price
        raise OrderOutcomeUnknownError(
            f"outcome unknown: Kraken did not confirm the order to {what} ({exc.message}) and it was not found "
            f"by its client id {request.client_id} yet. Zyn is checking and will tell you whether it was placed; "
            "do not place it again meanwhile",
            client_id=request.client_id, symbol=market.symbol, side=request.side.value, amount=str(request.amount),
            price=None if price is None else str(price), order_type=request.type.value) from None

    async def _find_booked_late(self, client_id: str) -> Order | None:
        """The order with this client id, looked up `lookups` times with a grace between (None: not booked)."""
        for n in range(self._lookups):
            if n:
                await asyncio.sleep(self._lookup_grace)
            found = await self._find_by_client_id(client_id)
            if found is not None:
                return found
        return None

    async def _find_by_client_id(self, client_id: str) -> Order | None:
        """The order with this client id, open or closed, or None (one try; callers retry)."""
        # Open first, then closed: an order only ever moves open -> closed, so this order of lookups
        # cannot miss one that existed before the first lookup.
        for method in ("fetch_open_orders", "fetch_closed_orders"):
            rows = await self._raw(method, None, None, None, {"clientOrderId": client_id})
            for row in rows:
                if (row.get("info") or {}).get("cl_ord_id") == client_id:
                    return self._order(row)
        return None

    def _order(self, raw: dict[str, Any], **fallbacks: Any) -> Order:
        order = conv.order_from_ccxt(raw, now=self._clock.now(), **fallbacks)
        if order.id and order.client_id:
            self._client_ids[order.id] = order.client_id
        return order

    async def cancel_order(self, order_id: str) -> Order:
        """Cancel one open order by Kraken id or client id; returns the order as Kraken now reports it."""
        await self.load_markets()
        params = {} if is_txid(order_id) else {"cl_ord_id": order_id}
        retried = False

        async def attempt(number: int) -> None:
            nonlocal retried
            retried = retried or number > 1
            await self._raw("cancel_order", order_id, None, dict(params))

        try:
            await self._retry(attempt, what="cancel order")
        except OrderNotFoundError:
            try:
                order = await self.fetch_order(order_id)
            except OrderNotFoundError:
                raise OrderNotFoundError(f"Kraken has no open order '{order_id}'") from None
            if retried and order.status is OrderStatus.CANCELED:
                return order  # our first, timed-out attempt did cancel it
            raise OrderNotFoundError(f"order '{order_id}' is no longer open ({order.status.value})") from None
        return await self.fetch_order(order_id)

    async def cancel_all(self, symbol: str | None = None) -> list[Order]:
        """Cancel every open order (Kraken CancelAll), or those of one symbol one by one."""
        if symbol is None:
            working = await self.fetch_open_orders()
            await self._call("cancel_all_orders")
            now = self._clock.now()
            return [o.evolve(status=OrderStatus.CANCELED, updated_at=now) for o in working]
        cancelled: list[Order] = []
        for order in await self.fetch_open_orders(symbol):
            try:
                cancelled.append(await self.cancel_order(order.id))
            except OrderNotFoundError:
                continue  # filled or cancelled meanwhile
        return cancelled

    async def fetch_order(self, order_id: str) -> Order:
        """One order by Kraken id or client id."""
        await self.load_markets()
        if is_txid(order_id):
            try:
                return self._order(await self._call("fetch_order", order_id))
            except InvalidOrderError:  # Kraken answers "EOrder:Invalid order" for ids it does not know
                raise OrderNotFoundError(f"Kraken has no order '{order_id}'") from None
        found = await self._retry(lambda _n: self._find_by_client_id(order_id), what="find order")
        if found is None:
            raise OrderNotFoundError(f"Kraken has no order with id or client id '{order_id}'")
        return found

    async def fetch_open_orders(self, symbol: str | None = None) -> list[Order]:
        """Orders still working, newest first."""
        sym = (await self.market(symbol)).symbol if symbol else None
        orders = [self._order(o) for o in await self._call("fetch_open_orders", sym)]
        return sorted(orders, key=lambda o: o.created_at, reverse=True)

    async def fetch_closed_orders(self, symbol: str | None = None, limit: int | None = None) -> list[Order]:
        """Filled, cancelled or expired orders, newest first (Kraken returns its latest 50)."""
        sym = (await self.market(symbol)).symbol if symbol else None
        orders = [self._order(o) for o in await self._call("fetch_closed_orders", sym)]
        orders.sort(key=lambda o: (o.updated_at, o.created_at), reverse=True)
        return orders[:limit] if limit is not None else orders

    async def fetch_my_trades(self, symbol: str | None = None, limit: int | None = None) -> list[Fill]:
        """Our fills, newest first. client_id is known only for orders this adapter has seen."""
        sym = (await self.market(symbol)).symbol if symbol else None
        rows = await self._call("fetch_my_trades", sym)
        fills = [conv.fill_from_ccxt(t, client_id=self._client_ids.get(t.get("order") or "", "")) for t in rows]
        fills.sort(key=lambda f: f.timestamp, reverse=True)
        return fills[:limit] if limit is not None else fills


def _refused_post_only(request: OrderRequest, order: Order) -> Order:
    """The order, unless it is a post-only one Kraken took and cancelled at once because it would have taken
    liquidity (its reason "Post only order"): PostOnlyRejectedError then, as when AddOrder refuses it outright."""
    if (request.post_only and not request.validate_only and order.status is OrderStatus.CANCELED
            and order.filled <= 0):
        raise PostOnlyRejectedError(f"Kraken cancelled the post-only order {order.id} at once: it would have taken "
                                    f"liquidity ({order.reason or 'Post only order'}); nothing was filled")
    return order


class _Sent:
    """Whether an AddOrder of this placement may have reached Kraken (a timeout or a lost connection)."""

    maybe = False
