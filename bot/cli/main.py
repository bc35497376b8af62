"""Entry point of `zyn`. Only click is imported at start-up; everything heavy loads inside commands."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from bot.cli.alerts_cmd import risk_alerts
from bot.cli.backtest_cmd import backtest
from bot.cli.chat_cmd import chat
from bot.cli.data_cmd import data
from bot.cli.doctor_cmd import doctor, self_test
from bot.cli.learn_cmd import learn
from bot.cli.runner import CliState, fail_usage, run_main, window_args
from bot.cli.walkforward_cmd import walkforward

PAIR_HELP = "pair, e.g. BTC/USD (btcusd, XBTUSD and XBT/USD work too)"


def json_option(f: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="machine-readable JSON output")(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option("0.1.0", prog_name="zyn")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Zyn: your Kraken trading agent. PAPER mode (simulated money) unless ZYN_MODE=live."""
    ctx.ensure_object(CliState)


@cli.command()
@json_option
@click.pass_obj
def status(state: CliState, as_json: bool) -> None:
    """Mode, connectivity, data source, credentials and log level."""
    state.show(state.call("get_status", {}), as_json)


@cli.command()
@click.argument("pairs", nargs=-1, required=True, metavar="PAIR...")
@json_option
@click.pass_obj
def ticker(state: CliState, pairs: tuple[str, ...], as_json: bool) -> None:
    """Bid, ask and last price of one or more pairs."""
    results = [state.call("get_price", {"symbol": p}) for p in pairs]
    state.show(results if len(results) > 1 else results[0], as_json)


@cli.command()
@json_option
@click.pass_obj
def portfolio(state: CliState, as_json: bool) -> None:
    """Balances, positions, equity and P&L."""
    state.show(state.call("get_portfolio", {}), as_json)


@cli.command(context_settings={"ignore_unknown_options": True})  # so "-0.5" reaches the amount check
@click.argument("side", type=click.Choice(["buy", "sell"], case_sensitive=False))
@click.argument("pair")
@click.argument("amount")
@click.option("--price", help="limit price (makes it a limit order)")
@click.option("--stop", help="bracket: stop-loss price (needs --take-profit)")
@click.option("--take-profit", "take_profit", help="bracket: take-profit price (needs --stop)")
@click.option("--type", "otype", type=click.Choice(["market", "limit", "stop-loss", "take-profit"]),
              help="order type (default: market, or limit with --price)")
@click.option("--trigger", help="trigger price of a stop-loss or take-profit order")
@click.option("--auto-adjust", is_flag=True, help="PAPER: round amount and prices to the market's precision")
@click.option("--yes", "-y", is_flag=True, help="LIVE: place the order for real (otherwise it is only validated); "
              "answers yes to a confirmation")
@click.option("--check-for", "check_for", type=click.FloatRange(0, 120), default=20.0, show_default=True,
              metavar="SECONDS", help="LIVE: when Kraken's answer is lost, keep checking by client id this long")
@json_option
@click.pass_obj
def order(state: CliState, side: str, pair: str, amount: str, price: str | None, stop: str | None,
          take_profit: str | None, otype: str | None, trigger: str | None, auto_adjust: bool, yes: bool,
          check_for: float, as_json: bool) -> int | None:
    """Place an order: zyn order buy BTC/USD 0.01 [--price P] [--stop P --take-profit P]."""
    args: dict[str, Any] = {"symbol": pair, "side": side.lower(), "amount": amount,
                            "type": otype or ("limit" if price is not None else "market"),
                            "auto_adjust": auto_adjust}
    for key, value in (("price", price), ("stop", stop), ("take_profit", take_profit), ("trigger", trigger)):
        if value is not None:
            args[key] = value
    if state.is_live and not yes:
        args["validate_only"] = True
    result = state.call("place_order", args, yes=yes)
    state.show(result, as_json)
    if state.is_live and not yes and not as_json:
        click.echo("LIVE: validated only, nothing placed. Add --yes to place it.")
    if type(result).__name__ == "OrderUnknownResult":
        from bot.cli.unknown import EXIT_UNKNOWN, check_unknown

        if not result.journaled:  # nothing to look up by: the answer above says to look on Kraken
            return EXIT_UNKNOWN
        return check_unknown(state, result.intent.client_id, check_for, quiet=as_json)
    return None


