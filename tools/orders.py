"""Trading tools: place orders and brackets, cancel, list."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from tools.base import Args
from tools.context import ToolContext
from tools.market import resolve_symbol
from tools.results import CancelResult, OrderResult, OrdersResult, amount_str, money
from tools.unknown import OrderUnknownResult, keep_unknown, settle_sent, write_ahead
from trading.domain import (
    BracketRequest,
    Mode,
    Order,
    OrderRequest,
    OrderType,
    Side,
    quantize_down,
    quantize_up,
)
from trading.errors import InputError, OrderOutcomeUnknownError, ZynError


class PlaceOrderArgs(Args):
    symbol: str = Field(min_length=1, max_length=30, description="pair, e.g. BTC/USD")
    side: Side
    amount: Decimal | None = Field(None, gt=0, allow_inf_nan=False, description="amount in the base currency")
    quote_amount: Decimal | None = Field(None, gt=0, allow_inf_nan=False,
                                         description="or: how much quote currency to spend/receive, e.g. 200 USD")
    type: Literal["market", "limit", "stop-loss", "take-profit"] = "market"
    price: Decimal | None = Field(None, gt=0, allow_inf_nan=False, description="limit price")
    trigger: Decimal | None = Field(None, gt=0, allow_inf_nan=False, description="stop-loss/take-profit trigger")
    stop: Decimal | None = Field(None, gt=0, allow_inf_nan=False, description="bracket stop-loss price")
    take_profit: Decimal | None = Field(None, gt=0, allow_inf_nan=False, description="bracket target price")
    stop_pct: Decimal | None = Field(None, gt=0, lt=100, allow_inf_nan=False,
                                     description="bracket stop as a percentage away from the entry")
    take_profit_pct: Decimal | None = Field(None, gt=0, le=1000, allow_inf_nan=False,
                                            description="bracket target as a percentage away from the entry")
    validate_only: bool = False
    auto_adjust: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> PlaceOrderArgs:
        if (self.amount is None) == (self.quote_amount is None):
            raise ValueError("give either an amount of coin or a quote amount to spend (not both)")
        if self.stop is not None and self.stop_pct is not None:
            raise ValueError("give the stop as a price or as a percentage, not both")
        if self.take_profit is not None and self.take_profit_pct is not None:
            raise ValueError("give the take-profit as a price or as a percentage, not both")
        if self.type == "limit" and self.price is None:
            raise ValueError("a limit order needs a price")
        if self.type == "market" and self.price is not None:
            raise ValueError("a market order takes no price; use type limit")
        if self.type in ("stop-loss", "take-profit") and self.trigger is None:
            raise ValueError(f"a {self.type} order needs a trigger price")
        has_stop = self.stop is not None or self.stop_pct is not None
        has_target = self.take_profit is not None or self.take_profit_pct is not None
        if has_stop != has_target:
            raise ValueError("a bracket needs both a stop and a take-profit price")
        if has_stop and self.type not in ("market", "limit"):
            raise ValueError("a bracket's entry is a market or limit order")
        return self

    @property
    def is_bracket(self) -> bool:
        return self.stop is not None or self.stop_pct is not None


class BracketArgs(PlaceOrderArgs):
    """place_bracket_order: the same arguments, but a stop and a target are required."""

    @model_validator(mode="after")
    def _needs_exits(self) -> BracketArgs:
        if not self.is_bracket:
            raise ValueError("a bracket order needs a stop and a take-profit (prices or percentages)")
        return self


class CancelArgs(Args):
    order_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")


class CancelAllArgs(Args):
    symbol: str | None = Field(None, max_length=30)


class ListOrdersArgs(Args):
    closed: bool = False
    symbol: str | None = Field(None, max_length=30)
    limit: int = Field(50, ge=1, le=1000)


def _record(ctx: ToolContext, *orders: Order) -> None:
    """LIVE orders are journaled in the live database (PAPER ones already are, by the simulator)."""
    if ctx.mode is Mode.LIVE:
        for order in orders:
            if order.id:
                ctx.journal.record_order(order)


async def place_order(ctx: ToolContext, args: PlaceOrderArgs) -> OrderResult | OrderUnknownResult:
    """Place a market, limit, stop-loss or take-profit order, or a bracket (entry + stop + target)."""
    ex = ctx.orders_exchange("place an order")
    if args.validate_only and ctx.mode is Mode.PAPER:
        raise InputError("validation-only orders are a LIVE feature; in PAPER orders simply execute")
    symbol = await resolve_symbol(ctx, args.symbol)
    extra = {"auto_adjust": True} if args.auto_adjust and ctx.mode is Mode.PAPER else {}
    args = await _resolve_amounts(ctx, symbol, args)
    if args.is_bracket:
        if args.validate_only:
            raise InputError("a bracket cannot be validated only; validate its entry order instead")
        breq = BracketRequest(symbol=symbol, side=args.side, amount=args.amount, stop_price=args.stop,
                              take_profit_price=args.take_profit, entry_price=args.price, source=ctx.order_source)
        ahead = write_ahead(ctx, client_id=breq.client_id, symbol=symbol, side=args.side.value,
                            order_type="limit" if args.price is not None else "market", amount=args.amount,
                            price=args.price, bracket=True)
        try:
            bracket = await ex.create_bracket(breq, **extra)
        except OrderOutcomeUnknownError as exc:  # maybe placed: kept and checked, never a plain failure
            return keep_unknown(ctx, exc, bracket=True)
        except ZynError as exc:  # Kraken answered (refused) or it was never sent: the person hears why
            if ahead:
                settle_sent(ctx, breq.client_id, placed=False, note=exc.message)
            raise
        entry = await ex.fetch_order(bracket.entry_order_id)
        children = [await ex.fetch_order(i) for i in (bracket.stop_order_id, bracket.take_profit_order_id) if i]
        _record(ctx, entry, *children)
        if ahead:
            settle_sent(ctx, breq.client_id, placed=True, order_id=entry.id)
        return OrderResult(order=entry, bracket=bracket, children=children, source=ex.source)
    otype = OrderType(args.type)
    request = OrderRequest(symbol=symbol, side=args.side, type=otype, amount=args.amount, price=args.price,
                           stop_price=args.trigger, validate_only=args.validate_only, source=ctx.order_source)
    # LIVE: the intent is on disk before AddOrder goes out; a crash before the journal leaves it to the reconciler.
    ahead = not args.validate_only and write_ahead(
        ctx, client_id=request.client_id, symbol=symbol, side=args.side.value, order_type=otype.value,
        amount=args.amount, price=args.price if args.price is not None else args.trigger, bracket=False)
    try:
        order = await ex.create_order(request, **extra)
    except OrderOutcomeUnknownError as exc:
        return keep_unknown(ctx, exc, bracket=False)
    except ZynError as exc:
        if ahead:
            settle_sent(ctx, request.client_id, placed=False, note=exc.message)
        raise
    if not args.validate_only:
        _record(ctx, order)
    if ahead:
        settle_sent(ctx, request.client_id, placed=True, order_id=order.id)
    return OrderResult(order=order, validated_only=args.validate_only, source=ex.source)


async def _resolve_amounts(ctx: ToolContext, symbol: str, args: PlaceOrderArgs) -> PlaceOrderArgs:
    """Turn a quote amount into coin and percentage exits into prices, on the market's steps."""
    if args.quote_amount is None and args.stop_pct is None and args.take_profit_pct is None:
        return args
    market = (await ctx.exchange.load_markets())[symbol]
    ticker = await ctx.exchange.fetch_ticker(symbol)
    ref = args.price or (ticker.ask if args.side is Side.BUY else ticker.bid)
    update: dict[str, object] = {"quote_amount": None, "stop_pct": None, "take_profit_pct": None}
    if args.quote_amount is not None:
        amount = quantize_down(args.quote_amount / ref, market.amount_step)
        if amount <= 0:
            raise InputError(f"{args.quote_amount} {market.quote} buys less than the smallest {market.base} step")
        update["amount"] = amount
    up = Decimal(1) if args.side is Side.BUY else Decimal(-1)  # a sell bracket's exits mirror a buy's
    if args.stop_pct is not None:
        stop = ref * (1 - up * args.stop_pct / 100)
        update["stop"] = quantize_down(stop, market.price_step) if up > 0 else quantize_up(stop, market.price_step)
    if args.take_profit_pct is not None:
        target = ref * (1 + up * args.take_profit_pct / 100)
        update["take_profit"] = (quantize_up(target, market.price_step) if up > 0
                                 else quantize_down(target, market.price_step))
    return args.model_copy(update=update)


