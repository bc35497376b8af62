"""Risk shrinking within bounds: an arm's factor is in [min_factor, 1], shrinks with a bound near zero or a recent
drawdown, and sizing with it never enlarges a trade nor turns a refusal into a trade."""

from __future__ import annotations

import math
from decimal import Decimal as D

import numpy as np
import pytest

from trading.config import RiskSettings
from trading.domain import Market
from trading.learning.risk import RiskRule, drawdown, risk_factor
from trading.risk.sizing import Sizing, shrink_only, size_long

RULE = RiskRule(min_factor=0.25, full_at_lcb=0.002, max_drawdown=0.05, recent=20)
KEY = ("htf_breakout", "trending_up")


def test_a_strong_arm_trades_its_full_risk_and_never_more() -> None:
    f = risk_factor(KEY, [0.01] * 30, 0.008, RULE)
    assert f.factor == 1.0 and "full risk" in f.why
    huge = risk_factor(KEY, [5.0] * 30, 10.0, RULE)  # absurdly good evidence still earns at most the full risk
    assert huge.factor == 1.0


def test_a_bound_near_zero_shrinks_the_risk_with_its_evidence() -> None:
    f = risk_factor(KEY, [0.004, -0.001] * 10, 0.0004, RULE)
    assert 0.25 <= f.factor < 1.0 and "lower bound +0.04%" in f.why
    at_zero = risk_factor(KEY, [0.004, -0.001] * 10, -0.0001, RULE)  # kept on by hysteresis, bound below zero
    assert at_zero.factor == 0.25
    assert risk_factor(KEY, [0.01], -math.inf, RULE).factor == 0.25  # no bound yet: the least share


def test_a_recent_drawdown_of_the_arm_shrinks_it_even_with_a_good_bound() -> None:
    calm = risk_factor(KEY, [0.01] * 20, 0.005, RULE)
    hurt = risk_factor(KEY, [0.01] * 15 + [-0.015] * 3 + [0.002] * 2, 0.005, RULE)
    assert calm.factor == 1.0 and 0.25 <= hurt.factor < 1.0 and "recent drawdown" in hurt.why
    crash = risk_factor(KEY, [0.01] * 15 + [-0.03] * 5, 0.005, RULE)
    assert crash.factor == 0.25
    assert drawdown([0.1, -0.5, 0.2]) == pytest.approx(0.5)
    old_loss = risk_factor(KEY, [-0.03] * 5 + [0.01] * 20, 0.005, RULE)  # older than the last 20: forgiven
    assert old_loss.factor == 1.0


def test_the_factor_is_always_within_bounds() -> None:
    rng = np.random.default_rng(3)
    for _ in range(300):
        returns = list(rng.normal(rng.uniform(-0.02, 0.02), rng.uniform(0, 0.05), size=int(rng.integers(0, 60))))
        lcb = float(rng.choice([rng.normal(0, 0.01), -math.inf, math.inf, math.nan]))
        rule = RiskRule(min_factor=float(rng.uniform(0.05, 1)), full_at_lcb=float(rng.uniform(0, 0.01)),
                        max_drawdown=float(rng.uniform(0.001, 0.5)), recent=int(rng.integers(2, 40)))
        f = risk_factor(KEY, returns, lcb, rule).factor
        assert rule.min_factor - 0.05 <= f <= 1.0 and f > 0
    assert risk_factor(KEY, [0.01] * 30, 0.01, RiskRule(min_factor=1.0)).factor == 1.0  # 1: never shrinks


def _market() -> Market:
    return Market(symbol="BTC/USD", exchange_id="XXBTZUSD", altname="XBTUSD", base="BTC", quote="USD",
                  price_step=D("0.1"), amount_step=D("0.00000001"),
                  min_amount=D("0.0001"), min_cost=D("0.5"), maker_fee=D("0.0025"), taker_fee=D("0.004"))


def _size(factor: float | None, **over) -> Sizing | tuple:
    args = dict(equity=D("10000"), free_quote=D("10000"), entry=D("30000"), atr=D("300"), market=_market(),
                cfg=RiskSettings(risk_per_trade=D("0.005")), open_risk=D("0"), taker_fee=D("0.004"))
    args.update(over)
    return size_long(**args, risk_factor=factor)  # type: ignore[arg-type]


def test_sizing_shrinks_the_risk_by_the_factor_and_never_above_the_configured_risk() -> None:
    full, half = _size(None), _size(0.5)
    assert isinstance(full, Sizing) and isinstance(half, Sizing)
    assert half.amount <= full.amount / 2 + D("0.00000001") and half.risk <= full.risk / 2 + D("0.01")
    assert half.risk_factor == D("0.5") and half.stop == full.stop and half.target == full.target
    for above in (1.0, 1.5, 100.0, math.inf):  # a factor above 1 is the configured risk, never more
        big = _size(above)
        assert isinstance(big, Sizing) and big.amount == full.amount and big.risk_factor == 1
    for broken in (0.0, -1.0, math.nan):  # never the full risk by accident: no trade
        refused = _size(broken)
        assert not isinstance(refused, Sizing)
    assert shrink_only(None) == 1 and shrink_only(7) == 1 and shrink_only(D("0.3")) == D("0.3")


def test_a_factor_never_loosens_a_gate_nor_enlarges_any_trade() -> None:
    """Over many accounts, prices and caps: with a factor <= 1 (or above), a refusal stays a refusal with the same
    reason and a trade is never larger than without the factor."""
    rng = np.random.default_rng(11)
    for _ in range(400):
        over = dict(equity=D(str(round(float(rng.uniform(5, 50000)), 2))),
                    free_quote=D(str(round(float(rng.uniform(0, 50000)), 2))),
                    atr=D(str(round(float(rng.uniform(1, 3000)), 1))),
                    open_risk=D(str(round(float(rng.uniform(0, 500)), 2))),
                    cfg=RiskSettings(risk_per_trade=D(str(round(float(rng.uniform(0.001, 0.05)), 4))),
                                     max_portfolio_risk=D(str(round(float(rng.uniform(0.01, 0.1)), 3)))))
        base = _size(None, **over)
        for factor in (float(rng.uniform(0.05, 1)), 1.0, float(rng.uniform(1, 10))):
            got = _size(factor, **over)
            if not isinstance(base, Sizing):
                assert not isinstance(got, Sizing) and got[0] == base[0]  # the same gate still refuses
            elif isinstance(got, Sizing):
                assert got.amount <= base.amount and got.risk <= base.risk
                assert (got.stop, got.target) == (base.stop, base.target)
