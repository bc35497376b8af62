"""`zyn risk-alerts` (show, set, bad input) through click's CliRunner, and the alert tools in the catalogue."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from loguru import logger

from bot.cli.main import cli, main
from bot.notify.base import AlertKind
from memory import open_database
from memory.stores.alerts import ALERT_CHANNELS, ALERT_KINDS, DEFAULT_OFF
from tools.base import ConfirmPolicy, Permission
from tools.catalog import CATALOG, invoke
from tools.context import ToolContext
from trading.clock import ManualClock
from trading.domain import Mode
from trading.errors import InputError

AT = datetime(2024, 5, 6, 14, 7, 3, tzinfo=UTC)


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    yield
    logger.remove()  # the CLI's sinks point at CliRunner's streams, which are gone now


def zyn(*argv: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(argv))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def stored(tmp_path: Path) -> dict[tuple[str, str], str]:
    db = open_database(Mode.PAPER, tmp_path / "data")
    try:
        return db.alert_deliveries()
    finally:
        db.close()


def test_kinds_match_the_notifier() -> None:
    assert ALERT_KINDS == tuple(k.value for k in AlertKind)
    assert DEFAULT_OFF == {("autopilot_error", "sms"), ("daily_report", "sms"), ("watchdog", "sms"),
                           ("profit_target", "sms")}


def test_show_lists_every_event_and_channel_with_its_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ZYN_SMTP_TO", "owner@zyn.test")
    code, out = zyn("risk-alerts")
    assert code == 0
    for name in (*ALERT_KINDS, *ALERT_CHANNELS):
        assert name in out
    assert "set up" in out and "not set up" in out and "ZYN_SMS_ACCOUNT_SID" in out
    code, out = zyn("risk-alerts", "--json")
    data = json.loads(out)
    assert data["settings"]["kill_switch"]["sms"] == "on" and data["settings"]["daily_report"]["sms"] == "off"
    assert data["configured"] == {"telegram": False, "discord": False, "webhook": False, "email": True,
                                  "sms": False}


def test_set_persists_and_accepts_all(tmp_path: Path) -> None:
    code, out = zyn("risk-alerts", "set", "fill", "sms", "off")
    assert code == 0 and out.strip() == "Alert settings updated: fill sms on -> off"
    code, out = zyn("risk-alerts", "set", "all", "email", "silent")
    assert code == 0 and "daily_report email on -> silent" in out
    code, out = zyn("risk-alerts", "set", "Kill-Switch", "all", "OFF")
    assert code == 0 and "kill_switch telegram on -> off" in out
    code, out = zyn("risk-alerts", "set", "fill", "sms", "off")
    assert code == 0 and "unchanged" in out
    settings = stored(tmp_path)
    assert settings[("fill", "sms")] == "off" and settings[("bracket_exit", "email")] == "silent"
    assert all(settings[("kill_switch", c)] == "off" for c in ALERT_CHANNELS)
    assert settings[("fill", "telegram")] == "on"
    code, out = zyn("risk-alerts", "--json")
    assert json.loads(out)["settings"]["fill"]["sms"] == "off"


@pytest.mark.parametrize("argv, message", [
    (["bogus", "sms", "off"], "unknown event 'bogus'"),
    (["fill", "pigeon", "off"], "unknown channel 'pigeon'"),
    (["fill", "sms", "loud"], "unknown setting 'loud': use on, silent or off"),
    (["all", "all", "maybe"], "unknown setting 'maybe'"),
])
def test_bad_input_is_one_line_exit_1_and_changes_nothing(tmp_path: Path, argv: list[str], message: str) -> None:
    before = stored(tmp_path)
    code, out = zyn("risk-alerts", "set", *argv)
    assert code == 1 and message in out and "nothing changed" in out
    assert len(out.strip().splitlines()) == 1
    assert stored(tmp_path) == before


def test_through_main_a_missing_argument_is_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["risk-alerts", "set", "fill"]) == 1
    assert "Missing argument" in capsys.readouterr().err
    assert main(["risk-alerts", "set", "fill", "sms", "nope"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: unknown setting 'nope': use on, silent or off; nothing changed"]


async def test_the_tools(tmp_path: Path) -> None:
    assert CATALOG["set_alert"].permission is Permission.ADMIN and CATALOG["set_alert"].confirm is ConfirmPolicy.NEVER
    assert CATALOG["alert_settings"].permission is Permission.READ
    db = open_database(Mode.PAPER, tmp_path)
    try:
        ctx = ToolContext(mode=Mode.PAPER, exchange=None, journal=db, clock=ManualClock(AT), quote_currency="USD",
                          credentials_present=False, log_level="INFO", database="test", store=db, actor="telegram:42")
        result = await invoke(ctx, "set_alert", {"event": "errors", "channel": "mail", "delivery": "quiet"})
        assert result.changed == {"autopilot_error email": "on -> silent"}
        assert result.settings.settings["autopilot_error"]["email"] == "silent"
        [row] = [s for s in db.list_alert_settings() if not s.is_default]
        assert (row.kind, row.channel, row.delivery, row.updated_by, row.updated_at) == (
            "autopilot_error", "email", "silent", "telegram:42", AT)
        shown = await invoke(ctx, "alert_settings")
        assert "autopilot_error: telegram on · discord on · webhook on · email silent · sms off" in shown.text()
        with pytest.raises(InputError, match="unknown channel"):
            await invoke(ctx, "set_alert", {"event": "all", "channel": "fax", "delivery": "off"})
        with pytest.raises(InputError):
            await invoke(ctx, "set_alert", {"event": "fill"})
        with pytest.raises(ValueError):
            db.set_alert_delivery("fill", "sms", "loud", by="x", at=AT)
    finally:
        db.close()