async def cancel_order(ctx: ToolContext, args: CancelArgs) -> CancelResult:
    """Cancel one open order by its id or client id."""
    order = await ctx.orders_exchange("cancel an order").cancel_order(args.order_id)
    _record(ctx, order)
    return CancelResult(cancelled=[order])


async def cancel_all(ctx: ToolContext, args: CancelAllArgs) -> CancelResult:
    """Cancel every open order (optionally of one pair)."""
    ex = ctx.orders_exchange("cancel orders")
    symbol = await resolve_symbol(ctx, args.symbol) if args.symbol else None
    orders = await ex.cancel_all(symbol)
    _record(ctx, *orders)
    return CancelResult(cancelled=orders)


def describe_order(args: PlaceOrderArgs, symbol: str | None = None) -> str:
    """What an order call will do, e.g. "buy 200 USD of ETH/USD at market, stop 2%, target 5%"."""
    symbol = symbol or args.symbol
    if args.amount is not None:
        qty = f"{amount_str(args.amount)} {symbol}"
    else:
        quote = symbol.partition("/")[2] or "quote"
        qty = f"{amount_str(args.quote_amount)} {quote} of {symbol}"
    how = {"market": "at market", "limit": f"at limit {amount_str(args.price)}",
           "stop-loss": f"stop-loss at {amount_str(args.trigger)}",
           "take-profit": f"take-profit at {amount_str(args.trigger)}"}[args.type]
    text = f"{args.side.value} {qty} {how}"
    if args.is_bracket:
        stop = amount_str(args.stop) if args.stop is not None else f"{amount_str(args.stop_pct)}%"
        target = amount_str(args.take_profit) if args.take_profit is not None else f"{amount_str(args.take_profit_pct)}%"
        text += f", stop {stop}, target {target}"
    if args.validate_only:
        text += ", validate only"
    return text


