"""The Notifier over real channels and stand-ins: settings per kind and channel (persisted), cooldown, retries,
isolation of failing or slow channels, and the deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.notify.base import Alert, AlertKind, Delivery
from bot.notify.fanout import Notifier, Outcome
from bot.notify.mail import EmailChannel
from bot.notify.sms import SmsChannel
from bot.notify.webhook import WebhookChannel
from memory import open_database
from tests.bot.notify.standins import (
    HOOK_TOKEN,
    SMS_SID,
    SMS_TOKEN,
    SMTP_PASSWORD,
    SMTP_USER,
    Mailbox,
    TwilioStandin,
    WebhookReceiver,
    free_port,
    smtp_server,
)
from trading.clock import ManualClock
from trading.domain import Mode

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
AT = datetime(2024, 5, 6, 14, 7, 3, tzinfo=UTC)


class Sleeps:
    """The notifier's injected sleep: records each wait and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


def alert(kind: AlertKind = AlertKind.FILL, key: str = "BTC/USD", **kw: Any) -> Alert:
    return Alert(kind=kind, title=f"{kind.value} {key}", text=f"about {key}", at=AT, key=key, **kw)


@dataclass
class World:
    hook: WebhookReceiver
    twilio: TwilioStandin
    mail: Mailbox
    smtp_port: int

    def channels(self, *, hook_url: str | None = None) -> list[Any]:
        return [WebhookChannel(hook_url or self.hook.url),
                EmailChannel("127.0.0.1", self.smtp_port, "zyn@zyn.test", ["owner@zyn.test"], user=SMTP_USER,
                             password=SMTP_PASSWORD, starttls=False, timeout=5),
                SmsChannel(self.twilio.base, SMS_SID, SMS_TOKEN, "+15550001111", ["+15550002222"])]


@asynccontextmanager
async def world(**hook_options: Any) -> AsyncIterator[World]:
    with smtp_server() as (port, box):
        async with WebhookReceiver(**hook_options) as hook, TwilioStandin() as twilio:
            yield World(hook, twilio, box, port)


async def test_settings_per_kind_and_channel_are_respected_and_persisted(tmp_path: Path) -> None:
    db = open_database(Mode.PAPER, tmp_path)
    db.set_alert_deliveries({("fill", "sms"): "off", ("fill", "email"): "silent", ("fill", "webhook"): "silent",
                             ("kill_switch", "webhook"): "off"}, by="test", at=AT)
    db.close()
    db = open_database(Mode.PAPER, tmp_path)  # a restart: the settings come back from the file
    try:
        assert db.get_alert_delivery("fill", "sms") == "off" and db.get_alert_delivery("fill", "telegram") == "on"
        async with world() as w:
            notifier = Notifier(w.channels(), db, ManualClock(AT))
            assert notifier.deliveries(AlertKind.FILL) == {"webhook": Delivery.SILENT, "email": Delivery.SILENT,
                                                           "sms": Delivery.OFF}
            fill = await notifier.notify(alert())
            kill = await notifier.notify(alert(AlertKind.KILL_SWITCH, ""))
            error = await notifier.notify(alert(AlertKind.AUTOPILOT_ERROR, "ETH/USD"))  # SMS off by default
            report = await notifier.notify(alert(AlertKind.DAILY_REPORT, "2024-05-06", photo=b"\x89PNG"))
            other = open_database(Mode.PAPER, tmp_path)  # `zyn risk-alerts set` in another process
            other.set_alert_delivery("fill", "webhook", "off", by="cli", at=AT)
            other.close()
            later = await notifier.notify(alert(key="ETH/USD"))  # the running notifier sees it at once
            await notifier.close()
    finally:
        db.close()
    assert fill.sent == ("webhook", "email") and fill.skipped == {"sms": "off"} and fill.failed == {}
    assert fill["webhook"].silent and fill["email"].silent
    assert kill.sent == ("email", "sms") and kill.skipped == {"webhook": "off"}
    assert error.sent == ("webhook", "email") and error.skipped == {"sms": "off"}
    assert report.sent == ("webhook", "email") and report["sms"].outcome is Outcome.OFF
    assert later.sent == ("email",) and later.skipped == {"webhook": "off", "sms": "off"}
    assert [(b["kind"], b["silent"]) for b in w.hook.received] == [("fill", True), ("autopilot_error", False),
                                                                   ("daily_report", False)]
    assert [m["X-Priority"] for m in w.mail.messages] == ["5", "1", None, None, "5"]  # silent, kill switch, normal
    assert [m["Body"].split("\n")[0] for m in w.twilio.messages] == ["kill_switch "]


