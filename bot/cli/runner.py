"""CLI plumbing: settings and logging once, tools over one event loop, errors as one line and an exit code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import click

EXIT_OK, EXIT_INPUT, EXIT_EXCHANGE = 0, 1, 2


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
        """Ask before a destructive action unless --yes was given."""
        if yes:
            return
        import sys

        if sys.stdin is None or not sys.stdin.isatty():  # a script or a pipe: nobody to answer the question
            fail_usage(f"{question} Nobody can answer here: add --yes to confirm. Nothing changed.")
        if not click.confirm(question, default=False, err=True):
            raise click.Abort()

    def call(self, name: str, args: dict[str, Any]) -> Any:
        """Run one tool on fresh services and close them."""
        import asyncio

        settings = self.settings

        async def go() -> Any:
            from tools.catalog import invoke

            if self._factory is not None:
                services = self._factory(settings)
            else:
                from bot.app import build_services

                services = build_services(settings)
            try:
                return await invoke(services.tools, name, args)
            finally:
                await services.close()

        return asyncio.run(go())

    def show(self, result: Any, as_json: bool) -> None:
        """Print a result as Rich tables, or JSON."""
        if as_json:
            import json

            from tools.results import jsonable

            click.echo(json.dumps(jsonable(result), indent=2))
        else:
            from bot.cli.render import render

            render(result)


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
    except Exception as exc:  # noqa: BLE001 - the user gets one line, the log gets the traceback
        from trading.errors import ZynError

        if isinstance(exc, ZynError):
            click.echo(f"error: {exc.message}", err=True)
            return exc.exit_code
        from loguru import logger

        logger.bind(component="cli").opt(exception=exc).error("unexpected failure in zyn {}", " ".join(argv[:1]))
        click.echo(f"error: unexpected failure ({type(exc).__name__}); details are in the log file", err=True)
        return EXIT_EXCHANGE