async def order_caution(ctx: ToolContext, args: PlaceOrderArgs) -> str | None:
    """Why this order deserves the owner's explicit yes even where the rule would place it at once: a limit or
    trigger that executes immediately (it is on the wrong side of the market), or a buy while the daily-loss
    kill switch is tripped. None when there is nothing to say (or the price cannot be checked right now)."""
    notes: list[str] = []
    if args.side is Side.BUY and _kill_switch_tripped(ctx):
        notes.append("the daily-loss kill switch is TRIPPED today: the autopilot stopped opening trades")
    try:
        symbol = await resolve_symbol(ctx, args.symbol)
        ticker = await ctx.exchange.fetch_ticker(symbol)
    except ZynError:
        return "; ".join(notes) or None
    notes.extend(_fills_now(args, ticker.bid, ticker.ask))
    return "; ".join(notes) or None


FIAT_LIKE = frozenset({"USD", "EUR", "GBP", "CAD", "CHF", "JPY", "AUD", "USDT", "USDC", "DAI"})


def _show(asset: str, value: Decimal) -> str:
    """Money in a fiat-like currency with separators and cents; any other asset as its exact amount."""
    return money(value) if asset in FIAT_LIKE else amount_str(value.normalize())


async def order_funds(ctx: ToolContext, args: PlaceOrderArgs) -> str | None:
    """Why the account cannot do this order now, before anyone is asked to confirm it: the coins to sell, or the
    money to buy with, are not free. None when they are, or when it cannot be checked now (the exchange decides
    then). An amount held by open orders is named: closing it means cancelling those orders first."""
    if args.validate_only:
        return None
    try:
        symbol = await resolve_symbol(ctx, args.symbol)
        market = (await ctx.exchange.load_markets())[symbol]
        balances = await ctx.exchange.fetch_balances()
        ticker = await ctx.exchange.fetch_ticker(symbol)
    except (ZynError, KeyError):
        return None
    if args.side is Side.SELL:
        asset = market.base
        need = args.amount if args.amount is not None else (
            args.quote_amount / ticker.bid if args.quote_amount is not None and ticker.bid else None)
    else:
        asset = market.quote
        price = {"limit": args.price, "stop-loss": args.trigger, "take-profit": args.trigger}.get(args.type) or ticker.ask
        need = args.quote_amount if args.quote_amount is not None else (
            args.amount * price if args.amount is not None and price else None)
    balance = balances.get(asset)
    free = balance.free if balance is not None else Decimal(0)
    if need is None or need <= free:
        return None
    held = balance.total - balance.free if balance is not None else Decimal(0)
    why = f"; {_show(asset, held)} {asset} is held by open orders (see 'orders')" if held > 0 else ""
    return (f"insufficient {asset} for this {args.side.value}: it needs {_show(asset, need)} {asset}, "
            f"{_show(asset, free)} {asset} is free{why}. Nothing was placed")


