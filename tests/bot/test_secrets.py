"""A planted canary secret never appears in logs, databases or CLI output."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from loguru import logger

from bot.cli.main import main
from bot.logs import redactor, setup_logging

CANARY_KEY = "CANARYKEY-7f3a9c1e5b"
CANARY_SECRET = base64.b64encode(b"canary-secret-bytes-0123456789").decode()


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_redactor_removes_registered_and_shaped_secrets(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    setup_logging("DEBUG", log_file=log, console_level=None, secrets=[CANARY_SECRET])
    logger.info("key={} secret {}", "abc", CANARY_SECRET)
    logger.info("telegram 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawxyz token")
    logger.info("db postgresql://zyn:hunter2pass@localhost/zyn")
    try:
        raise ValueError(f"boom {CANARY_SECRET}")
    except ValueError:
        logger.exception("failure")
    text = log.read_text()
    assert CANARY_SECRET not in text
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawxyz" not in text and "hunter2pass" not in text
    assert "***" in text and "failure" in text
    assert redactor(f"x {CANARY_SECRET} y") == "x *** y"


def test_canary_never_leaks_through_cli(capsys: pytest.CaptureFixture[str], monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    monkeypatch.setenv("ZYN_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("KRAKEN_API_KEY", CANARY_KEY)
    monkeypatch.setenv("KRAKEN_API_SECRET", CANARY_SECRET)
    outputs = []
    for argv in (["status"], ["status", "--json"], ["order", "buy", "BTC/USD", "0.01"], ["portfolio", "--json"],
                 ["order", "buy", "BTC/USD", "abc"], ["orders", "--closed", "--json"], ["trades"]):
        main(argv)
        out, err = capsys.readouterr()
        outputs.append(out + err)
    text = "\n".join(outputs)
    assert "present" in text  # credentials are reported as present, never shown
    data = _all_bytes(tmp_path / "data")
    assert data, "the commands wrote a database and a log"
    for canary in (CANARY_KEY, CANARY_SECRET):
        assert canary not in text
        assert canary.encode() not in data


def test_library_logs_go_through_the_redacting_sinks(tmp_path: Path) -> None:
    import logging

    log = tmp_path / "lib.log"
    token = "123456789:ZYN-library-token-abcdefghijklmnopqrstu"
    setup_logging("INFO", log_file=log, console_level=None, secrets=[token])
    logging.getLogger("telegram.ext.Updater").warning("polling https://api.telegram.org/bot%s/getUpdates failed",
                                                      token)
    logging.getLogger("httpx").warning("HTTP Request: POST https://api.telegram.org/bot%s/sendMessage", token)
    logger.remove()  # flush the file sink
    text = log.read_text(encoding="utf-8")
    assert "getUpdates failed" in text and "[telegram]" in text and "[httpx]" in text
    assert token not in text and "ZYN-library-token" not in text


def test_a_discord_shaped_token_is_redacted_even_unregistered(tmp_path: Path) -> None:
    log = tmp_path / "d.log"
    setup_logging("DEBUG", log_file=log, console_level=None, secrets=[])
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GZyn01.abcdefghijklmnopqrstuvwxyz0123456789"
    logger.info("discord login with {}", token)
    logger.info("POST https://discord.com/api/v10/webhooks/9001/aW50ZXJhY3Rpb246MTIzNDU2?wait=1 responded 429")
    text = log.read_text()
    assert token not in text and "aW50ZXJhY3Rpb246MTIzNDU2" not in text and "/webhooks/9001/***" in text
