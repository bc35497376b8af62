"""`zyn learn status|freeze|reset`: what the learner has learned, and the owner's freeze and reset (both confirm)."""

from __future__ import annotations

import click

from bot.cli.runner import CliState


@click.group("learn")
def learn() -> None:
    """The learner: which strategy x regime may trade, from the outcomes it has seen."""


@learn.command("status")
@click.option("--json", "as_json", is_flag=True, help="machine-readable JSON output")
@click.option("--why", "strategy", metavar="STRATEGY", help="why this strategy is off (or on), e.g. mean_reversion")
@click.pass_obj
def status(state: CliState, as_json: bool, strategy: str | None) -> None:
    """Outcomes, every arm on or off with its evidence, the freeze and the last changes."""
    if strategy:
        state.show(state.call("why_strategy_off", {"strategy": strategy}), as_json)
        return
    state.show(state.call("learning_status", {}), as_json)


@learn.command("freeze")
@click.option("--off", "unfreeze", is_flag=True, help="unfreeze: let the learner follow the outcomes again")
@click.option("--reason", default="owner's request", show_default=True, help="why, for the change log")
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation")
@click.pass_obj
def freeze(state: CliState, unfreeze: bool, reason: str, yes: bool) -> None:
    """Freeze the learner's on/off states (they hold across restarts), or --off to unfreeze."""
    state.show(state.call("learning_freeze", {"frozen": not unfreeze, "reason": reason}, yes=yes), False)


@learn.command("reset")
@click.option("--seeds", "seeds_only", is_flag=True, help="forget only the outcomes seeded by `zyn learn seed`")
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation")
@click.pass_obj
def reset(state: CliState, seeds_only: bool, yes: bool) -> None:
    """Forget every outcome, seeds included, and switch every arm off (the change log stays); --seeds: only seeds."""
    state.show(state.call("learning_reset", {"seeds_only": seeds_only}, yes=yes), False)


@learn.command("seed")
@click.argument("pair")
@click.option("--candles", "candles_file", metavar="FILE", help="candles from a CSV/parquet file (default: the "
                                                                "candle store's 5m candles of PAIR)")
@click.option("--train", "train_text", default="4d", show_default=True, help="train span before each test window")
@click.option("--test", "test_text", default="1d", show_default=True, help="test window span")
@click.option("--taker-fee", "taker_text", metavar="FEE", help="e.g. 0.0026 or 0.26%% (default: the paper fee)")
@click.option("--slippage-bps", "slip_text", metavar="BPS", help="default: the paper slippage")
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation")
@click.pass_obj
def seed(state: CliState, pair: str, candles_file: str | None, train_text: str, test_text: str,
         taker_text: str | None, slip_text: str | None, yes: bool) -> None:
    """Seed the learner with the walk-forward's OUT-OF-SAMPLE test-window outcomes (PAPER's database).

    zyn learn seed ETH/BTC --candles FILE --train 4d --test 1d. Every signal of the stack inside each test window
    is simulated to its exit (net of fees and slippage); nothing from a train part is stored. Each seed keeps
    its provenance (walkforward, the candle set, its window); `zyn learn reset --seeds` removes them.
    """
    from dataclasses import replace

    from bot.cli.backtest_cmd import _config, _progress_bar
    from bot.cli.data_cmd import candle_store, stored_candles
    from bot.cli.walkforward_cmd import _bps, _fee
    from trading.backtest.data import load_candles
    from trading.backtest.run import backtest_settings, market_for
    from trading.backtest.walkforward import parse_span, seed_outcomes, split
    from trading.errors import InputError
    from trading.learning.learner import Learner
    from trading.learning.records import Provenance
    from trading.pairs import normalize_pair

    if state.is_live:
        raise InputError("seeds go to PAPER's database, which LIVE learns from: run it in PAPER "
                         "(ZYN_MODE=paper zyn learn seed ...); nothing changed")
    train, test = parse_span(train_text, "--train"), parse_span(test_text, "--test")
    settings = backtest_settings(state.settings)
    settings = replace(settings, taker_fee=_fee(taker_text, "--taker-fee", settings.taker_fee),
                       slippage_bps=_bps(slip_text, settings.slippage_bps))
    cfg = _config(state, None)
    symbol = normalize_pair(pair)
    if candles_file is not None:
        market, _ = market_for(pair, {}, unbundled_ok=True)
        ohlcv, where = load_candles(candles_file), f"file {candles_file}"
    else:
        stored = stored_candles(state.settings, symbol)
        if stored is None:
            raise InputError(f"the candle store holds no 5m candles of {symbol}; import them (zyn data import FILE) "
                             "or give --candles FILE (seeds never come from the bundled replay)")
        from bot.cli.backtest_cmd import _markets

        market, _ = market_for(pair, _markets(), unbundled_ok=True)
        ohlcv, where = stored
    with _progress_bar() as bar:
        task = bar.add_task(f"walk-forward test windows of {market.symbol}", total=None)
        seeds = seed_outcomes(ohlcv, market, cfg, settings, train=train, test=test,
                              progress=lambda done, total: bar.update(task, completed=done, total=total))
    windows = split(ohlcv.timestamps, train, test)
    arms: dict[tuple[str, str], list[float]] = {}
    for s in seeds:
        arms.setdefault((s.outcome.strategy, s.outcome.regime), []).append(s.outcome.net_return)
    click.echo(f"{len(seeds)} out-of-sample outcomes in {len(windows)} test windows of {market.symbol} "
               f"(train {train_text} / test {test_text}, taker {settings.taker_fee * 100:.2f}%), from {where}:")
    for (strategy, regime), nets in sorted(arms.items()):
        click.echo(f"  {strategy} in {regime}: {len(nets)} outcome{'' if len(nets) == 1 else 's'}, mean {sum(nets) / len(nets) * 100:+.2f}% net")
    if not seeds:
        click.echo("Nothing to seed: the stack gave no signal in any test window; nothing changed.")
        return
    state.confirm(f"Store these {len(seeds)} outcomes as seeded evidence in the {state.mode_label} database?", yes)
    now = _now()
    with candle_store(state.settings) as db:
        stored_n = db.seed_outcomes([(s.outcome, Provenance("walkforward", where, s.window_start, s.window_end))
                                     for s in seeds], "cli:local", now)
        changes = Learner(db, cfg.learning).refresh(now) if cfg.learning.enabled else []
    click.echo(f"Seeded {stored_n} outcomes ({len(seeds) - stored_n} were stored already), labelled as seeds from "
               "walk-forward test windows; `zyn learn reset --seeds` removes them.")
    for c in changes:
        click.echo(f"  {c.kind}: {c.why}")


def _now():  # noqa: ANN202
    from trading.clock import SystemClock

    return SystemClock().now()
