"""`zyn doctor`: one line per check, ok or FAILED with its fix; exit code 1 when anything failed."""

from __future__ import annotations

import click


@click.command()
def doctor() -> None:
    """Check dependencies, configuration, database, Kraken reach and keys, and clock skew."""
    import asyncio

    from bot.doctor import diagnose

    checks = asyncio.run(diagnose())
    for c in checks:
        mark = click.style("ok    ", fg="green") if c.ok else click.style("FAILED", fg="red", bold=True)
        click.echo(f"{mark} {c.name}: {c.detail}")
        if not c.ok and c.fix:
            click.echo(f"       fix: {c.fix}")
    failed = sum(not c.ok for c in checks)
    click.echo(f"{len(checks) - failed} ok, {failed} failed")
    if failed:
        raise click.exceptions.Exit(1)


@click.command("self-test")
@click.argument("pair", required=False)
@click.option("--place", is_flag=True, help="PAPER: place a minimal order if the tick would buy")
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.pass_obj
def self_test(state, pair: str | None, place: bool, yes: bool, as_json: bool) -> None:  # noqa: ANN001 - CliState
    """One pass of the autopilot's tick on current data, every step shown (LIVE validates only)."""
    args = {"place": place} | ({"symbol": pair} if pair else {})
    state.show(state.call("autopilot_self_test", args, yes=yes), as_json)
