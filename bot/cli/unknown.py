"""`zyn order` in LIVE when Kraken's answer was lost: keep checking by client id for a short bounded time.

The order tool has already journaled the intent ("outcome unknown: Zyn is checking"). A one-shot command has no
service behind it, so the terminal waits here: every CHECK_EVERY seconds, up to --check-for seconds, the intent is
looked up on Kraken by its client id (the settle_unknown_orders tool, as the service's one-minute job does). A
resolution is printed and marked told; none in time is said plainly, with a distinct exit code (EXIT_UNKNOWN).
"""

from __future__ import annotations

import time
from typing import Any

import click

from bot.cli.runner import CliState, terminal_owner

EXIT_UNKNOWN = 3  # the order may exist on Kraken: `zyn reconcile` or the running service will settle it
CHECK_EVERY = 2.0  # seconds between lookups (each is two private calls: open, then closed orders)


def check_unknown(state: CliState, client_id: str, seconds: float, *, quiet: bool = False) -> int:
    """Look the order up until it is settled or `seconds` have passed; the exit code (0 settled, 3 unknown)."""
    import asyncio

    return asyncio.run(_check(state, client_id, seconds, quiet))


async def _check(state: CliState, client_id: str, seconds: float, quiet: bool) -> int:
    import asyncio

    from bot.app import build_gate
    from tools.gate import CallerKind, ToolCall

    say = (lambda text: click.echo(text, err=True)) if quiet else click.echo  # --json: stdout stays one object
    deadline = time.monotonic() + seconds
    services = state.services()
    try:
        gate, caller = build_gate(services), terminal_owner(state.settings)
        if seconds > 0:
            say(f"checking Kraken for client id {client_id} (up to {seconds:g} s)…")
        while seconds > 0:
            outcome = await gate.execute(caller, ToolCall("settle_unknown_orders", {"client_id": client_id}),
                                         kind=CallerKind.CLI)
            result: Any = outcome.result if outcome.ok else None
            if result is not None and result.resolved:
                for _, line in result.resolved:
                    say(line)
                return 0
            if result is not None and not result.waiting:  # settled meanwhile elsewhere (the service)
                say(f"Order {client_id} was settled meanwhile: `zyn orders` shows it.")
                return 0
            left = deadline - time.monotonic()
            if left <= 0:
                break
            await asyncio.sleep(min(CHECK_EVERY, left))
    finally:
        await services.close()
    say(f"Still unknown: the order with client id {client_id} may exist on Kraken. `zyn reconcile` or the running "
        "service (`zyn run`) will settle it by its client id and say whether it was placed; do not place it "
        "again meanwhile.")
    return EXIT_UNKNOWN