@cli.command()
@click.option("--closed", is_flag=True, help="closed (filled, cancelled) orders instead of open ones")
@click.option("--pair", help=PAIR_HELP)
@click.option("--limit", default=50, show_default=True, type=int, help="how many")
@json_option
@click.pass_obj
def orders(state: CliState, closed: bool, pair: str | None, limit: int, as_json: bool) -> None:
    """Open orders (or --closed)."""
    args: dict[str, Any] = {"closed": closed, "limit": limit}
    if pair:
        args["symbol"] = pair
    state.show(state.call("list_open_orders", args), as_json)


WHEN_HELP = "today, yesterday, 2024-05-06, 14:00 or '2024-05-06 14:00' (ZYN_TIMEZONE unless an offset is given)"


@cli.command()
@click.option("--pair", help=PAIR_HELP)
@click.option("--limit", default=50, show_default=True, type=int, help="how many")
@click.option("--since", help=f"only fills from then on: {WHEN_HELP}")
@click.option("--until", help="only fills before then (a day: up to its end)")
@click.option("--hours", type=float, help="only fills in the last N hours")
@json_option
@click.pass_obj
def trades(state: CliState, pair: str | None, limit: int, since: str | None, until: str | None,
           hours: float | None, as_json: bool) -> None:
    """Our fills, newest first; --since/--until/--hours: exactly the fills inside that window, counted."""
    args: dict[str, Any] = {"limit": limit}
    if pair:
        args["symbol"] = pair
    if since is None and until is None and hours is None:
        state.show(state.call("trade_history", args), as_json)
        return
    window = window_args(since, until, hours)
    state.show(state.call("trade_history", lambda services: {**args, **window(services)}), as_json)


@cli.command()
@click.argument("order_id", required=False)
@click.option("--all", "cancel_every", is_flag=True, help="cancel every open order")
@click.option("--pair", help="with --all: only this pair")
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation")
@json_option
@click.pass_obj
def cancel(state: CliState, order_id: str | None, cancel_every: bool, pair: str | None, yes: bool,
           as_json: bool) -> None:
    """Cancel an order by id (or client id), or --all."""
    if bool(order_id) == cancel_every:
        fail_usage("give an order id or --all (not both)")
    if cancel_every:
        result = state.call("cancel_all", {"symbol": pair} if pair else {}, yes=yes)
    else:
        result = state.call("cancel_order", {"order_id": order_id}, yes=yes)
    state.show(result, as_json)


@cli.command("config-setup")
@click.pass_obj
def config_setup(state: CliState) -> None:
    """Interactive wizard that writes .env (secrets are typed hidden and never shown)."""
    from bot.cli.wizard import run_wizard

    run_wizard()


@cli.command()
@click.argument("asset")
@click.argument("amount")
@click.option("--key", "withdraw_key", required=True, help="name of the withdrawal address set up on Kraken")
@click.option("--confirm", "confirmed", is_flag=True, help="required: really withdraw")
@json_option
@click.pass_obj
def withdraw(state: CliState, asset: str, amount: str, withdraw_key: str, confirmed: bool, as_json: bool) -> None:
    """LIVE only: withdraw funds to a withdrawal address saved on Kraken."""
    state.require_live("withdraw")
    if not confirmed:
        fail_usage("withdraw moves real money; add --confirm to do it")
    state.show(state.call("withdraw", {"asset": asset, "amount": amount, "key": withdraw_key}, yes=True), as_json)


@cli.command("export-report")
@click.option("--report", type=click.Choice(["trades", "ledgers"]), default="trades", show_default=True)
@click.option("--confirm", "confirmed", is_flag=True, help="required: ask Kraken to build the report")
@json_option
@click.pass_obj
def export_report(state: CliState, report: str, confirmed: bool, as_json: bool) -> None:
    """LIVE only: ask Kraken to build a trades or ledgers export."""
    state.require_live("export-report")
    if not confirmed:
        fail_usage("export-report asks Kraken to build a report; add --confirm to do it")
    state.show(state.call("export_report", {"report": report}, yes=True), as_json)