def _fills_now(args: PlaceOrderArgs, bid: Decimal, ask: Decimal) -> list[str]:
    buy = args.side is Side.BUY
    touch, word = (ask, "ask") if buy else (bid, "bid")
    notes: list[str] = []
    if args.type == "limit" and args.price is not None and (args.price >= ask if buy else args.price <= bid):
        notes.append(f"this limit {args.side.value} at {amount_str(args.price)} fills now at about "
                     f"{amount_str(touch)} (the {word})")
    if args.type == "stop-loss" and args.trigger is not None and (args.trigger <= ask if buy else args.trigger >= bid):
        notes.append(f"a stop at {amount_str(args.trigger)} is already crossed (the {word} is {amount_str(touch)}): "
                     f"it triggers now and {args.side.value}s at about {amount_str(touch)}")
    if args.type == "take-profit" and args.trigger is not None and (
            args.trigger >= ask if buy else args.trigger <= bid):
        notes.append(f"a take-profit at {amount_str(args.trigger)} is already reached (the {word} is "
                     f"{amount_str(touch)}): it triggers now")
    if args.stop is not None and (args.stop >= bid if buy else args.stop <= ask):
        notes.append(f"the bracket's stop {amount_str(args.stop)} is on the wrong side of the market "
                     f"(bid {amount_str(bid)}, ask {amount_str(ask)}): it would close the position at once")
    if args.take_profit is not None and (args.take_profit <= ask if buy else args.take_profit >= bid):
        notes.append(f"the bracket's target {amount_str(args.take_profit)} is already reached "
                     f"(bid {amount_str(bid)}, ask {amount_str(ask)})")
    return notes


def _kill_switch_tripped(ctx: ToolContext) -> bool:
    if ctx.store is None or ctx.trading_config is None:
        return False
    from trading.risk.limits import KillSwitch

    return KillSwitch(ctx.store, ctx.trading_config.risk, ctx.clock).is_tripped()


def validates_only(args: PlaceOrderArgs) -> bool:
    """An order checked by Kraken but never placed (validate=true) changes nothing."""
    return args.validate_only


def describe_cancel(args: CancelArgs, symbol: str | None = None) -> str:
    """What cancel_order will do."""
    return f"cancel order {args.order_id}"


def describe_cancel_all(args: CancelAllArgs, symbol: str | None = None) -> str:
    """What cancel_all will do."""
    return "cancel every open order" + (f" on {args.symbol}" if args.symbol else "")


async def list_orders(ctx: ToolContext, args: ListOrdersArgs) -> OrdersResult:
    """Open orders, or closed ones with closed=True, newest first."""
    symbol = await resolve_symbol(ctx, args.symbol) if args.symbol else None
    if args.closed:
        orders = await ctx.exchange.fetch_closed_orders(symbol, limit=args.limit)
    else:
        orders = (await ctx.exchange.fetch_open_orders(symbol))[: args.limit]
    return OrdersResult(orders=orders, closed=args.closed)
