"""The daily profit target's alert has its own kind ("profit_target"), not the kill switch's: a real autopilot tick
on the paper simulator reaches the target, its event becomes the alert, and the Notifier delivers it to a real
webhook receiver under its own settings (off there while the kill switch stays on, and the other way round)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.notify.base import Alert, AlertKind, Delivery
from bot.notify.fanout import Notifier
from bot.notify.messages import alert_for
from bot.notify.webhook import WebhookChannel
from memory.vocab import default_delivery
from tests.bot.notify.standins import WebhookReceiver
from tests.trading.autopilot.test_profit_target import _gain_then_flat, _world
from tools.catalog import invoke
from tools.context import ToolContext
from trading.clock import ManualClock
from trading.domain import Mode
from trading.events import EventKind

AT = datetime(2024, 3, 4, 21, 10, tzinfo=UTC)


def test_its_defaults_are_on_like_the_kill_switch_except_sms() -> None:
    for channel in ("telegram", "discord", "webhook", "email"):
        assert default_delivery("profit_target", channel) == "on" == default_delivery("kill_switch", channel)
    assert default_delivery("profit_target", "sms") == "off"


async def test_the_reached_target_is_its_own_alert_kind_and_can_be_switched_off_alone(tmp_path: Path) -> None:
    w = _world(tmp_path, "0.3%")
    await _gain_then_flat(w)  # a real tick reaches the target: the autopilot publishes its event
    [event] = [e for e in w.events if e.kind is EventKind.PROFIT_TARGET_REACHED]
    alert = alert_for(event)
    assert alert is not None and alert.kind is AlertKind.PROFIT_TARGET
    kill = Alert(AlertKind.KILL_SWITCH, "Kill switch tripped [PAPER]", "daily loss limit", AT)
    async with WebhookReceiver() as hook:
        notifier = Notifier([WebhookChannel(hook.url)], w.db, ManualClock(AT))
        try:
            assert (await notifier.notify(alert)).sent == ("webhook",)  # on by default
            assert [b["kind"] for b in hook.received] == ["profit_target"]

            ctx = ToolContext(mode=Mode.PAPER, exchange=w.exchange, journal=w.db, clock=w.clock,
                              quote_currency="USD", credentials_present=False, log_level="INFO", database="test",
                              store=w.db)
            changed = await invoke(ctx, "set_alert", {"event": "profit target", "channel": "webhook",
                                                      "delivery": "off"})
            assert changed.changed == {"profit_target webhook": "on -> off"}
            assert changed.settings.settings["kill_switch"]["webhook"] == "on"
            assert notifier.deliveries(AlertKind.PROFIT_TARGET) == {"webhook": Delivery.OFF}
            later = Alert(alert.kind, alert.title, alert.text, AT, key="profit_target:2024-03-05")
            assert (await notifier.notify(later)).skipped == {"webhook": "off"}
            assert (await notifier.notify(kill)).sent == ("webhook",)  # the kill switch is not touched

            await invoke(ctx, "set_alert", {"event": "profit_target", "channel": "webhook", "delivery": "on"})
            await invoke(ctx, "set_alert", {"event": "kill_switch", "channel": "webhook", "delivery": "off"})
            again = Alert(alert.kind, alert.title, alert.text, AT, key="profit_target:2024-03-06")
            assert (await notifier.notify(again)).sent == ("webhook",)  # the kill switch's off is not its
            assert [b["kind"] for b in hook.received] == ["profit_target", "kill_switch", "profit_target"]
        finally:
            await notifier.close()
