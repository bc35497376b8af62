"""`zyn doctor`: one line per check, ok or FAILED with its fix; exit code 1 when anything failed."""

from __future__ import annotations

import asyncio

import click


@click.command()
def doctor() -> None:
    """Check dependencies, configuration, database, Kraken reach and keys, and clock skew."""
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
