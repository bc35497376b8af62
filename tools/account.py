"""Read-only tools about the account: portfolio and trade history."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic import Field

from tools.base import Args
from tools.context import ToolContext
from tools.market import resolve_symbol
from tools.results import PortfolioResult, PositionLine, TradesResult, amount_str, money
from trading.domain import ZERO, Balance, Mode, Position
from trading.errors import ZynError
from trading.exchange.base import PositionBook


class PortfolioArgs(Args):
    pass


class TradesArgs(Args):
    symbol: str | None = Field(None, max_length=30)
    limit: int = Field(50, ge=1, le=1000)


async def get_portfolio(ctx: ToolContext, args: PortfolioArgs) -> PortfolioResult:
    """Balances, positions with marks, equity and P&L in the quote currency."""
    ex = ctx.exchange
    balances = await ex.fetch_balances()
    markets = await ex.load_markets()
    quote = ctx.quote_currency
    if isinstance(ex, PositionBook):
        positions = await ex.positions()
    else:  # LIVE spot: holdings without a known cost basis
        positions = {f"{a}/{quote}": Position(symbol=f"{a}/{quote}", amount=b.total, avg_price=ZERO)
                     for a, b in balances.items() if a != quote and b.total > 0 and f"{a}/{quote}" in markets}
    lines: list[PositionLine] = []
    equity: Decimal | None = balances[quote].total if quote in balances else ZERO
    unrealized = ZERO
    held = {p.symbol.split("/")[0] for p in positions.values()}
    for symbol, pos in sorted(positions.items()):
        mark = value = upnl = None
        if pos.amount > 0:
            try:
                mark = (await ex.fetch_ticker(symbol)).bid
            except ZynError:
                mark = None
            if mark is not None:
                value = mark * pos.amount
                if ctx.mode is Mode.PAPER or pos.avg_price > 0:
                    upnl = pos.unrealized_pnl(mark)
                    unrealized += upnl
        if equity is not None:
            equity = equity + value if value is not None else (equity if pos.amount == 0 else None)
        lines.append(PositionLine(position=pos, mark=mark, value=value, unrealized_pnl=upnl))
    if equity is not None and any(a not in held and a != quote and b.total > 0 for a, b in balances.items()):
        equity = None  # an asset we cannot value in the quote currency
    return PortfolioResult(
        mode=ctx.mode, source=ctx.source, quote_currency=quote,
        balances=[balances[a] for a in sorted(balances)], positions=lines, equity=equity,
        realized_pnl=sum((p.realized_pnl for p in positions.values()), ZERO), unrealized_pnl=unrealized,
        fees_paid=sum((p.fees_paid for p in positions.values()), ZERO), time=ctx.clock.now())


async def trade_history(ctx: ToolContext, args: TradesArgs) -> TradesResult:
    """Our fills, newest first."""
    symbol = await resolve_symbol(ctx, args.symbol) if args.symbol else None
    return TradesResult(fills=await ctx.exchange.fetch_my_trades(symbol, limit=args.limit))


@dataclass(frozen=True)
class BalancesResult:
    balances: list[Balance]
    mode: Mode
    source: str

    def text(self) -> str:
        if not self.balances:
            return f"No balances ({self.mode.value})."
        return f"Balances ({self.mode.value}): " + ", ".join(
            f"{b.asset} {amount_str(b.total)}" + (f" ({amount_str(b.used)} held)" if b.used else "")
            for b in self.balances)


@dataclass(frozen=True)
class PositionsResult:
    positions: list[PositionLine]
    quote: str
    source: str

    def text(self) -> str:
        open_lines = [p for p in self.positions if p.position.amount > 0]
        if not open_lines:
            return "No open positions."
        return "Positions: " + "; ".join(
            f"{p.position.symbol} {amount_str(p.position.amount)} avg {money(p.position.avg_price)}"
            f" mark {money(p.mark)} P&L {money(p.unrealized_pnl)} {self.quote}" for p in open_lines)


async def get_balances(ctx: ToolContext, args: PortfolioArgs) -> BalancesResult:
    """Balances per asset, with what open orders hold."""
    balances = await ctx.exchange.fetch_balances()
    return BalancesResult(balances=[balances[a] for a in sorted(balances)], mode=ctx.mode, source=ctx.source)


async def get_positions(ctx: ToolContext, args: PortfolioArgs) -> PositionsResult:
    """Open positions with average cost, mark and unrealised P&L."""
    folio = await get_portfolio(ctx, args)
    return PositionsResult(positions=folio.positions, quote=folio.quote_currency, source=folio.source)
