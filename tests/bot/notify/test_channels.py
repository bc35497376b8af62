"""Each channel against its local stand-in over real sockets: webhook (aiohttp), SMS (Twilio-like), email (aiosmtpd)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from bot.notify.base import Alert, AlertKind, NotifyError, RetryableNotifyError
from bot.notify.channels import build_channels, configured_channels, missing_settings
from bot.notify.httpio import retry_after_seconds
from bot.notify.mail import EmailChannel
from bot.notify.sms import SmsChannel
from bot.notify.text import TRUNCATED
from bot.notify.webhook import WebhookChannel
from bot.settings import load_settings
from tests.bot.notify.standins import (
    HOOK_TOKEN,
    SMS_SID,
    SMS_TOKEN,
    SMTP_PASSWORD,
    SMTP_USER,
    TwilioStandin,
    WebhookReceiver,
    free_port,
    smtp_server,
)
from trading.clock import ManualClock

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
AT = datetime(2024, 5, 6, 14, 7, 3, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def fill_alert(**kw: object) -> Alert:
    values = dict(kind=AlertKind.FILL, title="Filled: buy 0.01 BTC/USD @ 64,250.5 [PAPER]",
                  text="Bought 0.01 BTC/USD at 64,250.5 USD\nfee 2.57 USD", at=AT, key="BTC/USD")
    values.update(kw)
    return Alert(**values)


async def test_webhook_posts_json_with_the_photo_as_base64() -> None:
    async with WebhookReceiver() as hook:
        channel = WebhookChannel(hook.url)
        try:
            await channel.send(fill_alert(), silent=False)
            await channel.send(fill_alert(kind=AlertKind.DAILY_REPORT, photo=PNG, photo_name="eq.png"), silent=True)
        finally:
            await channel.close()
    first, report = hook.received
    assert first == {"kind": "fill", "title": "Filled: buy 0.01 BTC/USD @ 64,250.5 [PAPER]",
                     "text": "Bought 0.01 BTC/USD at 64,250.5 USD\nfee 2.57 USD", "at": "2024-05-06T14:07:03+00:00",
                     "silent": False}
    assert report["kind"] == "daily_report" and report["silent"] is True and report["photo_name"] == "eq.png"
    assert base64.b64decode(report["photo"]) == PNG


async def test_webhook_failures_are_typed_and_never_show_the_url() -> None:
    async with WebhookReceiver(statuses=[500, 429, 404], retry_after="7") as hook:
        channel = WebhookChannel(hook.url)
        try:
            with pytest.raises(RetryableNotifyError) as e500:
                await channel.send(fill_alert(), silent=False)
            with pytest.raises(RetryableNotifyError) as e429:
                await channel.send(fill_alert(), silent=False)
            with pytest.raises(NotifyError) as e404:
                await channel.send(fill_alert(), silent=False)
        finally:
            await channel.close()
    assert str(e500.value) == "webhook: HTTP 500" and e500.value.retry_after is None
    assert e429.value.retry_after == 7.0
    assert not e404.value.retryable and str(e404.value) == "webhook: HTTP 404"
    closed = WebhookChannel(f"http://127.0.0.1:{free_port()}/hook/{HOOK_TOKEN}")
    try:
        with pytest.raises(RetryableNotifyError, match="cannot connect") as refused:
            await closed.send(fill_alert(), silent=False)
    finally:
        await closed.close()
    for err in (e500.value, e429.value, e404.value, refused.value):
        assert HOOK_TOKEN not in str(err) and "127.0.0.1" not in str(err)
    assert HOOK_TOKEN not in repr(closed)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("30", AT) == 30.0 and retry_after_seconds(" 1.5 ", AT) == 1.5
    assert retry_after_seconds("Mon, 06 May 2024 14:08:03 GMT", AT) == 60.0
    assert retry_after_seconds(None, AT) is None and retry_after_seconds("soon", AT) is None
    assert retry_after_seconds("-5", AT) == 0.0


async def test_sms_posts_one_form_per_recipient_with_basic_auth() -> None:
    async with TwilioStandin() as twilio:
        channel = SmsChannel(twilio.base, SMS_SID, SMS_TOKEN, "+15550001111", ["+15550002222", "+15550003333"])
        try:
            await channel.send(fill_alert(kind=AlertKind.KILL_SWITCH, title="KILL SWITCH tripped",
                                          text="down 5.12%", photo=PNG), silent=False)
            await channel.send(fill_alert(text="z" * 5000), silent=False)
        finally:
            await channel.close()
    assert [(m["From"], m["To"]) for m in twilio.messages] == [("+15550001111", "+15550002222"),
                                                               ("+15550001111", "+15550003333")] * 2
    assert twilio.messages[0]["Body"] == "KILL SWITCH tripped\ndown 5.12%"
    long = twilio.messages[2]["Body"]
    assert len(long) <= 1600 and long.endswith(TRUNCATED) and long.startswith("Filled: buy 0.01 BTC/USD")


async def test_sms_refusals_and_a_retry_texts_only_the_numbers_not_reached() -> None:
    async with TwilioStandin(fail_to={"+15550003333"}) as twilio:
        bad = SmsChannel(twilio.base, SMS_SID, "wrong-token-000000", "+15550001111", ["+15550002222"])
        channel = SmsChannel(twilio.base, SMS_SID, SMS_TOKEN, "+15550001111", ["+15550002222", "+15550003333"])
        try:
            with pytest.raises(NotifyError) as auth:
                await bad.send(fill_alert(), silent=False)
            alert = fill_alert()
            with pytest.raises(NotifyError) as invalid:
                await channel.send(alert, silent=False)
            twilio.fail_to.clear()
            await channel.send(alert, silent=False)  # the fan-out's retry of the same alert
        finally:
            await bad.close()
            await channel.close()
    assert not auth.value.retryable and str(auth.value) == "sms to +15550002222: HTTP 401 (20003: Authenticate)"
    assert not invalid.value.retryable and "21211" in str(invalid.value)
    assert [m["To"] for m in twilio.messages] == ["+15550002222", "+15550003333"]  # nobody texted twice


async def test_sms_429_is_retryable_with_the_asked_wait() -> None:
    async with TwilioStandin(throttle=1, retry_after="3") as twilio:
        channel = SmsChannel(twilio.base, SMS_SID, SMS_TOKEN, "+15550001111", ["+15550002222"])
        try:
            with pytest.raises(RetryableNotifyError) as throttled:
                await channel.send(fill_alert(), silent=False)
            await channel.send(fill_alert(), silent=False)
        finally:
            await channel.close()
    assert throttled.value.retry_after == 3.0 and len(twilio.messages) == 1


async def test_email_logs_in_and_attaches_the_png() -> None:
    with smtp_server() as (port, box):
        channel = EmailChannel("127.0.0.1", port, "zyn@zyn.test", ["owner@zyn.test", "ops@zyn.test"],
                               user=SMTP_USER, password=SMTP_PASSWORD, starttls=False, timeout=5)
        await channel.send(fill_alert(), silent=False)
        await channel.send(fill_alert(kind=AlertKind.DAILY_REPORT, title="Daily report\n2024-05-06", photo=PNG,
                                      photo_name="equity.png"), silent=True)
    assert box.logins == [SMTP_USER, SMTP_USER]
    assert box.envelopes[0] == ("zyn@zyn.test", ["owner@zyn.test", "ops@zyn.test"])
    fill, report = box.messages
    assert fill["Subject"] == "[Zyn] Filled: buy 0.01 BTC/USD @ 64,250.5 [PAPER]" and fill["X-Priority"] is None
    assert fill.get_content_type() == "text/plain"
    assert "Bought 0.01 BTC/USD at 64,250.5 USD" in fill.get_content()
    assert report["Subject"] == "[Zyn] Daily report 2024-05-06" and report["X-Priority"] == "5"
    [attachment] = list(report.iter_attachments())
    assert attachment.get_content_type() == "image/png" and attachment.get_filename() == "equity.png"
    assert attachment.get_content() == PNG


async def test_email_failures_are_typed() -> None:
    with smtp_server() as (port, _box):
        wrong = EmailChannel("127.0.0.1", port, "zyn@zyn.test", ["owner@zyn.test"], user=SMTP_USER,
                             password="not-the-password-1234", starttls=False, timeout=5)
        with pytest.raises(NotifyError) as refused:
            await wrong.send(fill_alert(), silent=False)
        tls = EmailChannel("127.0.0.1", port, "zyn@zyn.test", ["owner@zyn.test"], starttls=True, timeout=5)
        with pytest.raises(NotifyError) as no_tls:
            await tls.send(fill_alert(), silent=False)
    assert not refused.value.retryable and str(refused.value) == "email: login refused (535)"
    assert not no_tls.value.retryable and "STARTTLS" in str(no_tls.value)
    down = EmailChannel("127.0.0.1", free_port(), "zyn@zyn.test", ["owner@zyn.test"], starttls=False, timeout=2)
    with pytest.raises(RetryableNotifyError, match="cannot reach the SMTP server"):
        await down.send(fill_alert(), silent=False)
    assert "not-the-password" not in repr(wrong) and "not-the-password" not in str(refused.value)


def test_build_channels_from_settings() -> None:
    none = load_settings()
    assert build_channels(none) == [] and not any(configured_channels(none).values())
    assert missing_settings(none)["email"] == ["ZYN_SMTP_HOST", "ZYN_SMTP_TO"]
    full = load_settings(alert_webhook_url=f"http://127.0.0.1:1/hook/{HOOK_TOKEN}", smtp_host="127.0.0.1",
                         smtp_to="a@zyn.test, b@zyn.test", smtp_user=SMTP_USER, smtp_password=SMTP_PASSWORD,
                         sms_account_sid=SMS_SID, sms_auth_token=SMS_TOKEN, sms_from="+1555", sms_to="+1666",
                         telegram_token="123456:" + "A" * 35)
    channels = build_channels(full, clock=ManualClock(AT))
    assert [c.name for c in channels] == ["webhook", "email", "sms"]
    email = channels[1]
    assert email.sender == SMTP_USER and email.recipients == ("a@zyn.test", "b@zyn.test")
    status = configured_channels(full)
    assert status == {"telegram": False, "discord": False, "webhook": True, "email": True, "sms": True}
    assert missing_settings(full)["telegram"] == ["ZYN_TELEGRAM_OWNER_ID or ZYN_TELEGRAM_ALERT_CHATS"]
    for channel in channels:
        for secret in (HOOK_TOKEN, SMTP_PASSWORD, SMS_TOKEN):
            assert secret not in repr(channel)
    assert build_channels(load_settings(smtp_host="h", smtp_to=" , ")) == []  # no address: no channel, no crash


def test_an_alert_keeps_its_message_id_across_attempts() -> None:
    from datetime import UTC, datetime

    from bot.notify.base import Alert, AlertKind
    from bot.notify.mail import email_message

    alert = Alert(AlertKind.FILL, "Filled: buy 0.01 BTC/USD", "body", datetime(2024, 5, 6, tzinfo=UTC), key="fill:T1")
    first = email_message(alert, "zyn@example.org", ["me@example.org"], silent=False)
    again = email_message(alert, "zyn@example.org", ["me@example.org"], silent=False)
    other = email_message(Alert(AlertKind.FILL, "Filled: buy 0.02 BTC/USD", "body", alert.at, key="fill:T2"),
                          "zyn@example.org", ["me@example.org"], silent=False)
    assert first["Message-ID"] == again["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"].endswith("@example.org>")
