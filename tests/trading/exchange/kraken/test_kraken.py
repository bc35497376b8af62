"""The LIVE Kraken adapter and the public feed, driven over real HTTP by real ccxt against the stand-in."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.standins.kraken import KrakenStandin
from tests.trading.exchange.conftest import KRAKEN_KEY, KRAKEN_NOW, KRAKEN_SECRET
from trading.clock import ManualClock
from trading.domain import (
    BracketRequest,
    BracketStatus,
    Liquidity,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from trading.errors import (
    AuthenticationError,
    BelowMinimumError,
    ConfigError,
    ExchangeError,
    ExchangeUnavailableError,
    InputError,
    InsufficientFundsError,
    InvalidOrderError,
    NetworkError,
    OrderNotFoundError,
    OrderOutcomeUnknownError,
    PermissionDeniedError,
    PrecisionError,
    RateLimitError,
    RequestTimeoutError,
    TransientError,
    UnknownPairError,
    ZynError,
)
from trading.exchange.base import Exchange, MarketFeed
from trading.exchange.kraken.client import VALIDATED_ONLY, KrakenExchange, KrakenPublicFeed
from trading.exchange.kraken.errors import kraken_code, translate

ROOT = Path(__file__).resolve().parents[4]
BTC = "BTC/USD"


def buy(amount: str = "0.001", **kw: object) -> OrderRequest:
    return OrderRequest(BTC, Side.BUY, OrderType.MARKET, D(amount), **kw)  # type: ignore[arg-type]


def private_calls(standin: KrakenStandin) -> list[str]:
    return [path for _m, path, _p in standin.requests if path.startswith("/0/private/")]


# --- markets and public data ---------------------------------------------------------------------


async def test_markets_load_once_and_every_pair_spelling_resolves(kraken_exchange, kraken_standin):
    markets = await kraken_exchange.load_markets()
    btc = markets[BTC]
    assert (btc.exchange_id, btc.altname, btc.base, btc.quote) == ("XXBTZUSD", "XBTUSD", "BTC", "USD")
    assert (btc.price_step, btc.amount_step) == (D("0.1"), D("0.00000001"))
    assert (btc.min_amount, btc.min_cost) == (D("0.0001"), D("0.5"))
    assert (btc.maker_fee, btc.taker_fee) == (D("0.0016"), D("0.0026"))
    assert {"ETH/USD", "SOL/USD", "BTC/USDT"} <= set(markets)
    assert markets["SOL/USD"].exchange_id == "SOLUSD" and markets["ETH/USD"].price_step == D("0.01")
    for spelling in ("XBTUSD", "btcusd", "XBT/USD", "XXBTZUSD", "btc-usd"):
        assert (await kraken_exchange.market(spelling)).symbol == BTC
    with pytest.raises(UnknownPairError):
        await kraken_exchange.fetch_ticker("DOGE/EUR")
    await kraken_exchange.load_markets()
    assert len(kraken_standin.calls("AssetPairs")) == 1  # cached


async def test_ticker_is_decimal_and_labelled_kraken(kraken_exchange, kraken_standin):
    kraken_standin.set_price("XXBTZUSD", "60000.1", "60000.2", "60000.1")
    ticker = await kraken_exchange.fetch_ticker("xbtusd")
    assert (ticker.symbol, ticker.bid, ticker.ask, ticker.last) == (BTC, D("60000.1"), D("60000.2"), D("60000.1"))
    assert ticker.source == "kraken" and ticker.timestamp == KRAKEN_NOW
    assert ticker.high_24h == D("73580") and ticker.volume_24h == D("598.03698452")
    assert kraken_standin.calls("Ticker") == [{"pair": "XXBTZUSD"}]


async def test_ohlcv_marks_only_the_forming_candle_open(kraken_exchange, kraken_standin):
    candles = await kraken_exchange.fetch_ohlcv(BTC, "5m", limit=5)
    assert len(candles) == 5
    assert [c.closed for c in candles] == [True, True, True, True, False]
    assert candles[-1].timestamp == KRAKEN_NOW.replace(minute=5, second=0)  # the 12:05 candle is forming
    assert all(isinstance(c.close, D) for c in candles)
    assert kraken_standin.calls("OHLC")[-1] == {"pair": "XXBTZUSD", "interval": "5"}


async def test_ohlcv_since_and_a_finished_last_candle(kraken_standin):
    start = int(KRAKEN_NOW.timestamp()) // 300 * 300 - 900
    rows = [[start + i * 300, "100.0", "101.0", "99.0", "100.5", "100.2", "2.5", 7] for i in range(3)]
    kraken_standin.set_candles("XXBTZUSD", rows)
    later = ManualClock(KRAKEN_NOW)
    later.advance(300)  # now 12:12:30: the last row (12:00) has finished
    feed = KrakenPublicFeed(api_url=kraken_standin.url, clock=later, retry_wait=0.01)
    async with feed:
        candles = await feed.fetch_ohlcv("BTC/USD", "5m", since=KRAKEN_NOW.replace(hour=11, minute=55, second=0))
    assert [c.closed for c in candles] == [True, True] and candles[0].volume == D("2.5")
    assert "since" in kraken_standin.calls("OHLC")[-1]


# --- balances and credentials --------------------------------------------------------------------


async def test_balances_are_signed_and_show_holds(kraken_exchange, kraken_standin):
    await kraken_exchange.create_order(OrderRequest(BTC, Side.BUY, OrderType.LIMIT, D("0.01"), price=D("50000")))
    balances = await kraken_exchange.fetch_balances()
    assert balances["USD"].total == D("10000") and balances["USD"].used == D("500")
    assert balances["USD"].free == D("9500") and balances["BTC"].total == D("0.5")


async def test_wrong_secret_is_an_authentication_error(kraken_standin):
    wrong = base64.b64encode(b"some other secret entirely").decode()
    async with KrakenExchange(KRAKEN_KEY, wrong, api_url=kraken_standin.url, retry_wait=0.01) as exchange:
        with pytest.raises(AuthenticationError) as caught:
            await exchange.fetch_balances()
    assert "EAPI:Invalid key" in str(caught.value)
    assert len(kraken_standin.calls("BalanceEx")) == 1  # never retried


def test_bad_credentials_are_refused_before_any_request():
    with pytest.raises(ConfigError):
        KrakenExchange("key", "not base64 !!")
    with pytest.raises(ConfigError):
        KrakenExchange("key", None)


# --- placing orders ------------------------------------------------------------------------------


async def test_market_order_fills_and_sends_the_client_id(kraken_exchange, kraken_standin):
    request = buy("0.001")
    order = await kraken_exchange.create_order(request)
    sent = kraken_standin.calls("AddOrder")[-1]
    assert sent == {"pair": "XXBTZUSD", "type": "buy", "ordertype": "market", "volume": "0.001",
                    "cl_ord_id": request.client_id}
    assert (order.status, order.type, order.client_id) == (OrderStatus.CLOSED, OrderType.MARKET, request.client_id)
    assert order.filled == D("0.001") and order.average == D("73380.7") and order.fee > 0
    assert order.id in kraken_standin.orders


@pytest.mark.parametrize(
    ("kind", "side", "price", "stop", "ordertype", "sent_price"),
    [
        (OrderType.LIMIT, Side.BUY, "60000.5", None, "limit", "60000.5"),
        (OrderType.STOP_LOSS, Side.SELL, None, "55000", "stop-loss", "55000"),
        (OrderType.TAKE_PROFIT, Side.SELL, None, "80000.5", "take-profit", "80000.5"),
    ],
)
async def test_resting_orders_send_kraken_order_types(kraken_exchange, kraken_standin, kind, side, price, stop,
                                                      ordertype, sent_price):
    request = OrderRequest(BTC, side, kind, D("0.002"), price=D(price) if price else None,
                           stop_price=D(stop) if stop else None)
    order = await kraken_exchange.create_order(request)
    sent = kraken_standin.calls("AddOrder")[-1]
    assert (sent["ordertype"], sent["type"], sent["volume"]) == (ordertype, side.value, "0.002")
    assert D(sent["price"]) == D(sent_price) and sent["cl_ord_id"] == request.client_id
    assert (order.type, order.status, order.client_id) == (kind, OrderStatus.OPEN, request.client_id)
    if kind is OrderType.LIMIT:
        assert (order.price, order.stop_price) == (D(price), None)
    else:
        assert (order.price, order.stop_price) == (None, D(stop))


async def test_validate_only_places_nothing(kraken_exchange, kraken_standin):
    order = await kraken_exchange.create_order(buy("0.001", validate_only=True))
    assert kraken_standin.calls("AddOrder")[-1]["validate"] == "true"
    assert kraken_standin.orders == {}
    assert (order.id, order.status, order.reason) == ("", OrderStatus.CANCELED, VALIDATED_ONLY)


async def test_local_checks_send_nothing(kraken_exchange, kraken_standin):
    with pytest.raises(PrecisionError):
        await kraken_exchange.create_order(buy("0.000000001"))
    with pytest.raises(BelowMinimumError):
        await kraken_exchange.create_order(buy("0.00005"))
    with pytest.raises(PrecisionError):
        await kraken_exchange.create_order(OrderRequest(BTC, Side.BUY, OrderType.LIMIT, D("0.001"), price=D("60000.05")))
    with pytest.raises(InputError):
        await kraken_exchange.create_bracket(BracketRequest(BTC, Side.BUY, D("0.001"), D("80000"), D("70000")))
    assert kraken_standin.calls("AddOrder") == []


async def test_bracket_attaches_the_stop_as_a_conditional_close(kraken_exchange, kraken_standin):
    request = BracketRequest(BTC, Side.BUY, D("0.001"), stop_price=D("70000"), take_profit_price=D("80000"))
    bracket = await kraken_exchange.create_bracket(request)
    sent = kraken_standin.calls("AddOrder")[-1]
    assert (sent["ordertype"], sent["close[ordertype]"], D(sent["close[price]"])) == ("market", "stop-loss", D("70000"))
    assert sent["cl_ord_id"] == request.client_id
    assert bracket.status is BracketStatus.PENDING_ENTRY and bracket.id == request.client_id
    assert (bracket.stop_order_id, bracket.take_profit_order_id) == (None, None)
    assert (bracket.stop_price, bracket.take_profit_price) == (D("70000"), D("80000"))
    entry = await kraken_exchange.fetch_order(bracket.entry_order_id)
    assert entry.status is OrderStatus.CLOSED
    (stop,) = await kraken_exchange.fetch_open_orders(BTC)  # Kraken opened the close after the fill
    assert (stop.type, stop.side, stop.stop_price) == (OrderType.STOP_LOSS, Side.SELL, D("70000"))


# --- querying and cancelling ---------------------------------------------------------------------


async def test_cancel_by_id_and_by_client_id(kraken_exchange, kraken_standin):
    first = await kraken_exchange.create_order(OrderRequest(BTC, Side.BUY, OrderType.LIMIT, D("0.001"), price=D("50000")))
    second = await kraken_exchange.create_order(OrderRequest(BTC, Side.BUY, OrderType.LIMIT, D("0.001"), price=D("51000")))
    assert {o.id for o in await kraken_exchange.fetch_open_orders()} == {first.id, second.id}
    cancelled = await kraken_exchange.cancel_order(first.id)
    assert cancelled.status is OrderStatus.CANCELED and cancelled.client_id == first.client_id
    by_client = await kraken_exchange.cancel_order(second.client_id)
    assert by_client.id == second.id and by_client.status is OrderStatus.CANCELED
    assert kraken_standin.calls("CancelOrder") == [{"txid": first.id}, {"cl_ord_id": second.client_id}]
    assert await kraken_exchange.fetch_open_orders() == []
    assert (await kraken_exchange.fetch_order(second.client_id)).id == second.id


async def test_cancel_unknown_order_is_not_found_and_not_retried(kraken_exchange, kraken_standin):
    with pytest.raises(OrderNotFoundError):
        await kraken_exchange.cancel_order("OAAAAA-BBBBB-CCCCCC")
    assert len(kraken_standin.calls("CancelOrder")) == 1
    with pytest.raises(OrderNotFoundError):
        await kraken_exchange.fetch_order("OAAAAA-BBBBB-CCCCCC")
    with pytest.raises(OrderNotFoundError):
        await kraken_exchange.fetch_order("no-such-client-id")


async def test_timed_out_cancel_that_went_through_returns_the_cancelled_order(kraken_standin, kraken_clock):
    kraken_standin.delay_next("CancelOrder", 1.0)
    async with KrakenExchange(KRAKEN_KEY, KRAKEN_SECRET, api_url=kraken_standin.url, clock=kraken_clock,
                              timeout_ms=250, retry_wait=0.01) as exchange:
        order = await exchange.create_order(OrderRequest(BTC, Side.BUY, OrderType.LIMIT, D("0.001"), price=D("50000")))
        cancelled = await exchange.cancel_order(order.id)
    assert cancelled.status is OrderStatus.CANCELED and len(kraken_standin.calls("CancelOrder")) == 2


async def test_cancel_all_everywhere_or_for_one_symbol(kraken_exchange, kraken_standin):
    kraken_standin.set_balance("ZUSD", "100000")
    limit = OrderType.LIMIT
    await kraken_exchange.create_order(OrderRequest(BTC, Side.BUY, limit, D("0.001"), price=D("50000")))
    eth = await kraken_exchange.create_order(OrderRequest("ETH/USD", Side.BUY, limit, D("0.01"), price=D("3000")))
    only_btc = await kraken_exchange.cancel_all("XBTUSD")
    assert [o.symbol for o in only_btc] == [BTC] and only_btc[0].status is OrderStatus.CANCELED
    assert [o.id for o in await kraken_exchange.fetch_open_orders()] == [eth.id]
    rest = await kraken_exchange.cancel_all()
    assert [o.id for o in rest] == [eth.id] and rest[0].status is OrderStatus.CANCELED
    assert len(kraken_standin.calls("CancelAll")) == 1 and await kraken_exchange.fetch_open_orders() == []


async def test_closed_orders_and_trades_newest_first(kraken_exchange, kraken_standin):
    first = await kraken_exchange.create_order(buy("0.001"))
    kraken_standin.set_price("XXBTZUSD", "61000.0", "61000.1")
    second = await kraken_exchange.create_order(buy("0.002"))
    closed = await kraken_exchange.fetch_closed_orders(BTC)
    assert [o.id for o in closed] == [second.id, first.id]
    assert [o.id for o in await kraken_exchange.fetch_closed_orders(limit=1)] == [second.id]
    fills = await kraken_exchange.fetch_my_trades(BTC)
    assert [(f.order_id, f.client_id, f.price) for f in fills] == [
        (second.id, second.client_id, D("61000.1")), (first.id, first.client_id, D("73380.7"))]
    assert fills[0].liquidity is Liquidity.TAKER and fills[0].fee_currency == "USD" and fills[0].amount == D("0.002")
    assert len(await kraken_exchange.fetch_my_trades(limit=1)) == 1


# --- error mapping and retries -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("EOrder:Insufficient funds", InsufficientFundsError),
        ("EGeneral:Invalid arguments", InvalidOrderError),
        ("EAPI:Invalid key", AuthenticationError),
        ("EGeneral:Permission denied", PermissionDeniedError),
        ("EOrder:Order minimum not met", InvalidOrderError),
    ],
)
async def test_refusals_are_translated_and_never_retried(kraken_exchange, kraken_standin, error, expected):
    kraken_standin.fail_next("AddOrder", error)
    with pytest.raises(expected) as caught:
        await kraken_exchange.create_order(buy())
    assert kraken_code(str(caught.value)) == error
    assert len(kraken_standin.calls("AddOrder")) == 1 and kraken_standin.orders == {}


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("RequestTimeout", "kraken POST http://127.0.0.1:1/0/private/AddOrder", RequestTimeoutError),
        ("RateLimitExceeded", "", RateLimitError),
        ("DDoSProtection", "", RateLimitError),
        ("OnMaintenance", "", ExchangeUnavailableError),
        ("ExchangeNotAvailable", "", ExchangeUnavailableError),
        ("InvalidNonce", 'kraken {"error":["EAPI:Invalid nonce"]}', TransientError),
        ("NetworkError", "", NetworkError),
        ("InsufficientFunds", "", InsufficientFundsError),
        ("InvalidOrder", 'kraken {"error":["EOrder:Unknown order"]}', OrderNotFoundError),
        ("OrderNotFound", "", OrderNotFoundError),
        ("BadSymbol", "", UnknownPairError),
        ("AccountSuspended", "", PermissionDeniedError),
        ("AuthenticationError", 'kraken requires "apiKey" credential', AuthenticationError),
        ("CancelPending", "", ExchangeError),
    ],
)
def test_every_ccxt_error_class_is_translated(name, text, expected):
    import ccxt

    error = translate(getattr(ccxt, name)(text))
    assert type(error) is expected and "http" not in error.message


async def test_real_insufficient_funds_from_the_standin(kraken_exchange, kraken_standin):
    with pytest.raises(InsufficientFundsError):
        await kraken_exchange.create_order(buy("5"))


@pytest.mark.parametrize(
    ("error", "expected"),
    [("EAPI:Rate limit exceeded", RateLimitError), ("EService:Unavailable", ExchangeUnavailableError)],
)
async def test_transient_errors_are_retried_then_raised(kraken_exchange, kraken_standin, error, expected):
    kraken_standin.fail_next("BalanceEx", error)
    assert (await kraken_exchange.fetch_balances())["BTC"].total == D("0.5")
    assert len(kraken_standin.calls("BalanceEx")) == 2
    for _ in range(4):  # retries=3: four attempts in all
        kraken_standin.fail_next("BalanceEx", error)
    with pytest.raises(expected):
        await kraken_exchange.fetch_balances()
    assert len(kraken_standin.calls("BalanceEx")) == 6


async def test_invalid_nonce_is_retried_with_a_fresh_nonce(kraken_exchange, kraken_standin):
    kraken_standin.fail_next("BalanceEx", "EAPI:Invalid nonce")
    await kraken_exchange.fetch_balances()
    assert len(kraken_standin.calls("BalanceEx")) == 2


async def test_rate_limited_order_is_looked_up_then_placed_once(kraken_exchange, kraken_standin):
    kraken_standin.fail_next("AddOrder", "EAPI:Rate limit exceeded")
    request = buy()
    order = await kraken_exchange.create_order(request)
    assert len(kraken_standin.calls("AddOrder")) == 2 and len(kraken_standin.orders) == 1
    # looked up three times (a grace apart: Kraken may book it late) before the one re-send
    assert kraken_standin.calls("OpenOrders") == [{"cl_ord_id": request.client_id}] * 3
    assert kraken_standin.calls("ClosedOrders") == [{"cl_ord_id": request.client_id}] * 3
    assert order.client_id == request.client_id and order.status is OrderStatus.CLOSED


async def test_timed_out_order_that_was_placed_is_not_placed_again(kraken_standin, kraken_clock):
    """The must-have: Kraken applies the order but answers late; the retry finds it by client id."""
    kraken_standin.delay_next("AddOrder", 1.0)
    request = buy("0.001")
    async with KrakenExchange(KRAKEN_KEY, KRAKEN_SECRET, api_url=kraken_standin.url, clock=kraken_clock,
                              timeout_ms=250, retries=3, retry_wait=0.01) as exchange:
        order = await exchange.create_order(request)
    assert len(kraken_standin.calls("AddOrder")) == 1
    assert len(kraken_standin.orders) == 1
    (txid,) = kraken_standin.orders
    assert order.id == txid and order.client_id == request.client_id
    assert order.status is OrderStatus.CLOSED and order.filled == D("0.001")


async def test_order_timing_out_every_time_is_an_outcome_unknown(kraken_standin, kraken_clock):
    """AddOrder and every lookup by client id time out: not a plain failure but "outcome unknown", never re-sent."""
    for path in ("AddOrder", *["OpenOrders"] * 6):
        kraken_standin.delay_next(path, 1.0)
    async with KrakenExchange(KRAKEN_KEY, KRAKEN_SECRET, api_url=kraken_standin.url, clock=kraken_clock,
                              timeout_ms=200, retries=2, retry_wait=0.01, lookup_grace=0.01) as exchange:
        request = buy()
        with pytest.raises(OrderOutcomeUnknownError, match="outcome unknown: .* Zyn is checking") as caught:
            await exchange.create_order(request)
    assert isinstance(caught.value, RequestTimeoutError)  # still transient: the autopilot's intents stay pending
    assert caught.value.client_id == request.client_id and caught.value.symbol == "BTC/USD"
    assert len(kraken_standin.calls("AddOrder")) == 1 and len(kraken_standin.orders) == 1


async def test_order_timing_out_whose_lookups_later_find_it_returns_it(kraken_standin, kraken_clock):
    """The last look after the retries (with its grace) finds an order Kraken did book: returned, not an error."""
    for path in ("AddOrder", "OpenOrders", "OpenOrders"):
        kraken_standin.delay_next(path, 1.0)
    async with KrakenExchange(KRAKEN_KEY, KRAKEN_SECRET, api_url=kraken_standin.url, clock=kraken_clock,
                              timeout_ms=200, retries=2, retry_wait=0.01, lookup_grace=0.3) as exchange:
        order = await exchange.create_order(buy())
    assert len(kraken_standin.calls("AddOrder")) == 1 and order.id in kraken_standin.orders


# --- public feed, secrets, imports ---------------------------------------------------------------


async def test_public_feed_never_calls_a_private_endpoint(kraken_standin):
    kraken_standin.forbid_private = True
    async with KrakenPublicFeed(api_url=kraken_standin.url, retry_wait=0.01) as feed:
        assert isinstance(feed, MarketFeed) and not isinstance(feed, Exchange)
        await feed.load_markets()
        await feed.fetch_ticker("ETH/USD")
        await feed.fetch_ohlcv("SOL/USD", "5m", limit=3)
        assert not hasattr(feed, "fetch_balances") and not hasattr(feed, "create_order")
        with pytest.raises(AuthenticationError):  # ccxt refuses to sign without keys, before any request
            await feed._raw("fetch_balance")
    assert private_calls(kraken_standin) == [] and kraken_standin.private_violations == []
    assert feed.source == "kraken"


async def test_standin_is_strict_about_paths_params_and_content_type(kraken_standin):
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(kraken_standin.url + "/0/public/Nope") as reply:
            assert reply.status == 404 and reply.headers["Content-Type"] == "application/json"
            assert (await reply.json())["error"] == ["EGeneral:Unknown method"]
        async with http.get(kraken_standin.url + "/0/public/Ticker", params={"pair": "XBTUSD", "x": "1"}) as reply:
            assert (await reply.json())["error"] == ["EGeneral:Invalid arguments:x"]
        async with http.post(kraken_standin.url + "/0/private/BalanceEx", data={"nonce": "1"}) as reply:
            assert (await reply.json())["error"] == ["EAPI:Invalid key"]


async def test_exchange_satisfies_the_protocol(kraken_exchange):
    assert isinstance(kraken_exchange, Exchange) and kraken_exchange.mode.value == "live"


async def test_no_secret_in_any_error_message(kraken_clock):
    key, secret = "K3Y-unique-7b1e", base64.b64encode(b"S3CRET-unique-payload-4c2d").decode()
    wrong = base64.b64encode(b"S3CRET-but-the-wrong-one").decode()
    errors: list[ZynError] = []

    async def collect(call) -> None:
        with pytest.raises(ZynError) as caught:
            await call
        errors.append(caught.value)

    async with KrakenStandin(api_key=key, api_secret=secret, now=KRAKEN_NOW) as standin:
        async with KrakenExchange(key, secret, api_url=standin.url, clock=kraken_clock, timeout_ms=200,
                                  retries=1, retry_wait=0.01) as exchange:
            for fail in ("EAPI:Invalid key", "EOrder:Insufficient funds", "EGeneral:Invalid arguments",
                         "EService:Unavailable", "EService:Unavailable"):
                standin.fail_next("AddOrder", fail)
            for _ in range(4):
                await collect(exchange.create_order(buy()))
            standin.delay_next("BalanceEx", 1.0)
            standin.delay_next("BalanceEx", 1.0)
            await collect(exchange.fetch_balances())
            await collect(exchange.fetch_ticker("NOPE/USD"))
        async with KrakenExchange(key, wrong, api_url=standin.url, retry_wait=0.01) as impostor:
            await collect(impostor.fetch_balances())
    for bad in ("not base64 !! " + secret, None):
        with pytest.raises(ZynError) as caught:
            KrakenExchange(key, bad)
        errors.append(caught.value)
    kinds = [type(e) for e in errors]
    assert kinds == [AuthenticationError, InsufficientFundsError, InvalidOrderError, ExchangeUnavailableError,
                     RequestTimeoutError, UnknownPairError, AuthenticationError, ConfigError, ConfigError]
    for error in errors:
        text = f"{error} {error!r} {error.message}"
        assert key not in text and secret not in text and wrong not in text and "S3CRET" not in text
        assert error.__cause__ is None
        assert error.__context__ is None or error.__suppress_context__


def test_importing_or_building_the_adapter_does_not_import_ccxt():
    probe = ("import sys; from trading.exchange.kraken.client import KrakenExchange, KrakenPublicFeed; "
             "KrakenPublicFeed(); KrakenExchange('k', 'c2VjcmV0'); print('ccxt' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, cwd=ROOT,
                         timeout=60, check=True)
    assert out.stdout.strip() == "False"
