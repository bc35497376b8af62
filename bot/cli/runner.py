"""CLI plumbing: settings and logging once, tools through the gate over one event loop, errors as one line
and an exit code.

The CLI is the terminal owner: every command runs its tool through the same gate as the chats, so the same
permission and confirmation rule applies. A call the rule holds back is asked as a y/N question at the
terminal (or taken by --yes); with nobody at the terminal (a pipe, a script) it is dropped and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import click

EXIT_OK, EXIT_INPUT, EXIT_EXCHANGE = 0, 1, 2
# Read tools that never touch the database: their commands open it only if something asks (start-up speed).
NO_DATABASE = frozenset({"get_status", "get_price"})


class UsageProblem(click.UsageError):
    """A CLI usage mistake (exit code 1)."""

    exit_code = EXIT_INPUT


def fail_usage(message: str) -> NoReturn:
    """Stop with a one-line usage error."""
    raise UsageProblem(message)


class CliState:
    """Per-invocation state: settings, the services factory, output."""

    def __init__(self, factory: Callable[..., Any] | None = None) -> None:
        self._factory = factory
        self._settings = None
        self.stamp = ""  # the last call's "PAPER · as of ..." line

    @property
    def settings(self):  # noqa: ANN201 - bot.settings is imported lazily for start-up speed
        """Settings, loaded (and logging configured) on first use."""
        if self._settings is None:
            from bot.logs import setup_logging
            from bot.settings import load_settings

            self._settings = load_settings()
            s = self._settings
            setup_logging(s.log_level, log_file=s.data_dir / "logs" / "zyn.log", console_level="ERROR",
                          secrets=s.secret_values())
        return self._settings

    @property
    def is_live(self) -> bool:
        return self.settings.mode.value == "live"

    @property
    def mode_label(self) -> str:
        return self.settings.mode.value.upper()

    def require_live(self, command: str) -> None:
        """Refuse a LIVE-only command in PAPER."""
        if not self.is_live:
            from trading.errors import InputError

            raise InputError(f"`zyn {command}` is only available in LIVE mode (ZYN_MODE=live)")

    def confirm(self, question: str, yes: bool) -> None:
        """Ask a y/N question (unless --yes); raise when the answer is no or nobody can answer."""
        if yes:
            return
        import sys

        if sys.stdin is None or not sys.stdin.isatty():  # a script or a pipe: nobody to answer the question
            fail_usage(f"{question} Nobody can answer here: add --yes to confirm. Nothing changed.")
        if not click.confirm(question, default=False, err=True):
            raise click.Abort()

    def services(self, *, lazy_db: bool = False) -> Any:
        """Fresh services for one command (tests inject a factory); lazy_db opens the database on first use."""
        if self._factory is not None:
            return self._factory(self.settings)
        from bot.app import build_services

        return build_services(self.settings, lazy_db=lazy_db)

    def call(self, name: str, args: dict[str, Any] | Callable[[Any], dict[str, Any]], *, yes: bool = False) -> Any:
        """Run one tool through the gate as the terminal owner; a held-back call is asked first (or --yes).
        `args` may be made from the services (their clock and the owner's zone: a window like 'yesterday')."""
        import asyncio

        return asyncio.run(self._call(name, args, yes))

    async def _call(self, name: str, args: dict[str, Any] | Callable[[Any], dict[str, Any]], yes: bool) -> Any:
        from bot.app import build_gate
        from tools.gate import CallerKind, ToolCall

        services = self.services(lazy_db=name in NO_DATABASE)
        try:
            args = args(services) if callable(args) else args
            gate = build_gate(services)
            caller = terminal_owner(self.settings)
            outcome = await gate.execute(caller, ToolCall(name, dict(args)), kind=CallerKind.CLI)
            while outcome.pending is not None:  # held back by the rule (or asked again after a price move)
                pending = outcome.pending
                if outcome.error:
                    click.echo(f"Not done yet: {outcome.error}.", err=True)
                try:
                    self.confirm(f"{pending.summary[:1].upper()}{pending.summary[1:]}?", yes)
                except BaseException:
                    await gate.cancel(caller, pending.code)  # nothing stays pending behind a "no"
                    raise
                outcome = await gate.confirm(caller, pending.code)
            if not outcome.ok:
                raise ToolFailure(outcome.error or "failed", outcome.exit_code or 2)
            self.stamp = outcome.stamp
            return outcome.result
        finally:
            await services.close()

    def show(self, result: Any, as_json: bool) -> None:
        """Print a result as Rich tables, or JSON."""
        if as_json:
            import json

            from tools.results import jsonable

            click.echo(json.dumps(jsonable(result), indent=2))
        else:
            from bot.cli.render import render

            render(result)
            if self.stamp:  # the mode and the data's time, under every result with money or trades
                click.echo(self.stamp)


def window_args(since: str | None, until: str | None, hours: float | None) -> Callable[[Any], dict[str, Any]]:
    """The since/until arguments of a window typed on the command line, read on the services' clock and in the
    owner's zone (ZYN_TIMEZONE); an unreadable time is an InputError (a one-line answer, nothing runs)."""

    def make(services: Any) -> dict[str, Any]:
        from tools.window import window_of

        w = window_of(since, until, hours, services.clock.now(), services.tools.timezone)
        return {k: v for k, v in (("since", w.since), ("until", w.until)) if v is not None}

    return make


class ToolFailure(Exception):
    """A tool call the gate refused or that failed: its one-line message and the exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def terminal_owner(settings: Any) -> Any:
    """The person at the terminal: the owner (the CLI runs on the owner's own machine)."""
    from tools.gate import Caller, Role

    return Caller(user_id="local", chat_id="terminal", channel="cli", role=Role.OWNER, name=settings.owner_name)


def run_main(group: click.Group, argv: list[str], factory: Callable[..., Any] | None) -> int:
    """Run the click group; every failure becomes one line on stderr and an exit code."""
    try:
        rv = group.main(args=argv, prog_name="zyn", standalone_mode=False, obj=CliState(factory))
        return rv if isinstance(rv, int) else EXIT_OK
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("cancelled; nothing changed", err=True)
        return EXIT_INPUT
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            click.echo(f"usage: {exc.ctx.command_path} {' '.join(exc.ctx.command.collect_usage_pieces(exc.ctx))}"
                       f"  (see --help)", err=True)
        return EXIT_INPUT
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except ToolFailure as exc:
        click.echo(f"error: {exc.message}", err=True)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the user gets one line, the log gets the traceback
        from trading.errors import ZynError

        if isinstance(exc, ZynError):
            click.echo(f"error: {exc.message}", err=True)
            return exc.exit_code
        from loguru import logger

        logger.bind(component="cli").opt(exception=exc).error("unexpected failure in zyn {}", " ".join(argv[:1]))
        click.echo(f"error: unexpected failure ({type(exc).__name__}); details are in the log file", err=True)
        return EXIT_EXCHANGE
