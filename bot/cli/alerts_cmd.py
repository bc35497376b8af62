"""`zyn risk-alerts`: which events reach which channel (on, silent, off), and `set` to change it (persisted)."""

from __future__ import annotations

from typing import Any

import click

from bot.cli.runner import CliState

_STYLE = {"on": "bold green", "silent": "yellow", "off": "dim"}


class AlertInputError(click.ClickException):
    """Bad input to risk-alerts: one line, exit code 1, nothing changed."""

    exit_code = 1


def _call(state: CliState, name: str, args: dict[str, Any]) -> Any:
    from bot.cli.runner import ToolFailure

    try:
        return state.call(name, args)
    except ToolFailure as exc:
        if exc.exit_code != 1:
            raise
        raise AlertInputError(f"{exc.message}; nothing changed") from None


def _with_configured(state: CliState, result: Any) -> Any:
    """The tool's settings plus which channels this installation has set up (the CLI knows the settings)."""
    import dataclasses

    from bot.notify.channels import configured_channels

    return dataclasses.replace(result, configured=configured_channels(state.settings))


def _show(state: CliState, result: Any, as_json: bool) -> None:
    if as_json:
        state.show(result, True)
        return
    from rich import box
    from rich.table import Table

    from bot.cli.render import console
    from bot.notify.channels import missing_settings

    settings, configured = result.settings, result.configured
    channels = list(next(iter(settings.values())))
    table = Table(title=f"Alerts ({state.mode_label})", box=box.SIMPLE_HEAD)
    table.add_column("Event", no_wrap=True)
    for channel in channels:
        note = "" if channel not in configured else ("\nset up" if configured[channel] else "\n[dim]not set up[/]")
        table.add_column(f"{channel}{note}", justify="center")
    for kind, row in settings.items():
        table.add_row(kind, *(f"[{_STYLE.get(v, '')}]{v}[/]" for v in row.values()))
    console.print(table)
    missing = missing_settings(state.settings)
    for channel in channels:
        if missing.get(channel):
            console.print(f"{channel}: not set up (set {', '.join(missing[channel])})", markup=False)
    console.print("Change: zyn risk-alerts set EVENT CHANNEL on|silent|off (EVENT or CHANNEL may be all)",
                  markup=False)


@click.group("risk-alerts", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="machine-readable JSON output")
@click.pass_context
def risk_alerts(ctx: click.Context, as_json: bool) -> None:
    """Alerts per event type and channel (on, silent or off), and which channels are set up."""
    if ctx.invoked_subcommand is not None:
        return
    state: CliState = ctx.obj
    _show(state, _with_configured(state, _call(state, "alert_settings", {})), as_json)


@risk_alerts.command("set")
@click.argument("event")
@click.argument("channel")
@click.argument("delivery", metavar="on|silent|off")
@click.option("--json", "as_json", is_flag=True, help="machine-readable JSON output")
@click.pass_obj
def set_alert(state: CliState, event: str, channel: str, delivery: str, as_json: bool) -> None:
    """Set EVENT (fill, bracket_exit, kill_switch, profit_target, autopilot_error, daily_report, watchdog,
    protection, all) on CHANNEL
    (telegram, discord, webhook, email, sms, all) to on, silent or off."""
    result = _call(state, "set_alert", {"event": event, "channel": channel, "delivery": delivery})
    if as_json:
        state.show(result, True)
        return
    click.echo(result.text())
