"""Realised P&L of closing fills: average cost with buy fees, partial and over-sized sales."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from trading.domain import Fill, Liquidity, Side
from trading.pnl import closing_pnls, pnl_of

T0 = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)


def fill(i: int, side: Side, amount: str, price: str, fee: str, symbol: str = "BTC/USD") -> Fill:
    return Fill(id=f"T{i}", order_id=f"O{i}", client_id=f"c{i}", symbol=symbol, side=side, amount=D(amount),
                price=D(price), fee=D(fee), fee_currency="USD", liquidity=Liquidity.TAKER,
                timestamp=T0 + timedelta(minutes=i))


def test_average_cost_with_fees_partial_and_unmatched_sales() -> None:
    history = [fill(1, Side.BUY, "0.1", "60000", "15"), fill(2, Side.BUY, "0.1", "62000", "15.5"),
               fill(3, Side.SELL, "0.05", "63000", "7.875"), fill(4, Side.SELL, "0.2", "61000", "30"),
               fill(5, Side.SELL, "0.01", "61000", "1.5", symbol="ETH/USD")]
    pnls = {f.id: p for f, p in closing_pnls(history)}
    avg = (D("6000") + D("15") + D("6200") + D("15.5")) / D("0.2")  # 61,152.5 per BTC, fees included
    assert pnls["T3"] == (D("63000") - avg) * D("0.05") - D("7.875")
    # Only the 0.15 still held has a cost basis; the sale's fee is counted for that part.
    assert pnls["T4"] == (D("61000") - avg) * D("0.15") - D("30") * D("0.15") / D("0.2")
    assert "T5" not in pnls  # ETH never bought here: no P&L claimed
    assert pnl_of(history[2], reversed(history)) == pnls["T3"]  # any order in, time order used
    assert pnl_of(history[0], history) is None  # a buy closes nothing
