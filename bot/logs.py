"""Loguru set-up: `[time] [LEVEL] [component] message`, with every secret redacted before any sink sees it."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from loguru import logger

FORMAT = "[{time:YYYY-MM-DD HH:mm:ss.SSS!UTC}] [{level}] [{extra[component]}] {message}"
REDACTED = "***"
# Shapes of secrets that must never be written even if nobody registered them.
_PATTERNS = [
    re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}\b"),  # Telegram bot tokens
    re.compile(r"\bsk-[A-Za-z0-9_-]{16,}\b"),  # OpenAI-style API keys
    re.compile(r"\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}\b"),  # Discord bot tokens
    re.compile(r"(?i)(api[-_]?sign|api[-_]?key|secret|password|token)(\s*[=:]\s*)['\"]?[^\s'\",}]+"),
    re.compile(r"(?i)(://[^:/\s]+:)[^@\s]+(@)"),  # passwords inside URLs
    re.compile(r"(/(?:webhooks|interactions)/\d+)(/)[A-Za-z0-9_.:-]{8,}"),  # Discord interaction tokens in URLs
]


class Redactor:
    """Replaces registered secret values and secret-shaped text with ***."""

    def __init__(self) -> None:
        self._secrets: list[str] = []

    def add(self, values: Iterable[str]) -> None:
        """Register plain secret values (short ones are ignored: they would redact ordinary words)."""
        for v in values:
            if v and len(v) >= 6 and v not in self._secrets:
                self._secrets.append(v)
        self._secrets.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """Return text with every secret removed."""
        for s in self._secrets:
            if s in text:
                text = text.replace(s, REDACTED)
        for pat in _PATTERNS:
            if pat.groups >= 2:
                text = pat.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
            else:
                text = pat.sub(REDACTED, text)
        return text


redactor = Redactor()


class _RedactingSink:
    """Wraps a writable stream so the fully formatted line (traceback included) is redacted."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, message: str) -> None:
        self._stream.write(redactor(message))

    def flush(self) -> None:
        if hasattr(self._stream, "flush"):
            self._stream.flush()


class _RedactingFile:
    """An append-only log file whose lines are redacted before they are written."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = path.open("a", encoding="utf-8", buffering=1)

    def write(self, message: str) -> None:
        self._fh.write(redactor(message))

    def flush(self) -> None:
        self._fh.flush()


def setup_logging(level: str = "INFO", *, log_file: Path | None = None, console_level: str | None = "WARNING",
                  secrets: Iterable[str] = ()) -> None:
    """Configure loguru sinks; call once at start-up of every entry point."""
    redactor.add(secrets)
    logger.remove()
    logger.configure(extra={"component": "zyn"})
    if console_level:
        logger.add(_RedactingSink(sys.stderr), level=console_level, format=FORMAT, colorize=False,
                   backtrace=False, diagnose=False)
    if log_file is not None:
        # diagnose=False: loguru's variable dumps could print secrets held in locals.
        logger.add(_RedactingFile(log_file), level=level, format=FORMAT, colorize=False,
                   backtrace=False, diagnose=False)
    # Libraries (python-telegram-bot, httpx, apscheduler, discord.py) log through the standard library: route
    # those records into the same redacting sinks, so a token in a URL never reaches a terminal or a file.
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h, _ToLoguru)] + [_ToLoguru()]
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # "job executed" every 20 s is noise


class _ToLoguru(logging.Handler):
    """A standard-library handler that hands each record to loguru (component: the library's logger name)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        name = record.name.split(".")[0]
        logger.bind(component=name).opt(exception=record.exc_info).log(level, "{}", record.getMessage())
