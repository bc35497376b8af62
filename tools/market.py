"""Read-only tools about the service and the market: status and prices."""

from __future__ import annotations

from pydantic import Field

from tools.base import Args
from tools.context import ToolContext
from tools.results import PriceResult, StatusResult
from trading.errors import UnknownPairError, ZynError
from trading.pairs import asset_name, resolve_pair


class NoArgs(Args):
    pass


class PriceArgs(Args):
    symbol: str = Field(min_length=1, max_length=30, description="pair, e.g. BTC/USD")


async def resolve_symbol(ctx: ToolContext, text: str) -> str:
    """Unified symbol for a user's spelling of a pair that the exchange trades."""
    markets = await ctx.exchange.load_markets()
    try:
        return resolve_pair(text, markets)
    except UnknownPairError:
        alone = f"{asset_name(text.strip().upper())}/{ctx.quote_currency}"  # "eth" means ETH/USD
        if alone in markets:
            return alone
        raise


async def get_status(ctx: ToolContext, args: NoArgs) -> StatusResult:
    """Mode, data source, connectivity, credentials (present or not), log level."""
    if ctx.probe is not None:
        try:
            connectivity = await ctx.probe()
        except ZynError as exc:
            connectivity = f"failed: {exc.message}"
    else:
        connectivity = "unknown"
    return StatusResult(mode=ctx.mode, data_source=ctx.source, connectivity=connectivity,
                        credentials_present=ctx.credentials_present, log_level=ctx.log_level,
                        database=ctx.database, time=ctx.clock.now(),
                        service=ctx.liveness().text(ctx.clock.now()) if ctx.liveness is not None else "",
                        **_autopilot_lines(ctx))


def _autopilot_lines(ctx: ToolContext) -> dict[str, str]:
    """The universe and the daily profit target, where the mode's database is open (chat; not `zyn status`, whose
    database opens only when used: it stays fast, and `zyn auto-status` shows both)."""
    if ctx.store is None or getattr(ctx.store, "opened", True) is False:
        return {}
    from tools.universe import profit_target_line, universe_line

    try:
        return {"universe": universe_line(ctx), "profit_target": profit_target_line(ctx)}
    except Exception:  # noqa: BLE001 - the status answers even when these cannot be read
        return {}


async def get_price(ctx: ToolContext, args: PriceArgs) -> PriceResult:
    """Current bid, ask and last price of a pair."""
    symbol = await resolve_symbol(ctx, args.symbol)
    return PriceResult(ticker=await ctx.exchange.fetch_ticker(symbol))