@cli.command()
@click.option("--since", help="a UTC day (YYYY-MM-DD) or time to compare from (default: 7 days ago)")
@json_option
@click.pass_obj
def reconcile(state: CliState, since: str | None, as_json: bool) -> None:
    """LIVE: compare Kraken's trades and orders with the journal; import what is missing, report differences."""
    state.require_live("reconcile")
    settled = state.call("settle_unknown_orders", {})  # first: an order found here is journaled before the compare
    result = state.call("reconcile_journal", {"since": since} if since else {})
    if as_json:
        import json

        from tools.results import jsonable

        data = jsonable(result)
        data["resolutions"] = [{"client_id": i.client_id, "placed": line.split(" was ", 1)[-1].startswith("placed"),
                                "text": line} for i, line in settled.resolved]
        data["unresolved"] = [jsonable(i) for i in settled.waiting]
        click.echo(json.dumps(data, indent=2))
        return
    if settled.resolved or settled.waiting:
        click.echo(settled.text())
    state.show(result, False)


@cli.command()
@click.pass_obj
def run(state: CliState) -> None:
    """Start Zyn: the autopilot on every closed 5-minute candle, with a live console view (Ctrl-C stops)."""
    import asyncio

    from bot.service import run_service

    asyncio.run(run_service(state.settings))


@cli.command("web-login")
@click.option("--viewer", is_flag=True, help="a read-only session (the default signs in as the owner)")
@click.pass_obj
def web_login(state: CliState, viewer: bool) -> None:
    """Print a single-use web login link, valid for 5 minutes."""
    from bot.cli.web_cmd import login_link

    click.echo(login_link(state.settings, viewer=viewer))


@cli.command("auto-start")
@click.option("--yes", "-y", is_flag=True, help="LIVE: do not ask for confirmation")
@click.pass_obj
def auto_start(state: CliState, yes: bool) -> None:
    """Let the autopilot trade from the next tick (a running service picks it up)."""
    state.show(state.call("autopilot_start", {}, yes=yes), False)


@cli.command("auto-stop")
@click.pass_obj
def auto_stop(state: CliState) -> None:
    """Stop new autopilot trades from the next tick (open positions keep their stops and targets)."""
    state.show(state.call("autopilot_stop", {}), False)


@cli.command("auto-universe")
@click.argument("size", metavar="N|configured")
@click.option("--yes", "-y", is_flag=True, help="LIVE: do not ask for confirmation")
@click.pass_obj
def auto_universe(state: CliState, size: str, yes: bool) -> None:
    """Trade the N most liquid pairs (1 to 20), or 'configured' for the configured pairs; from the next tick."""
    word = size.strip().lower()
    if word in ("configured", "config", "none", "off"):
        args: dict[str, Any] = {"configured": True}
    elif word.isdigit():
        args = {"size": int(word)}
    else:
        fail_usage(f"'{size[:20]}' is neither a number of pairs (1 to 20) nor 'configured'")
    state.show(state.call("set_universe", args, yes=yes), False)


@cli.command("auto-status")
@json_option
@click.pass_obj
def auto_status(state: CliState, as_json: bool) -> None:
    """Last and next tick, positions, today's trades against the limits, kill-switch state."""
    state.show(state.call("autopilot_status", {}), as_json)


