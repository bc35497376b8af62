"""The grounding check: figures, ids and claimed actions must come from this turn's tool outcomes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from agent.grounding import ACTION_PROBLEM, check_reply, correction_text
from tools.gate.types import ToolCall, ToolOutcome
from tools.results import OrderResult, PriceResult
from trading.domain import Order, OrderStatus, OrderType, Side, Ticker

D = Decimal
AT = datetime(2024, 5, 6, 14, 5, tzinfo=UTC)
TICKER = Ticker(symbol="BTC/USD", bid=D("64000.1"), ask=D("64010.3"), last=D("64005.2"), timestamp=AT,
                source="kraken")
PRICE = ToolOutcome(call=ToolCall("get_price", {"symbol": "BTC/USD"}), ok=True, result=PriceResult(TICKER))
ORDER = Order(id="OQCLML-BW3P3-BUCMWZ", client_id="c1", symbol="BTC/USD", side=Side.BUY, type=OrderType.MARKET,
              amount=D("0.01"), status=OrderStatus.CLOSED, created_at=AT, updated_at=AT, filled=D("0.01"),
              average=D("64013.527"), fee=D("2.56054108"))
PLACED = ToolOutcome(call=ToolCall("place_order", {"symbol": "BTC/USD", "side": "buy", "amount": "0.01"}), ok=True,
                     result=OrderResult(order=ORDER, source="kraken"))


def never(_: str) -> bool:
    return False


def test_a_fabricated_fill_is_flagged_and_corrected() -> None:
    reply = "Done! I bought 0.5 BTC at $63,200.00. Order OABCDE-FGHIJ-KLMNOP filled."
    verdict = check_reply(reply, [PRICE], known_ids=never)
    assert not verdict.ok
    assert ACTION_PROBLEM in verdict.problems
    assert any("OABCDE-FGHIJ-KLMNOP" in p for p in verdict.problems)
    assert any("63,200.00" in p for p in verdict.problems) and any("0.5" in p for p in verdict.problems)
    fixed = correction_text(verdict, [PRICE])
    assert fixed.startswith("I could not verify my previous answer")
    assert PRICE.text() in fixed and "Nothing was placed or changed this turn." in fixed
    assert "63,200" not in fixed and "OABCDE" not in fixed
    assert "no tool ran" in correction_text(verdict, [])


def test_a_legit_reply_passes_with_numbers_formatted_differently() -> None:
    reply = ("Bought 0.01 BTC/USD, order OQCLML-BW3P3-BUCMWZ filled at an average of $64,013.53 "
             "(fee 2.56 USD). BTC was at 64005.2 (bid 64,000.10, ask ~$64k) at 14:05 on 2024-05-06.")
    verdict = check_reply(reply, [PRICE, PLACED], known_ids=never)
    assert verdict.ok, verdict.problems


def test_rounding_is_allowed_only_to_the_precision_shown() -> None:
    assert check_reply("BTC is at $64,005", [PRICE], known_ids=never).ok
    assert check_reply("BTC is at 64005.20 USD", [PRICE], known_ids=never).ok
    assert not check_reply("BTC is at $64,006", [PRICE], known_ids=never).ok
    assert not check_reply("BTC is at 64005.3 USD", [PRICE], known_ids=never).ok


def test_an_order_id_not_in_the_outcomes_is_flagged_unless_it_is_a_known_record() -> None:
    reply = "Your order OXXXXX-YYYYY-ZZZZZZ is still open."
    assert not check_reply(reply, [PRICE], known_ids=never).ok
    assert check_reply(reply, [PRICE], known_ids=lambda i: i == "OXXXXX-YYYYY-ZZZZZZ").ok
    bracket = "Bracket BQCLML-BW3P3-BUCMWZ protects it."
    assert check_reply(bracket, [PRICE], known_ids=lambda i: i.startswith("B")).ok


def test_a_claimed_action_without_a_tool_is_flagged() -> None:
    for reply in ("I've placed the order for you.", "Done.", "Your order has been filled.", "I sold it all."):
        verdict = check_reply(reply, [PRICE], known_ids=never)
        assert verdict.problems == [ACTION_PROBLEM], reply
    assert check_reply("I placed the order.", [PLACED], known_ids=never).ok
    failed = ToolOutcome(call=PLACED.call, ok=False, error="insufficient funds")
    assert not check_reply("Order placed.", [failed], known_ids=never).ok


def test_a_pending_confirmation_is_not_an_action() -> None:
    from tools.gate.types import PendingAction

    pending = PendingAction(code="K7Q2", tool="place_order", args={"symbol": "BTC/USD"}, user_id="1", chat_id="c",
                            created_at=AT, expires_at=AT, summary="buy 0.01 BTC/USD at market (LIVE)")
    asked = ToolOutcome(call=PLACED.call, ok=True, pending=pending)
    assert check_reply("Confirm K7Q2 to buy 0.01 BTC/USD.", [asked], known_ids=never).ok
    assert check_reply("I bought 0.01 BTC.", [asked], known_ids=never).problems == [ACTION_PROBLEM]
    assert "PENDING CONFIRMATION K7Q2" in correction_text(check_reply("Done", [asked], known_ids=never), [asked])


def test_small_integers_dates_times_and_user_percentages_are_not_flagged() -> None:
    reply = "You have 2 positions and 3 open orders; the last check was at 14:05:33 UTC on 06/05/2024 in 2024."
    assert check_reply(reply, [], known_ids=never).ok
    assert check_reply("A 5m candle, 24h range, code K7Q2, step 1 of 3.", [], known_ids=never).ok
    assert not check_reply("Your stop is 2.5% below.", [], known_ids=never).ok
    assert check_reply("Your stop is 2.5% below.", [], known_ids=never, user_text="buy with a 2.5% stop").ok
    assert not check_reply("You hold 2 BTC.", [], known_ids=never).ok  # a small amount of an asset is a figure
    assert not check_reply("BTC is at 64000", [], known_ids=never).ok  # a bare large integer is a figure


def test_a_percentage_matches_a_fraction_from_the_tool() -> None:
    risk = ToolOutcome(call=ToolCall("set_risk", {"risk_per_trade": "0.015"}), ok=True, result="risk updated")
    assert check_reply("Risk per trade is now 1.5%.", [risk], known_ids=never).ok


def test_ids_that_look_like_huge_exponents_do_not_break_the_check() -> None:
    from tools.gate.types import ToolCall, ToolOutcome

    class Said:
        def text(self) -> str:
            return "Order OABCDE-FGHIJ-KLMNOP client 5e70001234-d2ab 9E999999999 filled @ 64,005.00"

    outcome = ToolOutcome(ToolCall("get_price", {"symbol": "BTC/USD"}), ok=True, result=Said())
    assert check_reply("BTC is at 64,005.00", [outcome], known_ids=never).ok
