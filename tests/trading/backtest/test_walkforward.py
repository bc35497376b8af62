"""Walk-forward: windows, no look-ahead (poisoned future candles change no earlier window), JSON shape, CLI."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pytest

from bot.cli.main import main
from trading.backtest.data import load_candles, make_ohlcv, slice_range
from trading.backtest.engine import BacktestSettings
from trading.backtest.run import market_for
from trading.backtest.walkforward import parse_span, split, walk_forward
from trading.clock import from_ms
from trading.config import RegimeSettings, TradingConfig
from trading.errors import InputError

CANDLES = Path(__file__).resolve().parents[2] / "fixtures" / "candles" / "ETH_BTC-5m.csv"
DAY = timedelta(days=1)


def _setup() -> tuple:
    ohlcv = load_candles(CANDLES)
    market, _ = market_for("ETH/BTC", {}, unbundled_ok=True)
    # A 5-minute stack that trades often, so every window has decisions to compare.
    cfg = TradingConfig(strategy="ma_crossover", regimes=RegimeSettings(timeframe="5m"))
    return ohlcv, market, cfg, BacktestSettings(use_filters=False, taker_fee=D("0.0026"))


def test_windows_roll_by_the_test_span_after_the_first_train_span() -> None:
    ohlcv, *_ = _setup()
    ws = split(ohlcv.timestamps, 2 * DAY, DAY)
    assert len(ws) == 8  # 3,000 five-minute candles: 10.4 days, 2 to train, 8 whole test days
    assert ws[0].test_start == 576 and all(w.test_end - w.test_start == 288 for w in ws)
    assert all(a.test_end == b.test_start for a, b in zip(ws, ws[1:], strict=False))


@pytest.mark.parametrize("stack", ["5m", "default"])
def test_poisoned_future_candles_change_no_earlier_window(stack: str) -> None:
    """Also for the default stack, whose trend, regime and exits read 1h bars built from the 5-minute ones."""
    ohlcv, market, cfg, settings = _setup()
    train = 2 * DAY
    if stack == "default":  # its 1h warm-up (613 candles) needs more than two days of training
        cfg, settings, train = TradingConfig(), BacktestSettings(taker_fee=D("0.0026")), 3 * DAY
    clean = walk_forward(ohlcv, market, cfg, settings, train=train, test=DAY)
    cut = split(ohlcv.timestamps, train, DAY)[3].test_end  # everything after the fourth test window
    rng = np.random.default_rng(7)
    wild = rng.uniform(0.5, 2.0, size=len(ohlcv) - cut)
    c = ohlcv.close.copy()
    c[cut:] *= wild
    o, h, lo = ohlcv.open.copy(), ohlcv.high.copy(), ohlcv.low.copy()
    o[cut:] *= wild[::-1]
    h[cut:] = np.maximum.reduce([h[cut:], o[cut:], c[cut:]]) * 1.01
    lo[cut:] = np.minimum.reduce([lo[cut:], o[cut:], c[cut:]]) * 0.99
    poisoned = make_ohlcv(ohlcv.timestamps, o, h, lo, c, ohlcv.volume)
    dirty = walk_forward(poisoned, market, cfg, settings, train=train, test=DAY)
    early = [w.policies["static"] for w in clean.windows[:4]]
    assert sum(f.trades for f in early) >= (4 if stack == "5m" else 1)  # there are decisions to compare
    assert [w.changes for w in clean.windows[:4]] == [w.changes for w in dirty.windows[:4]]  # the learner too
    for a, b in zip(clean.windows[:4], dirty.windows[:4], strict=True):
        for name in a.policies:
            assert a.policies[name].as_dict() == b.policies[name].as_dict()
            assert np.array_equal(a.policies[name].equity, b.policies[name].equity)
    # ...and the poison does reach the later windows, so the comparison could have failed.
    assert [w.policies["buy_hold"].as_dict() for w in clean.windows[4:]] != [
        w.policies["buy_hold"].as_dict() for w in dirty.windows[4:]]


def test_totals_are_the_windows_summed_and_chained() -> None:
    ohlcv, market, cfg, settings = _setup()
    wf = walk_forward(ohlcv, market, cfg, settings, train=2 * DAY, test=DAY)
    for name, total in wf.totals.items():
        assert total.return_pct == pytest.approx(sum(w.policies[name].return_pct for w in wf.windows))
        assert total.trades == sum(w.policies[name].trades for w in wf.windows)
        assert total.fees == sum((w.policies[name].fees for w in wf.windows), D(0))
        assert total.max_drawdown_pct >= max(w.policies[name].max_drawdown_pct for w in wf.windows) - 1e-9
    assert wf.totals["cash"].as_dict() == {"return_pct": 0.0, "trades": 0, "profit_factor": None, "fees": "0",
                                           "max_drawdown_pct": 0.0}
    first = wf.windows[0]
    i = 576
    cost = 0.0026 + 0.0005
    expected = (float(ohlcv.close[i + 287]) * (1 - cost)) / (float(ohlcv.open[i]) * (1 + cost)) - 1
    assert first.policies["buy_hold"].return_pct == pytest.approx(expected * 100)


@pytest.mark.parametrize("text, words", [("4x", "not a span"), ("0d", "not a span"), ("d", "not a span")])
def test_bad_spans(text: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        parse_span(text, "--train")


def test_cli_walkforward_json_table_and_chart(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["walkforward", "ETH/BTC", "--candles", str(CANDLES), "--train", "3d", "--test", "1d",
                 "--taker-fee", "0.26%", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc["policies"]) == {"static", "adaptive", "cash", "buy_hold"}
    for figures in doc["policies"].values():
        assert set(figures) == {"return_pct", "trades", "profit_factor", "fees", "max_drawdown_pct"}
    assert len(doc["windows"]) == 7  # 10.4 days: 3 to train (the default stack's 1h warm-up needs over 2)
    assert {"start", "end", "static", "adaptive", "cash", "buy_hold", "arms_on", "changes", "risk_factors"} == set(
        doc["windows"][0])
    assert doc["taker_fee"] == "0.0026" and Path(doc["chart"]).read_bytes()[:4] == b"\x89PNG"
    assert main(["walkforward", "ETH/BTC", "--candles", str(CANDLES), "--train", "3d", "--entry", "maker",
                 "--maker-fee", "0.25%", "--json"]) == 0
    maker = json.loads(capsys.readouterr().out)
    assert (maker["entry"], maker["maker_fee"]) == ("maker", "0.0025")
    assert main(["walkforward", "ETH/BTC", "--candles", str(CANDLES), "--train", "3d", "--test", "1d"]) == 0
    out = capsys.readouterr().out
    assert "Totals" in out and "buy_hold" in out and "Data: file" in out
    assert main(["walkforward", "ETH/BTC", "--candles", str(CANDLES), "--train", "30d"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "hold no" in err


def test_cli_walkforward_on_the_bundled_replay_says_what_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["walkforward", "BTC/USD", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "ETH/BTC" in doc["source"] and "not real BTC/USD prices" in doc["source"]
    assert doc["windows"][0]["start"].startswith("2018-01-14")


def test_the_adaptive_policy_learns_only_from_the_train_part(monkeypatch: pytest.MonkeyPatch) -> None:
    """A selector that turns every arm on: the adaptive windows then trade, and only on what training saw."""
    from trading.backtest import walkforward as wfm
    from trading.learning.selector import SelectorSettings

    ohlcv, market, cfg, settings = _setup()
    seen: list[tuple[int, int]] = []
    real = wfm.train_records

    def spy(o, w, *a):  # noqa: ANN001, ANN202
        seen.append((w.train_start, w.test_start))
        return real(o, w, *a)

    monkeypatch.setattr(wfm, "train_records", spy)
    eager = SelectorSettings(min_trades=1, z=-10.0)  # a bound far below the mean: anything seen turns on
    wf = walk_forward(ohlcv, market, cfg, settings, train=2 * DAY, test=DAY, selector=eager)
    windows = split(ohlcv.timestamps, 2 * DAY, DAY)
    assert seen == [(w.train_start, w.test_start) for w in windows]  # never a test candle
    assert wf.totals["adaptive"].trades > 0 and any(w.arms_on for w in wf.windows)
    assert all(k[0] == "ma_crossover" for w in wf.windows for k in w.arms_on)
    strict = walk_forward(ohlcv, market, cfg, settings, train=2 * DAY, test=DAY)
    assert strict.totals["adaptive"].trades == 0  # with the real bound nothing has an edge here: stand aside


def _poison(ohlcv, lo: int, hi: int, seed: int = 5):  # noqa: ANN001, ANN202
    rng = np.random.default_rng(seed)
    wild = rng.uniform(0.5, 2.0, size=hi - lo)
    o, h, low, c = ohlcv.open.copy(), ohlcv.high.copy(), ohlcv.low.copy(), ohlcv.close.copy()
    c[lo:hi] *= wild
    o[lo:hi] *= wild[::-1]
    h[lo:hi] = np.maximum.reduce([h[lo:hi], o[lo:hi], c[lo:hi]]) * 1.01
    low[lo:hi] = np.minimum.reduce([low[lo:hi], o[lo:hi], c[lo:hi]]) * 0.99
    return make_ohlcv(ohlcv.timestamps, o, h, low, c, ohlcv.volume)


def test_seeds_are_only_test_window_outcomes_and_a_train_only_candle_changes_none() -> None:
    from trading.backtest.walkforward import seed_outcomes

    ohlcv, market, cfg, settings = _setup()
    seeds = seed_outcomes(ohlcv, market, cfg, settings, train=2 * DAY, test=DAY)
    windows = split(ohlcv.timestamps, 2 * DAY, DAY)
    assert len(seeds) >= 20 and {s.outcome.source for s in seeds} == {"seed"}
    starts = {int(ohlcv.timestamps[w.test_start]) for w in windows}
    for s in seeds:
        assert int(s.window_start.timestamp() * 1000) in starts  # its window is one of the walk-forward's tests
        assert s.window_start <= s.outcome.entry_time < s.window_end and s.outcome.exit_time <= s.window_end
        assert s.outcome.ref.startswith("seed:ETH/BTC:ma_crossover:")
    assert len({s.outcome.ref for s in seeds}) == len(seeds)
    # Candles only a train part reads (before the first test window's warm-up) are poisoned: no seed changes.
    train_only = windows[0].test_start - (cfg.warmup + 1)
    assert train_only > 100
    dirty = seed_outcomes(_poison(ohlcv, 0, train_only), market, cfg, settings, train=2 * DAY, test=DAY)
    assert dirty == seeds
    # ...and candles after the last whole test window (never a test) neither; a test window's candles do.
    after = seed_outcomes(_poison(ohlcv, windows[-1].test_end, len(ohlcv)), market, cfg, settings,
                          train=2 * DAY, test=DAY)
    assert after == seeds
    inside = seed_outcomes(_poison(ohlcv, windows[2].test_start, windows[2].test_end), market, cfg, settings,
                           train=2 * DAY, test=DAY)
    assert inside != seeds


def test_cli_learn_seed_stores_test_windows_with_provenance_and_reset_removes_them(tmp_path: Path) -> None:
    from tests.bot.test_cli_learn import zyn

    seeded = zyn(tmp_path, "learn", "seed", "ETH/BTC", "--candles", str(CANDLES), "--train", "3d", "--test", "1d",
                 "--yes")
    assert seeded.returncode == 0, seeded.stderr
    assert "out-of-sample outcomes in 7 test windows of ETH/BTC" in seeded.stdout and "Seeded " in seeded.stdout
    status = json.loads(zyn(tmp_path, "learn", "status", "--json").stdout)
    n = status["seeded"]
    assert n > 0 and status["outcomes"] == n and all(a["seeded"] == a["n"] for a in status["arms"])
    assert status["seed_lines"][0].startswith(f"{n} seeded from walkforward (")
    assert f"file {CANDLES}" in status["seed_lines"][0]
    text = zyn(tmp_path, "learn", "status").stdout
    assert "seeded from walk-forward test windows" in text and "seeded out of sample" in text
    again = zyn(tmp_path, "learn", "seed", "ETH/BTC", "--candles", str(CANDLES), "--train", "3d", "--test", "1d",
                "--yes")
    assert f"Seeded 0 outcomes ({n} were stored already)" in again.stdout
    gone = zyn(tmp_path, "learn", "reset", "--seeds", "--yes")
    assert gone.returncode == 0 and f"Seeds reset: {n} seeded outcomes forgotten" in gone.stdout
    assert json.loads(zyn(tmp_path, "learn", "status", "--json").stdout)["outcomes"] == 0


def test_cli_learn_seed_refuses_live_and_the_bundled_replay(tmp_path: Path) -> None:
    from tests.bot.test_cli_learn import zyn

    nothing = zyn(tmp_path, "learn", "seed", "BTC/USD", "--yes")
    assert nothing.returncode != 0 and "seeds never come from the bundled replay" in nothing.stderr
    assert "Traceback" not in nothing.stderr
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3]), "ZYN_OFFLINE": "1",
           "ZYN_DATA_DIR": str(tmp_path / "data"), "ZYN_MODE": "live"}
    live = subprocess.run([sys.executable, "-m", "bot.cli.main", "learn", "seed", "ETH/BTC", "--candles", str(CANDLES),
                           "--yes"], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=90)
    assert live.returncode != 0 and "seeds go to PAPER's database" in live.stderr
    assert not (tmp_path / "data" / "live").exists()  # nothing opened, nothing written


def test_train_parts_warm_up_on_the_candles_before_them_never_on_the_test_window() -> None:
    """Each train part trains over its whole span (its warm-up is the past before it), and never past test_start."""
    from trading.backtest.walkforward import train_records

    ohlcv, market, cfg, settings = _setup()
    windows = split(ohlcv.timestamps, 2 * DAY, DAY)
    w = windows[2]
    records = train_records(ohlcv, w, market, cfg, settings)
    entries = [r.entry_time for r in records]
    start, test_start = (int(ohlcv.timestamps[k]) for k in (w.train_start, w.test_start))
    assert entries and all(start <= e.timestamp() * 1000 < test_start for e in entries)
    # A trade inside what used to be the warm-up (the train part's first warm-up candles): trained on now.
    warm_end = int(ohlcv.timestamps[w.train_start + cfg.warmup + 1])
    assert min(e.timestamp() * 1000 for e in entries) < warm_end


def test_a_4h_trend_leaves_out_the_windows_without_warm_up_and_refuses_when_none_has_it() -> None:
    from trading.config import HigherTimeframeSettings, IndicatorSettings

    ohlcv, market, _, settings = _setup()
    cfg = TradingConfig(indicators=IndicatorSettings(higher=HigherTimeframeSettings(trend_timeframe="4h")))
    wf = walk_forward(ohlcv, market, cfg, settings, train=4 * DAY, test=DAY)
    windows = split(ohlcv.timestamps, 4 * DAY, DAY)
    ready = [w for w in windows if w.test_start >= cfg.warmup + 1]
    assert wf.skipped == len(windows) - len(ready) == 5 and len(wf.windows) == len(ready)
    assert wf.as_dict()["skipped_windows"] == 5
    with pytest.raises(InputError, match=r"shorter than the indicators' warm-up \(2449 candles, about 204 h\)"):
        walk_forward(slice_range(ohlcv, None, from_ms(int(ohlcv.timestamps[2400]))), market, cfg, settings,
                     train=4 * DAY, test=DAY)


def _risk_bound_setup() -> tuple:
    """The 5-minute stack with a risk per trade small enough that the risk sizing, not the 25 % position cap,
    sets every size: a risk factor then shows in the amount (with the cap binding it would not)."""
    from trading.config import RiskSettings
    from trading.learning.selector import SelectorSettings

    ohlcv, market, cfg, settings = _setup()
    cfg = cfg.model_copy(update={"risk": RiskSettings(risk_per_trade=D("0.002"))})
    return ohlcv, market, cfg, settings, SelectorSettings(min_trades=1, z=-10.0)  # every arm seen turns on


def test_the_adaptive_policy_sizes_with_the_learners_risk_factors_from_the_past_only(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each window's factors come from its train part alone (poisoned later candles change none of them), and
    an arm's factor below 1 shrinks its entries' size against the static run's on the same signal bar."""
    from trading.backtest import walkforward as wfm
    from trading.learning.risk import RiskRule, arm_factors
    from trading.learning.selector import select

    ohlcv, market, cfg, settings, eager = _risk_bound_setup()
    runs: list[tuple[dict, object]] = []
    real = wfm.run_backtest

    def spy(*a, **k):  # noqa: ANN002, ANN003, ANN202 - the real backtest, its arguments and result kept
        result = real(*a, **k)
        runs.append((k, result))
        return result

    monkeypatch.setattr(wfm, "run_backtest", spy)
    clean = walk_forward(ohlcv, market, cfg, settings, train=2 * DAY, test=DAY, selector=eager)
    monkeypatch.setattr(wfm, "run_backtest", real)
    windows = split(ohlcv.timestamps, 2 * DAY, DAY)
    assert any(f < 1 for w in clean.windows for _, f in w.risk)  # the learner does shrink here
    assert all(0 < f <= 1 for w in clean.windows for _, f in w.risk)
    assert all({k for k, _ in w.risk} == set(w.arms_on) for w in clean.windows)

    # The factors are the running learner's function of exactly the train part's outcomes (oldest exit first).
    state: dict = {}
    for w, res in zip(windows, clean.windows, strict=True):
        records = wfm.train_records(ohlcv, w, market, cfg, settings)
        arms, _ = select([o.for_selector() for o in records], state, eager)
        state = {k: a.on for k, a in arms.items()}
        on = {k: a for k, a in arms.items() if a.on}
        expect = arm_factors(on, [o.for_selector() for o in sorted(records, key=lambda o: o.exit_time)],
                             RiskRule.of(cfg.learning))
        assert dict(res.risk) == {k: f.factor for k, f in expect.items()}
    assert RiskRule.of(cfg.learning) == RiskRule(  # the config's [trading.learning] rule, as the Learner's
        cfg.learning.risk_min_factor, cfg.learning.risk_full_lcb, cfg.learning.risk_max_drawdown,
        cfg.learning.risk_recent)

    # Shrinking: the adaptive run's entries against the static run's on the same signal bar of a window.
    adaptive = [r for k, r in runs if k.get("allowed") is not None]
    static = [r for k, r in runs if not k.get("steady")]
    assert len(adaptive) == len(static) == len(windows) and all(k.get("risk_factors") is None
                                                                for k, _ in runs if not k.get("steady"))
    shrunk = 0
    for w, a, s in zip(clean.windows, adaptive, static, strict=True):
        factors, by_bar = dict(w.risk), {t.signal_bar: t for t in s.trades}
        for k, t in enumerate(a.trades):
            u = by_bar.get(t.signal_bar)
            f = factors[(t.strategy, t.regime)]
            if u is None or f >= 1:
                continue
            assert t.amount < u.amount
            if k == 0 and s.trades[0] is u:  # both the window's first trade: the same equity to size from
                assert float(t.amount / u.amount) == pytest.approx(f, abs=0.01)
            shrunk += 1
    assert shrunk >= 3

    # No look-ahead: candles after the fourth test window poisoned, the factors of windows 1-4 stay.
    cut = windows[3].test_end
    dirty = walk_forward(_poison(ohlcv, cut, len(ohlcv), seed=7), market, cfg, settings, train=2 * DAY, test=DAY,
                         selector=eager)
    assert [w.risk for w in dirty.windows[:4]] == [w.risk for w in clean.windows[:4]]
    assert [w.policies["adaptive"].as_dict() for w in dirty.windows[:4]] == [
        w.policies["adaptive"].as_dict() for w in clean.windows[:4]]
    assert [w.risk for w in dirty.windows[5:]] != [w.risk for w in clean.windows[5:]]  # it reaches the later ones


def test_a_risk_factor_of_one_everywhere_is_the_full_risk() -> None:
    """risk_min_factor = 1: the learner never shrinks, every factor is 1 and the sizes are the static run's."""
    from trading.config import LearningSettings

    ohlcv, market, cfg, settings, eager = _risk_bound_setup()
    full = cfg.model_copy(update={"learning": LearningSettings(risk_min_factor=1)})
    wf = walk_forward(ohlcv, market, full, settings, train=2 * DAY, test=DAY, selector=eager)
    assert wf.windows and all(f == 1 for w in wf.windows for _, f in w.risk) and any(w.risk for w in wf.windows)
    shrinking = walk_forward(ohlcv, market, cfg, settings, train=2 * DAY, test=DAY, selector=eager)
    assert [w.policies["static"].as_dict() for w in wf.windows] == [
        w.policies["static"].as_dict() for w in shrinking.windows]  # static trades the full risk either way
    assert wf.totals["adaptive"].as_dict() != shrinking.totals["adaptive"].as_dict()