async def test_cooldown_drops_a_storm_and_the_next_alert_says_so(tmp_path: Path) -> None:
    clock = ManualClock(AT)
    async with WebhookReceiver() as hook:
        notifier = Notifier([WebhookChannel(hook.url)], None, clock, cooldown_seconds=60)
        results = [await notifier.notify(alert()) for _ in range(30)]
        other = await notifier.notify(alert(key="ETH/USD"))  # another key is not held back
        clock.advance(59)
        held = await notifier.notify(alert())
        clock.advance(2)
        after = await notifier.notify(alert())
        again = await notifier.notify(alert())
        await notifier.close()
    assert results[0].sent == ("webhook",) and {r["webhook"].outcome for r in results[1:]} == {Outcome.SUPPRESSED}
    assert other.sent == ("webhook",) and held.skipped == {"webhook": "suppressed"} and after.sent == ("webhook",)
    assert again.skipped == {"webhook": "suppressed"}
    assert [b["title"] for b in hook.received] == ["fill BTC/USD", "fill ETH/USD", "fill BTC/USD"]
    assert hook.received[2]["text"] == "about BTC/USD\n\n(30 similar alerts suppressed since the last one)"
    assert "suppressed" not in hook.received[0]["text"]


async def test_a_failing_channel_is_retried_with_backoff_then_given_up_and_blocks_nobody() -> None:
    async with world(statuses=[500] * 10) as w:
        sleeps = Sleeps()
        notifier = Notifier(w.channels(), None, ManualClock(AT), retries=3, backoff=1.0, sleep=sleeps)
        result = await notifier.notify(alert(AlertKind.KILL_SWITCH, ""))
        await notifier.close()
    assert result.sent == ("email", "sms")
    assert result.failed == {"webhook": "webhook: HTTP 500"} and result["webhook"].attempts == 4
    assert w.hook.requests == 4 and sleeps.calls == [1.0, 2.0, 4.0]  # exponential backoff between the attempts
    assert len(w.mail.messages) == 1 and len(w.twilio.messages) == 1


async def test_a_closed_port_and_a_refusal() -> None:
    async with world(statuses=[404]) as w:
        sleeps = Sleeps()
        closed = Notifier(w.channels(hook_url=f"http://127.0.0.1:{free_port()}/hook/{HOOK_TOKEN}"), None,
                          ManualClock(AT), retries=2, backoff=0.5, max_backoff=0.75, sleep=sleeps)
        down = await closed.notify(alert())
        await closed.close()
        assert down.failed == {"webhook": "webhook: cannot connect (Connection refused)"}
        assert down["webhook"].attempts == 3 and sleeps.calls == [0.5, 0.75] and down.sent == ("email", "sms")
        refused_sleeps = Sleeps()
        notifier = Notifier(w.channels(), None, ManualClock(AT), sleep=refused_sleeps)
        refused = await notifier.notify(alert())
        await notifier.close()
    assert refused.failed == {"webhook": "webhook: HTTP 404"} and refused["webhook"].attempts == 1
    assert refused_sleeps.calls == [] and w.hook.requests == 1  # a 4xx is final: no retry


async def test_retry_after_is_honoured_unless_it_is_too_long() -> None:
    async with TwilioStandin(throttle=2, retry_after="3") as twilio:
        sleeps = Sleeps()
        notifier = Notifier([SmsChannel(twilio.base, SMS_SID, SMS_TOKEN, "+1555", ["+1666"])], None,
                            ManualClock(AT), backoff=1.0, sleep=sleeps)
        ok = await notifier.notify(alert(AlertKind.KILL_SWITCH, ""))
        twilio.throttle, twilio.retry_after = 1, "600"
        too_long = await notifier.notify(alert(AlertKind.FILL))
        await notifier.close()
    assert ok.sent == ("sms",) and ok["sms"].attempts == 3 and sleeps.calls == [3.0, 3.0]
    assert too_long.failed == {"sms": "sms to +1666: HTTP 429 (20429: Too Many Requests)"}
    assert too_long["sms"].attempts == 1 and len(twilio.messages) == 1


async def test_a_slow_channel_is_cut_off_by_its_timeout_and_the_deadline() -> None:
    async with world(delay=30) as w:
        notifier = Notifier(w.channels(), None, ManualClock(AT), timeout=0.3, retries=1, sleep=Sleeps())
        started = time.monotonic()
        result = await notifier.notify(alert())
        elapsed = time.monotonic() - started
        assert result.sent == ("email", "sms") and result.failed == {"webhook": "webhook: no answer within 0.3s"}
        assert result["webhook"].attempts == 2 and elapsed < 3
        bounded = Notifier(w.channels(), None, ManualClock(AT), timeout=10, retries=50, deadline=0.5)
        started = time.monotonic()
        cut = await bounded.notify(alert(key="ETH/USD"))
        assert time.monotonic() - started < 3
        assert cut.failed == {"webhook": "webhook: gave up after 0.5s"} and cut.sent == ("email", "sms")
        await notifier.close()
        await bounded.close()


class BrokenStore:
    """A settings store whose database is gone."""

    def alert_deliveries(self, kind: str | None = None) -> dict[tuple[str, str], str]:
        raise OSError("disk I/O error")


async def test_an_unreadable_store_falls_back_to_the_defaults_and_nothing_raises() -> None:
    async with WebhookReceiver() as hook:
        notifier = Notifier([WebhookChannel(hook.url)], BrokenStore(), ManualClock(AT))
        result = await notifier.notify(alert())
        assert result.sent == ("webhook",)
        with pytest.raises(ValueError, match="already a webhook channel"):
            notifier.add_channel(WebhookChannel(hook.url))
        await notifier.close()
        assert notifier.submit(alert()) is None  # closed: nothing more is sent