@cli.command("auto-config")
@click.option("--file", "config_file", type=click.Path(dir_okay=False), help="validate this config file instead")
@json_option
@click.pass_obj
def auto_config(state: CliState, config_file: str | None, as_json: bool) -> None:
    """Show the strategies, parameters, risk levels and universe; validate a config file with clear errors."""
    from pathlib import Path

    from bot.cli.effective import Effective, effective_config, overrides_json
    from trading.config import load_trading_config

    path = Path(config_file) if config_file else state.settings.config_file
    if config_file and not path.is_file():
        fail_usage(f"no such file: {config_file}")
    # A file given to validate is shown as written; otherwise what the autopilot uses now (with overrides).
    eff = Effective(load_trading_config(path), None) if config_file else effective_config(state.settings)
    if as_json:
        import json

        from trading.autopilot.history import feed_note

        note = feed_note(eff.cfg)  # the live feed cannot supply the warm-up (a 4h trend): said, not hidden
        quote = state.settings.quote_currency
        click.echo(json.dumps({**eff.cfg.model_dump(mode="json"), "overrides": overrides_json(eff),
                               "daily_loss": eff.loss_limit(quote),
                               "daily_profit": eff.profit_target(quote, eff.target_reached),
                               "universe_in_force": _universe_json(eff, quote),
                               "warnings": [note] if note else []}, indent=2))
        return
    from bot.cli.render import render_trading_config

    render_trading_config(eff.cfg, path if path.is_file() else None, eff.overrides,
                          validating=bool(config_file))
    click.echo(f"Daily loss limit: {eff.loss_limit(state.settings.quote_currency)['text']}")
    click.echo(f"Daily profit target: {eff.profit_target(state.settings.quote_currency, eff.target_reached)['text']}")
    click.echo(f"Universe: {_universe_json(eff, state.settings.quote_currency)['text']}")


def _universe_json(eff, quote: str) -> dict:  # noqa: ANN001 - bot.cli.effective.Effective
    """The pairs in force and how they were chosen (configured, or the autopilot's latest recorded choice)."""
    cfg, choice = eff.cfg, eff.universe
    if cfg.universe_size is None:
        return {"pairs": list(cfg.universe), "how": "configured", "text": f"{', '.join(cfg.universe)} (configured)"}
    if choice is None:
        return {"pairs": list(cfg.universe), "how": "pending",
                "text": f"auto: the {cfg.universe_size} most liquid {quote} pairs on Kraken, chosen at the first "
                        f"tick (until then {', '.join(cfg.universe)})"}
    return {"pairs": list(choice.pairs), "how": choice.how, "chosen_at": choice.at.isoformat() if choice.at else None,
            "volumes": {k: str(v) for k, v in choice.volumes.items()},
            "left_out": [{"pair": o.symbol, "reason": o.reason} for o in choice.left_out], "text": choice.summary()}


@cli.command()
@click.option("--reset", is_flag=True, help="re-arm a tripped kill switch (admin)")
@click.option("--reason", default="manual reset", show_default=True, help="why, for the audit log")
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation")
@json_option
@click.pass_obj
def killswitch(state: CliState, reset: bool, reason: str, yes: bool, as_json: bool) -> None:
    """The daily-loss kill switch: show it, or --reset it."""
    if not reset:
        state.show(state.call("kill_switch_status", {}), as_json)
        return
    state.show(state.call("kill_switch_reset", {"reason": reason}, yes=yes), as_json)


@cli.command()
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation")
@json_option
@click.pass_obj
def flatten(state: CliState, yes: bool, as_json: bool) -> None:
    """Emergency: cancel every open order and sell every holding at market."""
    state.show(state.call("flatten_all", {}, yes=yes), as_json)


cli.add_command(backtest)
cli.add_command(risk_alerts)
cli.add_command(chat)
cli.add_command(doctor)
cli.add_command(self_test)
cli.add_command(data)
cli.add_command(walkforward)
cli.add_command(learn)


def main(argv: Sequence[str] | None = None, *, factory: Callable[..., Any] | None = None) -> int:
    """Run the CLI and return its exit code (0 ok, 1 bad input, 2 exchange or network error)."""
    try:
        return run_main(cli, list(sys.argv[1:] if argv is None else argv), factory)
    finally:
        if argv is None:  # the program itself (the `zyn` script, python -m), not a caller that goes on
            _before_exit()


def _before_exit() -> None:
    """The command is done and the process is about to end: freeze what is left, so the interpreter's last
    garbage collections skip the hundreds of thousands of objects the imports made (about 0.1 s of a 0.4 s
    `zyn status`). Nothing depends on those collections: the database is closed, the log file is line
    buffered, and exit handlers and stream flushes still run."""
    import gc

    gc.freeze()


if __name__ == "__main__":
    sys.exit(main())
