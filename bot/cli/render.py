"""Rich rendering of tool results for the terminal."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tools.results import (
    CancelResult,
    OrderResult,
    OrdersResult,
    PortfolioResult,
    PriceResult,
    StatusResult,
    TradesResult,
    amount_str,
    asset_amount,
    money,
)
from trading.domain import Order

console = Console(highlight=False, soft_wrap=True)


def _source_note(source: str) -> str:
    """What the bundled replay's prices really are, in one yellow line; nothing for Kraken's own prices, nor for
    a replay of stored real candles (its source says what it is)."""
    from trading.exchange.feeds.replay import REPLAY_SOURCE

    if REPLAY_SOURCE not in source:
        return ""
    from rich.markup import escape

    from trading.exchange.feeds.provenance import replay_note

    return f" [bold yellow]({escape(replay_note())})[/]"


def _status(r: StatusResult) -> None:
    t = Table(title="Zyn status", show_header=False)
    t.add_column(style="bold")
    t.add_column()
    mode = "[bold red]LIVE[/]" if r.mode.value == "live" else "[bold green]PAPER[/] (simulated money)"
    t.add_row("Mode", mode)
    from trading.exchange.feeds.replay import REPLAY_SOURCE

    if r.data_source == REPLAY_SOURCE:  # the bundled replay: its note says what it is, once
        from trading.exchange.feeds.provenance import replay_note

        t.add_row("Data source", f"[bold yellow]{escape(replay_note())}[/]")
    else:
        t.add_row("Data source", r.data_source + _source_note(r.data_source))
    t.add_row("Connectivity", r.connectivity)
    t.add_row("Kraken credentials", "present" if r.credentials_present else "not set")
    t.add_row("Log level", r.log_level)
    t.add_row("Database", r.database)
    t.add_row("Time (UTC)", f"{r.time:%Y-%m-%d %H:%M:%S}")
    if r.service:
        t.add_row("Service", r.service if "running" in r.service else f"[bold red]{r.service}[/]")
    console.print(t)


def _prices(rs: list[PriceResult]) -> None:
    from trading.exchange.feeds.replay import REPLAY_SOURCE

    t = Table(title="Ticker")
    for col in ("Pair", "Bid", "Ask", "Last", "24h low", "24h high", "Source"):
        # Prices are never cut to "87,925.…" on a narrow terminal: the source column wraps instead.
        t.add_column(col, justify="left" if col in ("Pair", "Source") else "right", no_wrap=col != "Source",
                     overflow="fold", min_width=7 if col == "Source" else len(col))
    for r in rs:
        k = r.ticker
        # The bundled replay's long label is said once below the table (what its prices really are).
        source = "replay*" if REPLAY_SOURCE in k.source else k.source
        t.add_row(k.symbol, money(k.bid), money(k.ask), money(k.last), money(k.low_24h), money(k.high_24h), source)
    console.print(t)
    notes = [n for n in (_source_note(r.ticker.source) for r in rs) if n]
    if notes:
        from trading.exchange.feeds.provenance import replay_note

        console.print(f"[bold yellow]* {escape(replay_note())}[/]")


def _portfolio(r: PortfolioResult) -> None:
    if r.warning:
        console.print(f"[bold yellow]⚠ {escape(r.warning)}[/]")
    when = f", as of {r.as_of:%Y-%m-%d %H:%M} UTC" if r.as_of else ""
    t = Table(title=f"Balances ({r.mode.value.upper()}{when})")
    for col in ("Asset", "Total", "Held", "Free"):
        t.add_column(col, justify="left" if col == "Asset" else "right")
    for b in r.balances:
        t.add_row(b.asset, asset_amount(b.asset, b.total), asset_amount(b.asset, b.used), asset_amount(b.asset, b.free))
    console.print(t)
    if r.positions:
        p = Table(title="Positions")
        for col in ("Pair", "Amount", "Avg cost", "Mark", "Value", "Unrealised", "Realised", "Fees"):
            p.add_column(col, justify="left" if col == "Pair" else "right")
        for line in r.positions:
            pos = line.position
            p.add_row(pos.symbol, amount_str(pos.amount), money(pos.avg_price) if pos.avg_price else "-",
                      money(line.mark), money(line.value), money(line.unrealized_pnl), money(pos.realized_pnl),
                      money(pos.fees_paid, 4))
        console.print(p)
    equity = money(r.equity) if r.equity is not None else "unknown"
    when = f" (as of {r.as_of:%H:%M} UTC)" if r.as_of else ""
    console.print(f"Equity [bold]{equity} {r.quote_currency}[/]{when} · realised {money(r.realized_pnl)} · "
                  f"unrealised {money(r.unrealized_pnl)} · fees {money(r.fees_paid, 4)}{_source_note(r.source)}")


def _orders_table(orders: list[Order], title: str) -> Table:
    """Orders, with ids never truncated (`zyn cancel` needs them); narrow terminals drop fee and time, and under
    100 columns one price column shows the fill (else the order's price), so the status is never cut to "clos…"."""
    wide, split = console.width >= 110, console.width >= 100
    t = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    cols = (["ID", "Pair", "Order", "Amount"] + (["Price", "Avg fill"] if split else ["Price/fill"]) + ["Status"]
            + (["Fee", "Time (UTC)"] if wide else []))
    for col in cols:
        # Only "sell take-profit" may wrap (to two lines): ids, pairs, amounts, prices and statuses stay whole.
        t.add_column(col, justify="right" if col in ("Amount", "Price", "Avg fill", "Price/fill", "Fee") else "left",
                     no_wrap=col != "Order")
    for o in orders:
        price = money(o.price) if o.price is not None else (f"@{money(o.stop_price)}" if o.stop_price else "-")
        prices = [price, money(o.average)] if split else [money(o.average) if o.average else price]
        row = [o.id, o.symbol, f"{o.side.value} {o.type.value}", amount_str(o.amount), *prices, o.status.value]
        if wide:
            row += [money(o.fee, 4) if o.fee else "-", f"{o.created_at:%m-%d %H:%M}"]
        t.add_row(*row)
    return t


def _order(r: OrderResult) -> None:
    if r.validated_only:
        console.print(f"[bold]Validated[/] {r.order.side.value} {amount_str(r.order.amount)} {r.order.symbol} "
                      f"{r.order.type.value}: accepted by Kraken, [bold]not placed[/].")
        return
    console.print(_orders_table([r.order, *r.children], "Bracket order" if r.bracket else "Order"))
    if r.bracket:
        console.print(f"Bracket {r.bracket.id}: {r.bracket.status.value} · stop {money(r.bracket.stop_price)} · "
                      f"target {money(r.bracket.take_profit_price)}")
    console.print(f"Client id {r.order.client_id}{_source_note(r.source)}")


def render(result: Any) -> None:
    """Print any tool result."""
    if isinstance(result, list):
        if result and isinstance(result[0], PriceResult):
            _prices(result)
        else:
            for item in result:
                render(item)
    elif type(result).__name__ == "AutopilotStatusResult":
        _autopilot_status(result)
    elif isinstance(result, StatusResult):
        _status(result)
    elif isinstance(result, PriceResult):
        _prices([result])
    elif isinstance(result, PortfolioResult):
        _portfolio(result)
    elif isinstance(result, OrderResult):
        _order(result)
    elif isinstance(result, OrdersResult):
        if result.orders:
            console.print(_orders_table(result.orders, "Closed orders" if result.closed else "Open orders"))
        else:
            console.print(result.text())
    elif isinstance(result, CancelResult) and result.cancelled:
        console.print(_orders_table(result.cancelled, "Cancelled"))
    elif isinstance(result, TradesResult) and result.fills:
        t = Table(title="Trades")
        for col in ("Time (UTC)", "Pair", "Side", "Amount", "Price", "Cost", "Fee", "Liquidity", "Order"):
            t.add_column(col, justify="right" if col in ("Amount", "Price", "Cost", "Fee") else "left")
        for f in result.fills:
            t.add_row(f"{f.timestamp:%Y-%m-%d %H:%M:%S}", f.symbol, f.side.value, amount_str(f.amount),
                      money(f.price), money(f.cost), money(f.fee, 4), f.liquidity.value, f.order_id)
        console.print(t)
    else:
        console.print(result.text() if hasattr(result, "text") else str(result))


def entry_mode(cfg: Any) -> str:
    """How the autopilot enters, in words (TradingConfig.entry)."""
    if cfg.entry == "maker":
        return (f"maker: a post-only limit buy at the bid, filled only when price trades through it, at the maker "
                f"fee; cancelled unfilled after {cfg.maker_timeout_bars} closed 5-minute candles (not chased)")
    return "taker: a market buy at the ask, at the taker fee"


def render_trading_config(cfg: Any, path: Any, overrides: list[Any] | None = None, *,
                          validating: bool = False) -> None:
    """The autopilot's configuration, section by section, with each value's meaning; overridden values say
    who changed them and when (or, validating a file, that runtime overrides are not shown)."""
    from trading.decision.strategies import STRATEGIES

    changed = {(o.section, o.key): o for o in overrides or ()}
    source = f"from {path}" if path else "defaults (no config file)"
    if validating:
        source += "; the file as written, without the runtime overrides set from chat"
    elif changed:
        source += f"; {len(changed)} value(s) overridden at run time (marked *)"
    universe = (f"auto, the {cfg.universe_size} most liquid pairs by 24h volume (until the first choice "
                f"{', '.join(cfg.universe)})" if cfg.universe_size else ", ".join(cfg.universe))
    size = changed.get(("trading", "universe_size"))
    if size is not None:  # set from chat or the CLI: who and when, like the risk values
        universe = (f"[bold yellow]{universe}*[/] [yellow](* universe_size set to {escape(size.value)} by {escape(size.by)} at "
                    f"{size.at:%Y-%m-%d %H:%M} UTC)[/]")
    console.print(f"[bold]Autopilot configuration[/] ({source}) · universe: {universe} · "
                  f"timeframe {cfg.timeframe} · forced strategy: {cfg.strategy or 'none (regime decides)'}")
    console.print(f"Entries: {entry_mode(cfg)}")
    from trading.autopilot.history import feed_note

    note = feed_note(cfg)
    if note:
        console.print(f"[bold yellow]Warning:[/] {escape(note)}")
    s = Table(title="Strategies by regime", box=box.SIMPLE_HEAD)
    s.add_column("Regime")
    s.add_column("Strategy")
    s.add_column("What it does")
    for regime, name in cfg.regime_strategies.items():
        s.add_row(regime, name, STRATEGIES[name].describe(cfg) if name in STRATEGIES else "stay out")
    console.print(s)
    for section in ("risk", "learning", "filters", "regimes", "strategies", "indicators"):
        model = getattr(cfg, section)
        t = Table(title=section.capitalize(), box=box.SIMPLE_HEAD)
        t.add_column("Setting", no_wrap=True)
        t.add_column("Value", justify="right", no_wrap=True)
        t.add_column("Meaning")
        for name, field in type(model).model_fields.items():
            o = changed.get((section, name))
            value = f"[bold yellow]{getattr(model, name)}*[/]" if o else str(getattr(model, name))
            meaning = field.description or ""
            if o:
                meaning += f" [yellow](* set by {o.by} at {o.at:%Y-%m-%d %H:%M} UTC)[/]"
            t.add_row(name, value, meaning)
        console.print(t)


def _autopilot_status(r: Any) -> None:
    t = Table(title="Autopilot", show_header=False, box=box.SIMPLE)
    t.add_column(style="bold")
    t.add_column()
    t.add_row("State", "[bold green]ON[/]" if r.enabled else "[bold]OFF[/]")
    t.add_row("Last tick", f"{r.last_tick_at:%Y-%m-%d %H:%M:%S} UTC" if r.last_tick_at else "never")
    t.add_row("Next tick", f"{r.next_tick_at:%H:%M:%S} UTC" if r.ticking else "[bold red]none: no service[/]")
    if r.service_text:
        t.add_row("Service", r.service_text if r.ticking else f"[bold red]{r.service_text}[/]")
    t.add_row("Universe", getattr(r, "universe_text", "") or ", ".join(r.universe))
    if getattr(r, "entry", ""):
        t.add_row("Entries", r.entry)
    t.add_row("Open positions", ", ".join(f"{s} {a}" for s, a in r.positions.items()) or "none")
    per = ", ".join(f"{s} {n}/{r.max_per_symbol}" for s, n in r.trades_today.items()) or "none"
    t.add_row("Trades today", f"{r.trades_total}/{r.max_total} ({per})")
    t.add_row("Day start equity", money(r.day_start_equity) if r.day_start_equity is not None else "-")
    kill = (f"[bold red]TRIPPED[/] at {r.kill_switch_at:%H:%M} UTC: {r.kill_switch_reason}" if r.kill_switch_tripped
            else "armed")
    t.add_row("Kill switch", kill)
    if r.loss_limit:
        t.add_row("Daily loss limit", r.loss_limit)
    if getattr(r, "profit_target", ""):
        t.add_row("Daily profit target", r.profit_target)
    for line in getattr(r, "warming_up", ()):  # never a silent stand-aside: what the warm-up needs, and until when
        t.add_row("Warming up", f"[yellow]{escape(line)}[/]")
    console.print(t)
