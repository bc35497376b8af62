"""The universe selection on plain data: ranking by 24h quote volume, the filters, the history rule, the record."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from trading.config import TradingConfig
from trading.universe import KRAKEN, REPLAY, Candidate, choose, choose_offline, pick, rank

AT = datetime(2026, 12, 2, 0, 0, 5, tzinfo=UTC)


def c(symbol: str, volume: str | None, *, active: bool = True, dark: bool = False) -> Candidate:
    base, quote = symbol.split("/")
    return Candidate(symbol, base, quote, active, dark, Decimal(volume) if volume is not None else None)


MARKETS = [c("BTC/USD", "42000000"), c("ETH/USD", "18000000"), c("USDT/USD", "90000000"), c("EUR/USD", "50000000"),
           c("SOL/USD", "300000"), c("XRP/USD", "200000"), c("DOGE/USD", "9000000", active=False),
           c("LTC/USD", "5000000", dark=True), c("NEW/USD", "20000000"), c("ADA/USD", None), c("ETH/EUR", "99000000"),
           c("AAA/USD", "300000")]


def test_rank_orders_by_volume_in_the_quote_and_leaves_out_what_cannot_be_traded() -> None:
    ranked, out = rank(MARKETS, quote="USD")
    assert [x.symbol for x in ranked] == ["BTC/USD", "NEW/USD", "ETH/USD", "AAA/USD", "SOL/USD", "XRP/USD"]
    why = {o.symbol: o.reason for o in out}
    assert why == {"USDT/USD": "money base (stablecoin or fiat)", "EUR/USD": "money base (stablecoin or fiat)",
                   "DOGE/USD": "inactive market", "LTC/USD": "dark pool", "ADA/USD": "no 24h volume"}
    assert "ETH/EUR" not in why  # another quote's pair is no candidate at all
    ranked, out = rank(MARKETS, quote="USD", min_volume=Decimal("1000000"), exclude=())
    assert [x.symbol for x in ranked] == ["USDT/USD", "EUR/USD", "BTC/USD", "NEW/USD", "ETH/USD"]
    assert any(o.symbol == "SOL/USD" and "below the minimum" in o.reason for o in out)


def test_pick_passes_over_pairs_without_the_warmup_history() -> None:
    ranked, _ = rank(MARKETS, quote="USD")
    chosen, out = pick(ranked, {"BTC/USD": 719, "NEW/USD": 40, "ETH/USD": 719, "AAA/USD": 719}, size=3, warmup=612)
    assert [x.symbol for x in chosen] == ["BTC/USD", "ETH/USD", "AAA/USD"]  # AAA ties SOL at 300k: alphabetical
    assert {o.symbol: o.reason for o in out} == {"NEW/USD": "not enough history: 40 of 612 5m candles",
                                                "SOL/USD": "below the top 3", "XRP/USD": "below the top 3"}


def test_the_choice_records_volumes_history_and_why_the_others_were_left_out() -> None:
    history = {"BTC/USD": 719, "NEW/USD": 40, "ETH/USD": 700}
    choice = choose(MARKETS, history, quote="USD", size=2, warmup=612, at=AT)
    assert choice.pairs == ("BTC/USD", "ETH/USD") and choice.how == KRAKEN
    assert choice.volumes == {"BTC/USD": Decimal("42000000"), "ETH/USD": Decimal("18000000")}
    assert choice.history == {"BTC/USD": 719, "ETH/USD": 700}
    names = [o.symbol for o in choice.left_out]
    assert names[:3] == ["USDT/USD", "EUR/USD", "NEW/USD"]  # the most liquid left out first, "below the top" not named
    assert choice.counts["below the top 2"] == 3 and choice.counts["money base (stablecoin or fiat)"] == 2
    text = choice.text()
    assert "BTC/USD 42.0M, ETH/USD 18.0M" in text and "the 2 most liquid USD pairs on Kraken" in text
    assert "NEW/USD 20.0M: not enough history: 40 of 612 5m candles" in text and "3 below the top 2" in text


def test_offline_the_universe_is_the_replays_pairs_labelled_as_such() -> None:
    cands = [c("SOL/USD", None), c("BTC/USD", None), c("ETH/USD", None)]
    choice = choose_offline(cands, {"BTC/USD": 800, "ETH/USD": 800, "SOL/USD": 800}, quote="USD", size=2,
                            warmup=612, at=AT, note="offline replay (ETH/BTC rescaled)")
    assert choice.pairs == ("BTC/USD", "ETH/USD") and choice.how == REPLAY
    assert "offline, no Kraken volumes to rank by: the replay's pairs" in choice.how_text() and "ETH/BTC rescaled" in choice.how_text()


def test_config_default_is_todays_three_pairs_and_auto_chooses_as_many() -> None:
    assert TradingConfig().universe == ("BTC/USD", "ETH/USD", "SOL/USD") and TradingConfig().universe_size is None
    auto = TradingConfig.model_validate({"universe": "auto"})
    assert auto.universe_size == 3 and "USDT" in auto.universe_exclude
    assert TradingConfig.model_validate({"universe": "auto", "universe_size": 8}).universe_size == 8


def test_a_choice_that_finds_no_pair_says_so() -> None:
    choice = choose(MARKETS, {"BTC/USD": 30, "NEW/USD": 30, "ETH/USD": 30, "AAA/USD": 30, "SOL/USD": 30,
                              "XRP/USD": 30}, quote="USD", size=2, warmup=612, at=AT)
    assert choice.pairs == () and choice.counts["not enough history"] == 6
    assert "no pair qualified, so the autopilot evaluates none" in choice.summary()
