"""`zyn config-setup`: an interactive .env writer. Secrets are read hidden and never echoed back."""

from __future__ import annotations

import os
from pathlib import Path

import click

SECRET_KEYS = ("KRAKEN_API_KEY", "KRAKEN_API_SECRET")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE pairs of an existing .env (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def write_env_file(path: Path, values: dict[str, str]) -> None:
    """Write .env atomically, readable only by its owner."""
    lines = ["# Written by `zyn config-setup`. Secrets live only here and in the environment."]
    lines += [f"{k}={v}" for k, v in values.items() if v != ""]
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def _check(key: str, value: str) -> str | None:
    """None if value is acceptable for key, else the reason (validated by the real settings model)."""
    from pydantic import ValidationError

    from bot.settings import _FIELD_BY_ENV, Settings

    field = _FIELD_BY_ENV.get(key)
    if field is None:
        return None
    try:
        Settings.__pydantic_validator__.validate_assignment(Settings.model_construct(), field, value)
    except ValidationError as exc:
        return exc.errors()[0]["msg"]
    return None


def _ask(key: str, prompt: str, current: str, default: str) -> str:
    while True:
        value = click.prompt(prompt, default=current or default, show_default=True).strip()
        problem = _check(key, value)
        if problem is None:
            return value
        click.echo(f"  {key}: {problem}; try again")


def run_wizard(path: Path = Path(".env")) -> None:
    """Ask for each setting and write .env."""
    values = read_env_file(path)
    click.echo(f"Zyn set-up: writing {path.resolve()}. Press Enter to keep the value in brackets.")
    values["ZYN_MODE"] = _ask("ZYN_MODE", "Mode (paper or live)", values.get("ZYN_MODE", ""), "paper").lower()
    values["ZYN_DATA_DIR"] = _ask("ZYN_DATA_DIR", "Data folder", values.get("ZYN_DATA_DIR", ""), "./data")
    offline = click.confirm("Force the offline replay feed (no Kraken market data)?",
                            default=values.get("ZYN_OFFLINE", "0") in ("1", "true", "yes"))
    values["ZYN_OFFLINE"] = "1" if offline else "0"
    values["ZYN_LOG_LEVEL"] = _ask("ZYN_LOG_LEVEL", "Log level (DEBUG, INFO, WARNING)",
                                   values.get("ZYN_LOG_LEVEL", ""), "INFO").upper()
    for key in SECRET_KEYS:
        have = "set; Enter keeps it" if values.get(key) else "not set; Enter leaves it empty"
        new = click.prompt(f"{key} ({have})", default="", show_default=False, hide_input=True).strip()
        if new:
            values[key] = new
    if values["ZYN_MODE"] == "live" and not (values.get("KRAKEN_API_KEY") and values.get("KRAKEN_API_SECRET")):
        click.echo("Note: LIVE mode needs both Kraken keys; Zyn will refuse to trade until they are set.")
    write_env_file(path, values)
    shown = {k: ("set" if k in SECRET_KEYS and v else v) for k, v in values.items()}
    click.echo("Saved: " + ", ".join(f"{k}={v}" for k, v in shown.items()))
