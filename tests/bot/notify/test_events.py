"""Trading events on a real EventBus become alerts (sent in the background); the wording; no secret in any log."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from loguru import logger

from bot.notify.base import AlertKind
from bot.notify.fanout import Notifier
from bot.notify.mail import EmailChannel
from bot.notify.messages import alert_for, money, num
from bot.notify.sms import SmsChannel
from bot.notify.webhook import WebhookChannel
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
from tests.bot.notify.test_fanout import Sleeps
from trading.clock import ManualClock
from trading.domain import Fill, Liquidity, Order, OrderStatus, OrderType, Side
from trading.events import (
    AutopilotError,
    BracketExit,
    EventBus,
    EventKind,
    KillSwitchTripped,
    OrderFilled,
    OrderPlaced,
    TickCompleted,
)

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
AT = datetime(2024, 5, 6, 14, 7, 3, tzinfo=UTC)


def fill(side: Side = Side.BUY, amount: str = "0.01", price: str = "64250.50", fee: str = "2.57002") -> Fill:
    return Fill(id="T1", order_id="OQCLML-BW3P3-BUCMWZ", client_id="c1", symbol="BTC/USD", side=side,
                amount=D(amount), price=D(price), fee=D(fee), fee_currency="USD", liquidity=Liquidity.TAKER,
                timestamp=AT)


def events() -> list:
    order = Order(id="O1", client_id="c1", symbol="BTC/USD", side=Side.BUY, type=OrderType.MARKET, amount=D("0.01"),
                  status=OrderStatus.OPEN, created_at=AT, updated_at=AT)
    return [
        OrderPlaced(EventKind.ORDER_PLACED, AT, "paper", "placed", order=order),  # not an alert
        OrderFilled(EventKind.ORDER_FILLED, AT, "paper", "filled: buy 0.01 BTC/USD", fill=fill()),
        BracketExit(EventKind.BRACKET_EXIT, AT, "paper", "stop-loss hit", fill=fill(Side.SELL, "0.01", "61000"),
                    exit_kind="stop-loss"),
        KillSwitchTripped(EventKind.KILL_SWITCH_TRIPPED, AT, "live", "KILL SWITCH: down 5.12% today",
                          equity=D("9488.00"), start_equity=D("10000"), loss_fraction=D("0.0512")),
        AutopilotError(EventKind.AUTOPILOT_ERROR, AT, "paper", "autopilot error on ETH/USD: ExchangeError",
                       symbol="ETH/USD"),
        TickCompleted(EventKind.TICK_COMPLETED, AT, "paper", "tick done"),  # not an alert
    ]


def test_events_read_well_with_exact_decimals() -> None:
    alerts = [alert_for(e) for e in events()]
    assert alerts[0] is None and alerts[-1] is None
    filled, stop, kill, error = alerts[1:5]
    assert filled.kind is AlertKind.FILL and filled.key == "fill:T1" and filled.at == AT  # never cooled down
    assert filled.title == "Filled: buy 0.01 BTC/USD @ 64,250.5 [PAPER]"
    assert filled.text.splitlines() == ["Bought 0.01 BTC/USD at 64,250.5 USD",
                                        "Value 642.51 USD · fee 2.57002 USD (taker)",
                                        "Order OQCLML-BW3P3-BUCMWZ · 2024-05-06 14:07:03 UTC", "Mode PAPER"]
    assert stop.kind is AlertKind.BRACKET_EXIT and stop.title == "Stop loss hit: sold 0.01 BTC/USD @ 61,000 [PAPER]"
    assert kill.kind is AlertKind.KILL_SWITCH and kill.title == "KILL SWITCH tripped: down 5.12% today [LIVE]"
    assert "Equity 9,488.00 vs 10,000.00" in kill.text and "P&L today -512.00" in kill.text
    assert error.kind is AlertKind.AUTOPILOT_ERROR and error.key == "ETH/USD"
    assert error.title == "Autopilot error on ETH/USD [PAPER]" and "ExchangeError" in error.text
    assert num(D("1E+3")) == "1,000" and num(D("-0.000")) == "0" and money(D("-0.001")) == "0.00"


async def test_published_events_are_sent_in_the_background_and_drained_on_close() -> None:
    bus = EventBus()
    async with WebhookReceiver(delay=0.5) as hook:  # a slow receiver must not slow the publisher
        notifier = Notifier([WebhookChannel(hook.url)], None, ManualClock(AT))
        notifier.attach(bus)
        for event in events():
            await bus.publish(event)
        assert notifier.pending == 4 and hook.received == []  # publish() returned before any delivery
        await notifier.close()
        assert notifier.pending == 0
    assert sorted(b["kind"] for b in hook.received) == ["autopilot_error", "bracket_exit", "fill", "kill_switch"]


async def test_a_storm_of_events_is_one_alert() -> None:
    bus = EventBus()
    async with WebhookReceiver() as hook:
        notifier = Notifier([WebhookChannel(hook.url)], None, ManualClock(AT), cooldown_seconds=60)
        notifier.attach(bus)
        for _ in range(25):
            await bus.publish(AutopilotError(EventKind.AUTOPILOT_ERROR, AT, "paper", "boom on BTC/USD",
                                             symbol="BTC/USD"))
        await notifier.close()
    assert [b["title"] for b in hook.received] == ["Autopilot error on BTC/USD [PAPER]"]


async def test_no_secret_reaches_the_log() -> None:
    lines: list[str] = []
    # A raw sink without the redactor, as verbose as it gets: the secrets must not even be handed to loguru.
    sink = logger.add(lines.append, level="TRACE", format="[{extra}] {message}", backtrace=False, diagnose=False)
    wrong_password = "wrong-smtp-pass-77aa"
    try:
        with smtp_server() as (port, _box):
            async with WebhookReceiver(statuses=[500, 401]) as hook, TwilioStandin(fail_to={"+1777"}) as twilio:
                good = [WebhookChannel(hook.url),
                        EmailChannel("127.0.0.1", port, "zyn@zyn.test", ["o@zyn.test"], user=SMTP_USER,
                                     password=SMTP_PASSWORD, starttls=False, timeout=5),
                        SmsChannel(twilio.base, SMS_SID, SMS_TOKEN, "+1555", ["+1666", "+1777"])]
                bad = [WebhookChannel(f"http://127.0.0.1:{free_port()}/hook/{HOOK_TOKEN}"),
                       EmailChannel("127.0.0.1", port, "zyn@zyn.test", ["o@zyn.test"], user=SMTP_USER,
                                    password=wrong_password, starttls=False, timeout=5),
                       SmsChannel(twilio.base, SMS_SID, "wrong-sms-token-1234", "+1555", ["+1666"])]
                for channels in (good, bad):
                    notifier = Notifier(channels, None, ManualClock(AT), retries=1, sleep=Sleeps())
                    result = await notifier.notify(alert_for(events()[3]))
                    await notifier.close()
                    text = repr(result)
                    for secret in (HOOK_TOKEN, SMTP_PASSWORD, SMS_TOKEN, wrong_password, "wrong-sms-token-1234"):
                        assert secret not in text
    finally:
        logger.remove(sink)
    log = "".join(lines)
    assert "'component': 'notify'" in log and "NOT delivered to webhook" in log and "sent to email" in log
    for secret in (HOOK_TOKEN, SMTP_PASSWORD, SMS_TOKEN, wrong_password, "wrong-sms-token-1234"):
        assert secret not in log
