"""Read-only tools about the account: portfolio and trade history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pydantic import AwareDatetime, Field

from tools.balance_check import checked_balances, remember
from tools.base import Args
from tools.context import ToolContext
from tools.market import resolve_symbol
from tools.results import PortfolioResult, PositionLine, TradesResult, amount_str, asset_amount, money
from tools.window import Window
from trading.domain import ZERO, Balance, Fill, Mode, Position
from trading.errors import ZynError
from trading.exchange.base import PositionBook
from trading.pnl import read_window


class PortfolioArgs(Args):
    pass


class BalancesArgs(Args):
    asset: str | None = Field(None, max_length=10, description="one asset, e.g. USD or BTC")


class TradesArgs(Args):
    symbol: str | None = Field(None, max_length=30)
    limit: int = Field(50, ge=1, le=1000)
    since: AwareDatetime | None = Field(None, description="only fills at or after this time")
    until: AwareDatetime | None = Field(None, description="only fills before this time")


async def get_portfolio(ctx: ToolContext, args: PortfolioArgs) -> PortfolioResult:
    """Balances, positions with marks, equity and P&L in the quote currency."""
    ex = ctx.exchange
    checked = await checked_balances(ctx)
    balances = checked.balances
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
    if checked.as_of is not None:  # Kraken's answer contradicted what Zyn knows: the last good equity, dated
        equity, unrealized = checked.equity, ZERO
    remember(ctx, checked, equity)
    return PortfolioResult(
        mode=ctx.mode, source=ctx.source, quote_currency=quote,
        balances=[balances[a] for a in sorted(balances)], positions=lines, equity=equity,
        realized_pnl=sum((p.realized_pnl for p in positions.values()), ZERO), unrealized_pnl=unrealized,
        fees_paid=sum((p.fees_paid for p in positions.values()), ZERO), time=ctx.clock.now(),
        warning=checked.warning, as_of=checked.as_of)


async def trade_history(ctx: ToolContext, args: TradesArgs) -> TradesResult | WindowTradesResult:
    """Our fills, newest first; with since/until only the fills inside that window, counted, with order ids."""
    symbol = await resolve_symbol(ctx, args.symbol) if args.symbol else None
    if args.since is None and args.until is None:
        return TradesResult(fills=await ctx.exchange.fetch_my_trades(symbol, limit=args.limit))
    Window(args.since, args.until)  # refuses an empty or reversed window in one line
    # Only the window's fills (the stored window where the exchange keeps one: no cap, no full replay), newest first.
    stored = await read_window(ctx.exchange, args.since, args.until)
    fills = [w.fill for w in reversed(stored.fills) if symbol is None or w.fill.symbol == symbol]
    return WindowTradesResult(fills=fills[: args.limit], count=len(fills), since=args.since, until=args.until,
                              zone=ctx.timezone, symbol=symbol)


@dataclass(frozen=True)
class WindowTradesResult:
    fills: list[Fill]
    count: int  # every fill inside the window (more than shown when the limit cut the list)
    since: datetime | None
    until: datetime | None
    zone: str
    symbol: str | None

    @property
    def order_ids(self) -> list[str]:
        return list(dict.fromkeys(f.order_id for f in self.fills if f.order_id))

    def text(self) -> str:
        who = f" of {self.symbol}" if self.symbol else ""
        head = f"Fills{who} {Window(self.since, self.until).words(self.zone)}: {self.count}"
        if not self.fills:
            return head + "."
        shown = "" if self.count <= len(self.fills) else f" (newest {len(self.fills)} shown)"
        ids = f"; orders {', '.join(self.order_ids)}" if self.order_ids else ""
        return "\n".join([f"{head}{shown}{ids}.", TradesResult(self.fills).text()])


@dataclass(frozen=True)
class BalancesResult:
    balances: list[Balance]
    mode: Mode
    source: str
    warning: str = ""
    as_of: datetime | None = None  # the figures are the last good ones from then (Kraken's answer contradicted)

    def text(self) -> str:
        head = f"⚠️ {self.warning}\n" if self.warning else ""
        when = f", as of {self.as_of:%H:%M} UTC" if self.as_of else ""
        if not self.balances:
            return f"{head}No balances ({self.mode.value}{when})."
        return f"{head}Balances ({self.mode.value}{when}): " + ", ".join(
            f"{b.asset} {asset_amount(b.asset, b.total)}" + (f" ({asset_amount(b.asset, b.used)} held)" if b.used else "")
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


async def get_balances(ctx: ToolContext, args: BalancesArgs) -> BalancesResult:
    """Balances per asset (or of one asset, zero when none is held), with what open orders hold."""
    checked = await checked_balances(ctx)
    balances = checked.balances
    remember(ctx, checked, None)
    if args.asset:
        asset = args.asset.upper()
        asset = "BTC" if asset == "XBT" else asset
        shown = [balances.get(asset, Balance(asset=asset, total=ZERO))]
    else:
        shown = [balances[a] for a in sorted(balances)]
    return BalancesResult(balances=shown, mode=ctx.mode, source=ctx.source, warning=checked.warning,
                          as_of=checked.as_of)


async def get_positions(ctx: ToolContext, args: PortfolioArgs) -> PositionsResult:
    """Open positions with average cost, mark and unrealised P&L."""
    folio = await get_portfolio(ctx, args)
    return PositionsResult(positions=folio.positions, quote=folio.quote_currency, source=folio.source)
