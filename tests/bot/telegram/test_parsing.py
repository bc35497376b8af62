"""Command parsing, message splitting, and the stand-in's own strictness (through the real PTB Bot)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, InvalidToken

from bot.commands.catalog import COMMANDS, Step, Usage, parse_command
from bot.telegram.bot_api import api_urls
from bot.telegram.format import clip, escape, html_parts, split_plain, tg_len
from tests.standins.telegram import TelegramStandin, parse_html

NOW = datetime(2024, 5, 6, 14, 7, tzinfo=UTC)


@pytest.mark.parametrize(("line", "step"), [
    ("buy BTC/USD 0.01", Step("place_order", {"symbol": "BTC/USD", "side": "buy", "amount": "0.01"})),
    ("buy eth $200", Step("place_order", {"symbol": "ETH", "side": "buy", "quote_amount": "200"})),
    ("sell ETH/USD 150usd", Step("place_order", {"symbol": "ETH/USD", "side": "sell", "quote_amount": "150"})),
    ("buy BTC/USD .5 limit 60000.5", Step("place_order", {"symbol": "BTC/USD", "side": "buy", "amount": "0.5",
                                                          "type": "limit", "price": "60000.5"})),
    ("bracket SOL/USD $50 2% 140", Step("place_bracket_order", {
        "symbol": "SOL/USD", "side": "buy", "quote_amount": "50", "stop_pct": "2", "take_profit": "140"})),
    ("cancel", Step(action="cancel_menu")),
    ("cancel all", Step("cancel_all")),
    ("cancel OABC12-DEF34-GHI567", Step("cancel_order", {"order_id": "OABC12-DEF34-GHI567"})),
    ("history", Step("trade_history", {"limit": 10})),
    ("pnl month", Step("performance_report", {"period": "month"})),
    ("report week", Step("report", {"period": "week"})),
    ("why btc", Step("why_not_trade", {"symbol": "BTC"})),
    ("why btc 14:05", Step("explain_evaluation", {"symbol": "BTC", "at": "2024-05-06T14:05:00+00:00"})),
    ("why btc 23:50", Step("explain_evaluation", {"symbol": "BTC", "at": "2024-05-05T23:50:00+00:00"})),
    ("why btc 2024-05-01 9:30", Step("explain_evaluation", {"symbol": "BTC", "at": "2024-05-01T09:30:00+00:00"})),
    ("autopilot off", Step("autopilot_stop")),
    ("killswitch reset", Step("kill_switch_reset", {"reason": "reset from Telegram"})),
    ("chart eth 6", Step("make_chart", {"symbol": "ETH", "hours": 6})),
    ("confirm k7q2", Step(action="confirm", code="K7Q2")),
])
def test_commands_parse_into_one_step(line: str, step: Step) -> None:
    name, *words = line.split()
    assert parse_command(name, words, NOW) == step


@pytest.mark.parametrize("line", [
    "buy BTC/USD", "buy BTC/USD 0", "buy BTC/USD 1,000", "buy BTC/USD 1e3", "buy BTC/USD 0.1 stop 5",
    "buy BTC/USD $", "buy BTC/USD 200eur", "buy <b>x</b> 1", "sell BTC/USD ½", "bracket BTC/USD 1 2% 5% limit",
    "history ٣", "history 101", "chart btc 0", "why btc 7pm", "why btc 2024-13-01 10:00", "confirm K7", "mode x",
    "backtest", "cancel all now", "autopilot on now",
])
def test_wrong_words_raise_usage(line: str) -> None:
    name, *words = line.split()
    with pytest.raises(Usage):
        parse_command(name, words, NOW)


def test_backtest_maps_days_to_a_start_day() -> None:
    from tools.catalog import CATALOG

    step = parse_command("backtest", ["BTC/USD", "30"], NOW)
    if "run_backtest" in CATALOG:
        # The last DAYS of the pair's data: the tool knows which data it reads (tests/tools/test_backtest_warmup.py).
        assert step == Step("run_backtest", {"symbol": "BTC/USD", "days": 30})
        week = parse_command("backtest", ["BTC/USD", "7"], NOW)
        assert week == Step("run_backtest", {"symbol": "BTC/USD", "days": 7})
    else:
        assert step == Step(action="unavailable")


def test_every_command_has_a_usage_line_and_a_short_description() -> None:
    for name, command in COMMANDS.items():
        assert command.usage.startswith(f"/{name}") and 3 <= len(command.description) <= 256


def test_split_respects_the_limit_in_utf16_after_escaping() -> None:
    text = "a&b<c>\n" * 1000 + "🚀" * 3000 + "\n" + "word " * 2000
    parts = split_plain(text)
    assert all(tg_len(escape(p)) <= 4096 for p in parts) and len(parts) >= 5
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
    assert html_parts("") == ["…"] and html_parts("  \n ") == ["…"]
    assert split_plain("x" * 5000, 4096) == ["x" * 4096, "x" * 904]
    assert tg_len(escape(clip("<" * 2000, 1024))) <= 1024 and clip("short", 1024) == "short"


def test_api_urls_from_the_setting() -> None:
    assert api_urls("http://127.0.0.1:81/bot") == ("http://127.0.0.1:81/bot", "http://127.0.0.1:81/file/bot")
    assert api_urls("https://tg.example/bot/") == ("https://tg.example/bot", "https://tg.example/file/bot")


def test_the_stand_in_parses_html_like_telegram() -> None:
    assert parse_html("<b>P&amp;L</b> &lt;1&gt; &#9989;") == "P&L <1> ✅"
    for bad in ("<b>open", "a < b", "x & y", "<script>x</script>", "<b><i>x</b></i>", "</b>"):
        with pytest.raises(Exception, match="Bad Request"):
            parse_html(bad)


async def test_the_stand_in_is_strict_with_the_real_bot() -> None:
    async with TelegramStandin("42:secret") as tg:
        base, files = api_urls(tg.url)
        async with Bot("42:secret", base_url=base, base_file_url=files) as bot:
            tg.add_chat(5)
            with pytest.raises(BadRequest, match="too long"):
                await bot.send_message(5, "x" * 4097)
            with pytest.raises(BadRequest, match="parse entities"):
                await bot.send_message(5, "<b>unclosed", parse_mode=ParseMode.HTML)
            with pytest.raises(BadRequest, match="not found"):
                await bot.send_message(6, "who?")
            with pytest.raises(EndPointNotFound):
                await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 5})
            sent = await bot.send_message(5, "🚀" * 2048)  # 4,096 UTF-16 units: just fits
            assert sent.message_id == 1 and tg.sent[0].text == "🚀" * 2048
            with pytest.raises(BadRequest, match="not modified"):
                await bot.edit_message_text("🚀" * 2048, chat_id=5, message_id=1)
        with pytest.raises(InvalidToken):
            async with Bot("42:wrong", base_url=base, base_file_url=files):
                pass
