"""The header's arithmetic: today's P&L against the loss limit, and when a tick counts as late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.web.views import heartbeat, today_pnl

T = datetime(2024, 5, 6, 14, 7, tzinfo=UTC)
DELAY = timedelta(seconds=5)


@dataclass
class Status:
    last_tick_at: datetime | None
    next_tick_at: datetime = datetime(2024, 5, 6, 14, 10, 5, tzinfo=UTC)


def test_todays_pnl_against_the_limit_is_shown_as_it_is_even_past_the_limit() -> None:
    assert today_pnl(Decimal("9900"), Decimal("10000"), Decimal("0.03")) == {"pnl": "-100", "limit": "300",
                                                                              "used": "0.3333"}
    assert today_pnl(Decimal("9589.15"), Decimal("10000"), Decimal("0.03"))["used"] == "1.3695"
    assert today_pnl(Decimal("10010"), Decimal("10000"), Decimal("0.03"))["used"] == "0"
    assert today_pnl(None, Decimal("10000"), Decimal("0.03"))["pnl"] is None  # unknown, never a guess
    assert today_pnl(Decimal("10000"), None, Decimal("0.03"))["pnl"] is None


def test_a_tick_is_late_only_when_one_was_due_and_did_not_come() -> None:
    due = datetime(2024, 5, 6, 14, 5, 5, tzinfo=UTC)
    assert heartbeat(Status(due), T, DELAY)["late"] is False
    assert heartbeat(Status(due - timedelta(minutes=5)), T, DELAY)["late"] is True  # 14:05 never came
    assert heartbeat(Status(None), due + timedelta(seconds=30), DELAY)["late"] is False  # within the grace
    assert heartbeat(Status(None), T, DELAY, since=T - timedelta(minutes=1))["late"] is False  # just started
    assert heartbeat(Status(None), T, DELAY, since=T - timedelta(minutes=10))["late"] is True
