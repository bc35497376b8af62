"""`zyn chat`: talk to Zyn in the terminal, through the same Agent (and tools, confirmations) as the bots."""

from __future__ import annotations

import sys
from typing import Any

import click

from bot.cli.runner import CliState

PROMPT = "you> "
QUIT = {"/quit", "/exit", "quit", "exit", ":q"}


@click.command("chat")
@click.option("-m", "--message", "messages", multiple=True, metavar="TEXT",
              help="send this message (repeatable), print the replies and exit")
@click.pass_obj
def chat(state: CliState, messages: tuple[str, ...]) -> None:
    """Chat with Zyn: 'how are we doing?', 'buy $200 of eth w 2% stop 5% tp', '/confirm CODE'. Ctrl-D quits."""
    import asyncio

    settings = state.settings
    asyncio.run(_session(state, settings, list(messages)))


async def _session(state: CliState, settings: Any, messages: list[str]) -> None:
    from bot.app import build_agent, build_gate
    from bot.cli.runner import terminal_owner

    services = state.services()
    agent = build_agent(services, build_gate(services))
    caller = terminal_owner(settings)
    try:
        interactive = not messages and sys.stdin is not None and sys.stdin.isatty()
        if not messages:
            click.echo(f"Zyn chat · {settings.mode.value.upper()} · data: {services.exchange.source} · "
                       f"understood by: {agent.label}. Type help; Ctrl-D or /quit leaves.", err=not interactive)
        _resolutions(services)
        for text in messages or _lines(interactive):
            if text.strip().lower() in QUIT:
                break
            if not text.strip():
                continue
            reply = await agent.handle(caller, text)
            _show(reply)
            _resolutions(services)
    finally:
        await agent.close()
        await services.close()


def _resolutions(services: Any) -> None:
    """LIVE: how the terminal's orders of unknown outcome ended, once the service (or `zyn reconcile`) settled them
    while this chat is open: printed here, once (a chat app's asker is told in their chat by the service)."""
    if services.tools.mode.value != "live":
        return
    db = services.db
    for intent in db.untold_resolutions(["cli"]):
        click.echo(f"zyn> {intent.resolution()}")
        db.mark_told(intent.client_id, services.clock.now())


def _lines(interactive: bool):  # noqa: ANN202 - a generator of str
    while True:
        try:
            line = input(PROMPT) if interactive else sys.stdin.readline()
        except (EOFError, KeyboardInterrupt):
            click.echo("", err=True)
            return
        if not interactive and line == "":
            return
        yield line.rstrip("\n")


def _show(reply: Any) -> None:
    click.echo(f"zyn> {reply.text}")
    for photo in reply.photos:
        click.echo(f"     [picture: {photo}]")
    if reply.corrected:
        click.echo("     [answer corrected: the model's text did not match the tools]", err=True)
