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
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation")
@click.pass_obj
def reset(state: CliState, yes: bool) -> None:
    """Forget every outcome and switch every arm off (the change log stays)."""
    state.show(state.call("learning_reset", {}, yes=yes), False)
