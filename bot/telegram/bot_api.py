"""Bot API plumbing shared by the front end and the alert channel: server URLs, and a token-safe http log."""

from __future__ import annotations

import logging


class _Redact(logging.Filter):
    """Keeps the bot token out of PTB's and httpx's standard-library log records (URLs carry it)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token:
            message = record.getMessage()
            if self.token in message:
                record.msg, record.args = message.replace(self.token, "***"), None
        return True


def quiet_http_logs(token: str) -> None:
    """httpx logs every request URL (with the token) at INFO: keep those loggers at WARNING, redacted."""
    for name in ("httpx", "httpcore", "telegram", "telegram.ext"):
        log = logging.getLogger(name)
        if log.level == logging.NOTSET or log.level < logging.WARNING:
            log.setLevel(logging.WARNING)
        if not any(isinstance(f, _Redact) for f in log.filters):
            log.addFilter(_Redact(token))


def api_urls(api_url: str) -> tuple[str, str]:
    """(base_url, base_file_url) of a Bot API server given as ".../bot" (PTB appends the token)."""
    base = api_url.rstrip("/")
    root = base[: -len("/bot")] if base.endswith("/bot") else base
    return f"{root}/bot", f"{root}/file/bot"
