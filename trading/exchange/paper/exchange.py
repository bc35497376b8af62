"""The paper exchange: a realistic simulator over any MarketFeed, persisted through a PaperLedger.

Every state change is computed on a fork of the book, committed through the ledger as one
PaperChange, and only then adopted; all awaits (prices, markets) happen before that synchronous
section, so coroutines interleaving on the event loop never see half a step.

Post-only limits (maker; Kraken's oflags=post): refused, with nothing written, when they would take
liquidity (a buy at or above the ask, a sell at or below the bid), as Kraken refuses them ("EOrder:Post
only order"). Resting, a post-only order fills only when price trades THROUGH its limit: a buy when the ask is
strictly below it at a price check (the book crossed through it), or when a 5-minute candle that opened after
the order was placed has its low strictly below it (a touch does not fill: others are ahead in the queue); a
sell the other way round. It fills in full at its limit with the maker fee. Candles are read once per 5-minute
period per symbol with a post-only order resting, at the first price check of the period. The candle forming
when the order was placed counts through the price checks only: its low may predate the order (a limit placed
after a dip is not filled by that dip). The backtester's maker entries (trading/backtest/engine.py) count that
bar's whole low, so a backtest fills a little more often than paper.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, localcontext

from loguru import logger

from trading.clock import Clock
from trading.domain import (
    ZERO,
    Balance,
    Bracket,
    BracketRequest,
    Candle,
    Fill,
    Liquidity,
    Market,
    Mode,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    Side,
    Ticker,
)
from trading.errors import (
    ConfigError,
    InvalidOrderError,
    OfflineError,
    OrderNotFoundError,
    PermissionDeniedError,
    ZynError,
)
from trading.exchange.base import MarketFeed, MarketOverview
from trading.exchange.paper import checks
from trading.exchange.paper.book import EXACT, PaperBook, PaperTerms, derived_id, kraken_id, split_symbol
from trading.exchange.paper.brackets import BracketDesk
from trading.exchange.paper.ledger import PaperChange, PaperLedger, PaperSnapshot
from trading.pairs import resolve_pair
from trading.pnl import FillWindow, ledger_fill_pnl, ledger_window

log = logger.bind(component="paper")
DONE_STATUSES = (OrderStatus.CLOSED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED)
CANDLE = timedelta(minutes=5)
MAX_CANDLES = 720  # what Kraken's OHLC endpoint returns at most


@dataclass(frozen=True, slots=True)
class PaperAccount:
    """The paper account in the quote currency, marked at the bid."""

    quote_currency: str
    cash: Decimal
    equity: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees_paid: Decimal
    marks: dict[str, Decimal]


class PaperExchange(BracketDesk):
    """The Exchange protocol, simulated: taker/maker fees, slippage, holds, stops, OCO brackets."""

    mode = Mode.PAPER

    def __init__(self, feed: MarketFeed, ledger: PaperLedger, clock: Clock, *, quote_currency: str = "USD",
                 starting_balance: Decimal = Decimal("10000"), maker_fee: Decimal = Decimal("0.0025"),
                 taker_fee: Decimal = Decimal("0.0040"), slippage_bps: Decimal = Decimal("5"),
                 id_factory: Callable[[], str] | None = None) -> None:
        maker, taker, slip, start = (Decimal(str(v)) for v in (maker_fee, taker_fee, slippage_bps, starting_balance))
        for name, value, high in (("maker fee", maker, 1), ("taker fee", taker, 1), ("slippage", slip, 10000)):
            if not (value.is_finite() and 0 <= value < high):
                raise ConfigError(f"paper {name} {value} is out of range")
        if not (start.is_finite() and start > 0):
            raise ConfigError(f"paper starting balance {start} must be positive")
        self._feed = feed
        self._ledger = ledger
        self._clock = clock
        self.terms = PaperTerms(quote_currency.upper(), maker, taker, slip)
        self._starting_balance = start
        self._new_id = id_factory or kraken_id
        self._book: PaperBook | None = None
        self._markets: dict[str, Market] | None = None
        self._scanned: dict[str, datetime] = {}  # symbol -> the 5-minute period whose candles were last read
        self._through: set[str] = set()  # post-only orders whose limit a candle traded through (only ever grows)

    # ---- market data: straight from the feed --------------------------------------------------------

    @property
    def source(self) -> str:
        """Where prices come from ("kraken" or "offline replay")."""
        return self._feed.source

    @property
    def quote_currency(self) -> str:
        return self.terms.quote_currency

    async def load_markets(self) -> dict[str, Market]:
        """The feed's markets."""
        self._markets = await self._feed.load_markets()
        return self._markets

    async def fetch_ticker(self, symbol: str) -> Ticker:
        """The feed's ticker."""
        return await self._feed.fetch_ticker(await self._symbol(symbol))

    async def fetch_tickers(self, symbols: Sequence[str]) -> dict[str, Ticker]:
        """The feed's tickers of many markets (OfflineError when the feed, e.g. the replay, has none)."""
        if not isinstance(self._feed, MarketOverview):
            raise OfflineError(f"{self._feed.source} has no 24h volumes")
        return await self._feed.fetch_tickers(symbols)

    async def fetch_ohlcv(self, symbol: str, timeframe: str = "5m", since: datetime | None = None,
                          limit: int | None = None) -> list[Candle]:
        """The feed's candles."""
        return await self._feed.fetch_ohlcv(await self._symbol(symbol), timeframe, since, limit)

    async def close(self) -> None:
        """Nothing to release: the feed belongs to whoever made it and is closed by them."""

    # ---- the account --------------------------------------------------------------------------------

    async def sync(self) -> list[Fill]:
        """Check prices for every symbol with a working order; fill or trigger what crossed."""
        tickers = await self._prices()
        with localcontext(EXACT):
            return self._match_all(tickers)

    async def fetch_balances(self) -> dict[str, Balance]:
        """Every asset with a total or a hold, and the quote currency always."""
        await self.sync()
        book = self._loaded()
        with localcontext(EXACT):
            holds = book.holds(self.terms)
        assets = {a for a, t in book.balances.items() if t != 0} | set(holds) | {self.terms.quote_currency}
        return {a: Balance(asset=a, total=book.total(a), used=holds.get(a, ZERO)) for a in sorted(assets)}

    async def positions(self) -> dict[str, Position]:
        """Average-cost positions; flat ones stay, with their realised P&L."""
        await self.sync()
        return dict(self._loaded().positions)

    async def equity(self) -> Decimal:
        """Quote cash plus every coin marked at its bid."""
        return (await self.account()).equity

    async def account(self) -> PaperAccount:
        """Cash, equity, realised and unrealised P&L and fees, marked at the bid."""
        await self.sync()
        book = self._loaded()
        quote = self.terms.quote_currency
        coins = sorted(a for a, t in book.balances.items() if t != 0 and a != quote)
        held = sorted(s for s, p in book.positions.items() if p.amount != 0 and split_symbol(s)[1] == quote)
        symbols = sorted({f"{a}/{quote}" for a in coins} | set(held))
        marks = {s: (await self._feed.fetch_ticker(s)).bid for s in symbols}
        with localcontext(EXACT):
            cash = book.total(quote)
            equity = cash + sum((book.total(a) * marks[f"{a}/{quote}"] for a in coins), ZERO)
            unrealized = sum((book.positions[s].unrealized_pnl(marks[s]) for s in held), ZERO)
            realized = sum((p.realized_pnl for p in book.positions.values()), ZERO)
            fees = sum((p.fees_paid for p in book.positions.values()), ZERO)
        return PaperAccount(quote, cash, equity, realized, unrealized, fees, marks)

    async def create_order(self, request: OrderRequest, *, auto_adjust: bool = False) -> Order:
        """Place a market, limit, stop-loss or take-profit order; nothing is written if it is refused."""
        market = await self._market(request.symbol)
        tickers = await self._prices(market.symbol)
        with localcontext(EXACT):
            self._match_all(tickers)
            work = self._loaded().fork()
            order = self._place(work, request, market, tickers[market.symbol], auto_adjust)
            if request.validate_only:
                return order.evolve(id="", status=OrderStatus.CANCELED, reason="validated only")
            self._match(work, market, tickers[market.symbol])
            self._commit(work)
            return work.latest_order(order.id) or order

    async def create_bracket(self, request: BracketRequest, *, auto_adjust: bool = False) -> Bracket:
        """Place an entry with a stop-loss and a take-profit that cancel each other."""
        market = await self._market(request.symbol)
        tickers = await self._prices(market.symbol)
        with localcontext(EXACT):
            self._match_all(tickers)
            work = self._loaded().fork()
            bracket = self._place_bracket(work, request, market, tickers[market.symbol], auto_adjust)
            self._match(work, market, tickers[market.symbol])
            self._commit(work)
            return work.latest_bracket(bracket.id) or bracket

    async def cancel_order(self, order_id: str) -> Order:
        """Cancel one working order by id or client id (a bracket's entry takes its exits with it)."""
        tickers = await self._prices()
        with localcontext(EXACT):
            self._match_all(tickers)
            work = self._loaded().fork()
            order = work.find(order_id)
            if order is None:
                known = self._ledger.get_order(order_id)
                if known is not None:
                    raise OrderNotFoundError(f"order {order_id} is not open ({known.status.value})")
                raise OrderNotFoundError(f"order {order_id} not found")
            cancelled = self._cancel(work, order, "cancelled by request")
            self._commit(work)
            return cancelled[0]

    async def cancel_all(self, symbol: str | None = None) -> list[Order]:
        """Cancel every working order, optionally of one symbol."""
        wanted = await self._symbol(symbol) if symbol else None
        tickers = await self._prices()
        with localcontext(EXACT):
            self._match_all(tickers)
            work = self._loaded().fork()
            out: list[Order] = []
            for order in list(work.orders.values()):
                if order.id in work.orders and (wanted is None or order.symbol == wanted):
                    out.extend(self._cancel(work, work.orders[order.id], "cancelled by request (all)"))
            self._commit(work)
            return out

    async def fetch_order(self, order_id: str) -> Order:
        """One order by id or client id."""
        await self.sync()
        order = self._loaded().find(order_id) or self._ledger.get_order(order_id)
        if order is None:
            raise OrderNotFoundError(f"order {order_id} not found")
        return order

    async def fetch_open_orders(self, symbol: str | None = None) -> list[Order]:
        """Working orders (a bracket's waiting exits included), newest first."""
        wanted = await self._symbol(symbol) if symbol else None
        await self.sync()
        orders = [o for o in self._loaded().orders.values() if wanted is None or o.symbol == wanted]
        return list(reversed(orders))

    async def fetch_closed_orders(self, symbol: str | None = None, limit: int | None = None) -> list[Order]:
        """Filled and cancelled orders, newest first."""
        wanted = await self._symbol(symbol) if symbol else None
        await self.sync()
        return self._ledger.list_orders(wanted, DONE_STATUSES, limit)

    async def fetch_my_trades(self, symbol: str | None = None, limit: int | None = None) -> list[Fill]:
        """Our fills, newest first."""
        wanted = await self._symbol(symbol) if symbol else None
        await self.sync()
        return self._ledger.list_fills(wanted, limit)

    async def fill_window(self, start: datetime | None, stop: datetime | None) -> FillWindow:
        """Fills in [start, stop) with their P&L (trading.pnl.CostedHistory), resting orders matched first."""
        await self.sync()
        return ledger_window(self._ledger, start, stop)

    async def fill_pnl(self, fill: Fill) -> Decimal | None:
        """A recorded fill's realised P&L (None: a buy, or a sale closing nothing)."""
        return ledger_fill_pnl(self._ledger, fill)

    # ---- internals ----------------------------------------------------------------------------------

    def _loaded(self) -> PaperBook:
        """The book, funding a fresh ledger with the starting balance on first use."""
        if self._book is not None:
            return self._book
        if getattr(self._ledger, "mode", Mode.PAPER) is not Mode.PAPER:
            raise PermissionDeniedError("the paper exchange refuses a LIVE database")
        snap = self._ledger.load_paper()
        if snap is None:
            self._ledger.commit_paper(PaperChange(balances={self.terms.quote_currency: self._starting_balance}))
            snap = PaperSnapshot({self.terms.quote_currency: self._starting_balance}, [], {}, [])
            log.info("paper account funded with {} {}", self._starting_balance, self.terms.quote_currency)
        self._book = PaperBook.from_snapshot(snap)
        return self._book

    async def _markets_cached(self) -> dict[str, Market]:
        if self._markets is None:
            self._markets = await self._feed.load_markets()
        return self._markets

    async def _symbol(self, text: str) -> str:
        return resolve_pair(text, await self._markets_cached())

    async def _market(self, text: str) -> Market:
        markets = await self._markets_cached()
        return markets[resolve_pair(text, markets)]

    async def _prices(self, *extra: str) -> dict[str, Ticker]:
        """Tickers for every symbol with an OPEN order, plus extra ones (and the candles post-only orders need)."""
        symbols = {o.symbol for o in self._loaded().orders.values() if o.status is OrderStatus.OPEN} | set(extra)
        if symbols:
            await self._markets_cached()  # matching needs each symbol's rules
        await self._scan_candles()
        return {s: await self._feed.fetch_ticker(s) for s in sorted(symbols)}

    async def _scan_candles(self) -> None:
        """Mark the resting post-only orders whose limit a candle traded through (module notes), once per period."""
        resting = [o for o in self._loaded().orders.values() if o.post_only and o.status is OrderStatus.OPEN
                   and o.type is OrderType.LIMIT and o.id not in self._through]
        if not resting:
            return
        now = self._clock.now()
        period = _period(now)
        for symbol in sorted({o.symbol for o in resting}):
            if self._scanned.get(symbol) == period:
                continue
            mine = [o for o in resting if o.symbol == symbol]
            since = _period(min(o.created_at for o in mine))
            wanted = min(int((period - since) / CANDLE) + 1, MAX_CANDLES)
            try:
                candles = await self._feed.fetch_ohlcv(symbol, "5m", since=since, limit=wanted)
            except ZynError as exc:  # the ticker still fills what trades through; the candles are read next time
                log.warning("paper: candles of {} not read for its post-only orders: {}", symbol, exc.message)
                continue
            for order in mine:
                seen = [c for c in candles if c.timestamp >= order.created_at]  # wholly after its placement
                if any(c.low < order.price if order.side is Side.BUY else c.high > order.price for c in seen):
                    self._through.add(order.id)
            self._scanned[symbol] = period

    def _commit(self, work: PaperBook) -> None:
        """Persist the fork's change, then adopt it; a failed commit leaves memory as it was."""
        change = work.change()
        if not change.empty():
            self._ledger.commit_paper(change)
        self._book = work
        for f in change.fills:
            log.info("paper fill {} {} {} @ {} fee {} {} ({}) order {}", f.side.value, checks.plain(f.amount),
                     f.symbol, checks.plain(f.price), checks.plain(f.fee), f.fee_currency, f.liquidity.value,
                     f.order_id)

    def _match_all(self, tickers: dict[str, Ticker]) -> list[Fill]:
        """One price check over every symbol, committed as one change."""
        book = self._loaded()
        if not any(o.status is OrderStatus.OPEN for o in book.orders.values()):
            return []
        work = book.fork()
        markets = self._markets or {}
        for symbol, ticker in tickers.items():
            if symbol in markets:
                self._match(work, markets[symbol], ticker)
        self._commit(work)
        return work.new_fills

    def _match(self, work: PaperBook, market: Market, ticker: Ticker) -> None:
        """Fill every OPEN order of a symbol that the ticker crosses (repeat: fills can open exits)."""
        for _ in range(8):
            due = []
            for order in work.orders.values():
                if order.symbol == market.symbol and order.status is OrderStatus.OPEN:
                    hit = self._crossing(order, ticker, market)
                    if hit is not None:
                        due.append((order.id, *hit))
            if not due:
                return
            for order_id, price, liquidity in due:
                current = work.orders.get(order_id)
                if current is not None and current.status is OrderStatus.OPEN:  # OCO may have cancelled it
                    self._fill(work, current, price, liquidity, market)

    def _crossing(self, order: Order, ticker: Ticker, market: Market) -> tuple[Decimal, Liquidity] | None:
        """(price, liquidity) if the ticker fills or triggers the order, else None."""
        buy = order.side is Side.BUY
        if order.type is OrderType.LIMIT and order.post_only:  # only when price trades through it (module notes)
            through = order.id in self._through or (ticker.ask < order.price if buy else ticker.bid > order.price)
            return (order.price, Liquidity.MAKER) if through else None
        if order.type is OrderType.LIMIT:
            crossed = ticker.ask <= order.price if buy else ticker.bid >= order.price
            return (order.price, Liquidity.MAKER) if crossed else None
        if order.type is OrderType.MARKET:
            return self.terms.market_price(order.side, ticker, market), Liquidity.TAKER
        return (self.terms.market_price(order.side, ticker, market), Liquidity.TAKER) \
            if self._triggered(order.type, order.side, order.stop_price, ticker) else None

    @staticmethod
    def _triggered(otype: OrderType, side: Side, stop: Decimal, ticker: Ticker) -> bool:
        """Stop-loss: sell when bid <= stop, buy when ask >= stop; take-profit the other way round."""
        if otype is OrderType.STOP_LOSS:
            return ticker.bid <= stop if side is Side.SELL else ticker.ask >= stop
        return ticker.bid >= stop if side is Side.SELL else ticker.ask <= stop

    def _fill(self, work: PaperBook, order: Order, price: Decimal, liquidity: Liquidity, market: Market) -> None:
        """Execute an order in full at price; a triggered order the funds no longer cover is cancelled."""
        now = self._clock.now()
        amount = order.remaining
        cost = amount * price
        fee = self.terms.fee(cost, liquidity)
        asset, need = (market.quote, cost + fee) if order.side is Side.BUY else (market.base, amount)
        available = work.free(asset, self.terms, exclude=work.siblings(order))
        if need > available:
            reason = (f"insufficient {asset} when triggered: need {checks.show(asset, need)}, "
                      f"free {checks.show(asset, available)}")
            log.warning("paper order {} cancelled: {}", order.id, reason)
            for sibling in work.siblings(order):
                if sibling in work.orders:
                    self._cancel(work, work.orders[sibling], reason)
            return
        fill = Fill(id=derived_id("T", order.id), order_id=order.id, client_id=order.client_id, symbol=order.symbol,
                    side=order.side, amount=amount, price=price, fee=fee, fee_currency=market.quote,
                    liquidity=liquidity, timestamp=now, source=order.source, strategy=order.strategy)
        work.apply_fill(fill, now)
        work.put_order(order.evolve(status=OrderStatus.CLOSED, filled=order.filled + amount, average=price,
                                    fee=order.fee + fee, fee_currency=market.quote, updated_at=now))
        if order.bracket_id:
            self._bracket_filled(work, order)

    def _place(self, work: PaperBook, req: OrderRequest, market: Market, ticker: Ticker, auto_adjust: bool,
               *, bracket_id: str | None = None) -> Order:
        """Validate a request against the book, and add it (filling at once if it crosses)."""
        amount = checks.amount_on_step(req.amount, market, auto_adjust)
        side, otype = Side(req.side), OrderType(req.type)
        price = stop = None
        if otype is OrderType.LIMIT:
            if req.price is None or req.stop_price is not None:
                raise InvalidOrderError("a limit order takes a price and no trigger price")
            price = checks.price_on_step("price", req.price, market, auto_adjust)
        elif otype in (OrderType.STOP_LOSS, OrderType.TAKE_PROFIT):
            if req.stop_price is None or req.price is not None:
                raise InvalidOrderError(f"a {otype.value} order takes a trigger price and no limit price")
            stop = checks.price_on_step("trigger price", req.stop_price, market, auto_adjust)
        elif req.price is not None or req.stop_price is not None:
            raise InvalidOrderError("a market order takes no price; use a limit order")
        if req.post_only:
            if otype is not OrderType.LIMIT:
                raise InvalidOrderError("only a limit order can be post-only")
            checks.refuse_taking(side, price, ticker)
        self._check_client_id(work, req.client_id)
        now = self._clock.now()
        order = Order(id=self._new_id(), client_id=req.client_id, symbol=market.symbol, side=side, type=otype,
                      amount=amount, status=OrderStatus.OPEN, created_at=now, updated_at=now, price=price,
                      stop_price=stop, bracket_id=bracket_id, source=req.source, strategy=req.strategy,
                      post_only=bool(req.post_only))
        hit = self._crossing(order, ticker, market)
        if hit is not None and otype is OrderType.LIMIT:  # marketable: takes the touch, not the limit
            hit = (ticker.ask if side is Side.BUY else ticker.bid), Liquidity.TAKER
        reference = hit[0] if hit is not None else (price or stop)
        checks.minimums(amount, reference, market)
        if hit is not None:
            cost = amount * hit[0]
            need = cost + self.terms.fee(cost, hit[1]) if side is Side.BUY else amount
        else:
            need = self.terms.hold(order)[1]
        asset = market.quote if side is Side.BUY else market.base
        checks.funds(asset, need, work.free(asset, self.terms))
        work.put_order(order)
        if hit is not None:
            self._fill(work, order, hit[0], hit[1], market)
        return order

    def _check_client_id(self, work: PaperBook, client_id: str) -> None:
        """A client id names one order forever (retries look orders up by it)."""
        existing = work.find(client_id) or self._ledger.get_order(client_id)
        if existing is not None:
            raise InvalidOrderError(f"client id {client_id} is already used by order {existing.id}")


def _period(when: datetime) -> datetime:
    """The start of the 5-minute period holding `when` (candles open on these)."""
    return when.replace(second=0, microsecond=0) - timedelta(minutes=when.minute % 5)

