"""The emergency flatten: cancel every open order and sell every holding at market."""

from __future__ import annotations

from trading.domain import OrderRequest, OrderType, Side, quantize_down
from trading.exchange.base import Exchange


async def flatten_all(exchange: Exchange, quote: str, source: str | None = None) -> list[str]:
    """Emergency: cancel every open order and sell every holding at market. Returns the sell order ids.

    source: who asked (trading.attribution), recorded on the sell orders."""
    await exchange.cancel_all()
    markets = await exchange.load_markets()
    ids = []
    for asset, bal in (await exchange.fetch_balances()).items():
        symbol = f"{asset}/{quote}"
        if asset == quote or symbol not in markets or bal.free <= 0:
            continue
        market = markets[symbol]
        amount = quantize_down(bal.free, market.amount_step)
        if amount < market.min_amount:
            continue
        order = await exchange.create_order(OrderRequest(symbol=symbol, side=Side.SELL, type=OrderType.MARKET,
                                                         amount=amount, source=source))
        ids.append(order.id)
    return ids
