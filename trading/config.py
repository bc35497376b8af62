"""TradingConfig: every threshold the autopilot uses, typed, documented, overridable from the config file.

The defaults lean aggressive, as the owner asked; each one is a named setting.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from trading.errors import ConfigError
from trading.risk.loss_limit import LossLimit
from trading.risk.profit_target import ProfitTarget
from trading.universe import MONEY_BASES

# "3%", "0.03", "$50", "50 USD" in the file, the environment or chat; written back as "3%" or "50 USD".
DailyLossLimit = Annotated[LossLimit, BeforeValidator(LossLimit.parse), PlainSerializer(str, return_type=str)]
# The same forms for the daily profit target, or None / "none" / "off" for no target.
DailyProfitTarget = Annotated[ProfitTarget | None, BeforeValidator(ProfitTarget.parse_optional),
                              PlainSerializer(lambda v: str(v) if v is not None else None)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HigherTimeframeSettings(_Section):
    """The higher timeframe (built from the closed 5-minute candles) that trend, regime and exits are read on.

    Every indicator here is a fixed window (SMA, a mean true range, channels), never a recursive average, so a
    tick's ~60 hours of fetched candles decide exactly as a backtest over months does once warmed up.
    """

    minutes: int = Field(60, ge=10, le=1440, description="higher timeframe in minutes (a multiple of 5)")
    sma_fast: int = Field(20, ge=2, le=200, description="fast SMA of the higher-timeframe closes")
    sma_slow: int = Field(50, ge=3, le=200, description="slow SMA of the higher-timeframe closes (the trend)")
    atr_period: int = Field(14, ge=2, le=200, description="mean true range of the higher timeframe (stops)")
    channel: int = Field(24, ge=2, le=200, description="breakout: highest high of this many closed bars")
    exit_channel: int = Field(12, ge=2, le=200, description="breakout exit: lowest low of this many closed bars")
    trail_period: int = Field(24, ge=2, le=200, description="trailing stop anchor: highest close of this many bars")
    trail_atr_mult: float = Field(3.0, gt=0, le=20, description="trailing stop = that highest close - ATR x this")
    trend_timeframe: Literal["1h", "4h"] | None = Field(
        None, description="the closed bars the trend (the higher regime, the uptrend the htf_* strategies need) is "
                          "read on, with sma_fast/sma_slow bars of it; default: the higher timeframe itself. 4h "
                          "bars start at 00, 04, 08 ... UTC; with SMA 50 they need about 8.5 days of 5-minute "
                          "candles, more than Kraken's OHLC serves (2.5 days): the autopilot keeps the candles it "
                          "sees in the candle store and reads the rest from there (or from `zyn data fetch`), and "
                          "stands aside, saying until when, while its history is shorter")

    @field_validator("minutes")
    @classmethod
    def _multiple_of_5(cls, v: int) -> int:
        if v % 5:
            raise ValueError("the higher timeframe must be a multiple of 5 minutes")
        return v

    @property
    def trend_minutes(self) -> int:
        """The trend's bar length in minutes (the higher timeframe's own unless trend_timeframe says)."""
        return {"1h": 60, "4h": 240}[self.trend_timeframe] if self.trend_timeframe else self.minutes

    @property
    def warmup(self) -> int:
        """5-minute candles needed before every higher-timeframe value exists (one partial bucket included)."""
        bars = max(self.sma_fast, self.sma_slow, self.atr_period + 1, self.channel, self.exit_channel,
                   self.trail_period)
        own = (bars + 1) * (self.minutes // 5)
        if self.trend_minutes == self.minutes:
            return own
        return max(own, (max(self.sma_fast, self.sma_slow) + 1) * (self.trend_minutes // 5))


class IndicatorSettings(_Section):
    rsi_period: int = Field(14, ge=2, le=200, description="RSI (Wilder) period")
    sma_fast: int = Field(10, ge=2, le=500, description="fast simple moving average")
    sma_slow: int = Field(30, ge=3, le=1000, description="slow simple moving average")
    sma_trend: int = Field(100, ge=10, le=2000, description="long SMA used as the trend filter")
    ema_fast: int = Field(12, ge=2, le=500)
    ema_slow: int = Field(26, ge=3, le=1000)
    macd_signal: int = Field(9, ge=2, le=200)
    atr_period: int = Field(14, ge=2, le=200, description="ATR (Wilder) period")
    bb_period: int = Field(20, ge=2, le=500, description="Bollinger period")
    bb_std: float = Field(2.0, gt=0, le=5, description="Bollinger width in population standard deviations")
    volume_period: int = Field(20, ge=2, le=500, description="volume ratio = volume / SMA(volume, n)")
    vol_period: int = Field(48, ge=2, le=2000, description="realised volatility window (log returns)")
    chop_period: int = Field(14, ge=2, le=200, description="choppiness index period")
    adx_period: int = Field(14, ge=2, le=200, description="ADX period")
    atr_spike_period: int = Field(48, ge=2, le=2000, description="ATR spike = ATR / SMA(ATR, n)")
    breakout_period: int = Field(20, ge=2, le=500, description="Donchian channel length for breakouts")
    higher: HigherTimeframeSettings = HigherTimeframeSettings()

    @property
    def warmup(self) -> int:
        """5-minute candles needed before every 5-minute indicator has a value (TradingConfig.warmup: all used)."""
        return max(self.sma_trend, self.sma_slow, self.sma_fast, self.chop_period + 1, self.ema_slow + self.macd_signal, 2 * self.adx_period + 1,
                   self.atr_spike_period + self.atr_period, self.vol_period + 1, self.bb_period,
                   self.breakout_period + 1, self.volume_period) + 1


class RegimeSettings(_Section):
    timeframe: Literal["5m", "higher"] = Field("higher", description="5m: ADX/choppiness/volatility on 5-minute "
                                               "candles; higher: the trend of the closed higher-timeframe bars")
    adx_trend: float = Field(22.0, ge=0, le=100, description="ADX at or above this: trending")
    chop_high: float = Field(61.8, ge=0, le=100, description="choppiness at or above this: chop")
    atr_spike_volatile: float = Field(2.0, gt=0, description="ATR / its average at or above this: volatile")
    vol_volatile: float = Field(0.012, gt=0, description="realised volatility per candle at or above: volatile")


class FilterSettings(_Section):
    rsi_max_long: float = Field(75.0, ge=0, le=100, description="no long entry when RSI is above this")
    rsi_min_long: float = Field(25.0, ge=0, le=100, description="no trend entry when RSI is below this")
    require_trend_sma: bool = Field(True, description="trend entries only above the trend SMA")
    min_volume_ratio: float = Field(0.6, ge=0, description="no entry when volume / its average is below")
    max_volatility: float = Field(0.02, gt=0, description="no entry when realised volatility is above")
    max_chop: float = Field(70.0, ge=0, le=100, description="no entry when choppiness is above")
    max_atr_spike: float = Field(3.0, gt=0, description="no entry when ATR / its average is above")


class StrategySettings(_Section):
    rsi_oversold: float = Field(30.0, ge=0, le=100, description="RSI strategy: enter on a cross up through this")
    rsi_overbought: float = Field(70.0, ge=0, le=100, description="RSI strategy: exit on a cross up through this")
    mr_rsi_max: float = Field(40.0, ge=0, le=100, description="mean reversion: enter below the lower band only "
                                                             "when RSI is under this")
    breakout_volume_ratio: float = Field(1.2, ge=0, description="breakout: volume / its average at least this")


class RiskSettings(_Section):
    risk_per_trade: Decimal = Field(Decimal("0.01"), gt=0, le=Decimal("0.1"), description="equity risked per trade")
    atr_stop_mult: Decimal = Field(Decimal("2"), gt=0, le=20, description="stop distance = ATR x this")
    atr_target_mult: Decimal = Field(Decimal("3"), gt=0, le=50, description="target distance = ATR x this")
    min_reward_to_cost: Decimal = Field(Decimal("2"), ge=0, le=20,
                                        description="target profit after fees must be at least this x the fees")
    max_portfolio_risk: Decimal = Field(Decimal("0.05"), gt=0, le=1, description="cap on total open risk")
    max_position_fraction: Decimal = Field(Decimal("0.25"), gt=0, le=1, description="max equity in one position")
    max_trades_per_symbol: int = Field(10, ge=0, le=1000, description="entries per symbol per UTC day")
    max_trades_total: int = Field(30, ge=0, le=10000, description="entries per UTC day, all symbols")
    daily_loss_limit: DailyLossLimit = Field(LossLimit(fraction=Decimal("0.03")),
                                             description="kill switch: the day's loss from its start equity, "
                                                         "a percentage (3%) or money (50 USD)")
    daily_profit_target: DailyProfitTarget = Field(None, description="no new entries for the rest of the UTC day "
                                                   "once the day's gain from its start equity reaches this, a "
                                                   "percentage (2%) or money (50 USD); none: no target")
    flatten_on_kill: bool = Field(False, description="close every position when the kill switch trips")
    flatten_unprotected: bool = Field(False, description="LIVE: sell a holding at market when its stop cannot be "
                                                         "placed after protection_retries attempts")
    protection_retries: int = Field(3, ge=1, le=100, description="LIVE: attempts to (re)place a missing stop "
                                                                 "before the owner is alerted")


class LearningSettings(_Section):
    """The learner (trading/learning): which (strategy, regime[, pair]) arms may trade, from closed outcomes."""

    enabled: bool = Field(True, description="the running autopilot trades only the arms the learner switched on "
                                            "(all start off: it stands aside until outcomes show an edge)")
    min_trades: int = Field(10, ge=2, le=10000, description="outcomes an arm needs before it can switch on")
    z: float = Field(1.645, gt=0, le=5, description="lower confidence bound: mean - z x sd / sqrt(n)")
    by_pair: bool = Field(True, description="a pair with min_trades outcomes of an arm gets its own on/off")
    regime_hold_bars: int = Field(3, ge=1, le=100, description="regime label at entry: a new regime counts only "
                                                               "after this many bars in a row (hysteresis)")
    shadow_max_hold_bars: int = Field(288, ge=1, le=4000, description="a signal not taken is simulated to its exit "
                                                                      "or at most this many of its strategy's bars "
                                                                      "(1h bars for the 1h strategies), within the "
                                                                      "candles a tick holds")
    min_net_edge: float = Field(0.0, ge=0, le=0.1, description="realised-cost gate: an arm's mean move to its exit, "
                                                               "less today's round trip, must be above this")
    # Risk shrinking (trading/learning/risk.py): an arm's risk per trade x a factor in [risk_min_factor, 1].
    risk_min_factor: float = Field(0.25, ge=0.05, le=1, description="the least share of the risk per trade an arm "
                                                                    "trades with (1: the learner never shrinks risk)")
    risk_full_lcb: float = Field(0.002, ge=0, le=0.1, description="an arm's lower bound (net, per trade) at which it "
                                                                  "trades the full risk; below, less")
    risk_max_drawdown: float = Field(0.05, gt=0, le=1, description="an arm's recent drawdown at which it trades only "
                                                                   "risk_min_factor")
    risk_recent: int = Field(20, ge=2, le=10000, description="outcomes of an arm its recent drawdown is measured over")


class TradingConfig(_Section):
    """The autopilot's settings (the [trading] part of the config file)."""

    universe: tuple[str, ...] = Field(("BTC/USD", "ETH/USD", "SOL/USD"), min_length=1, max_length=100,
                                      description="the pairs traded (universe = \"auto\": chosen, see universe_size)")
    universe_size: int | None = Field(None, ge=1, le=50, description="trade the N most liquid pairs of Kraken's "
                                      "markets in the quote currency (24h volume, enough history), re-chosen each "
                                      "UTC day; none: the universe's pairs")
    universe_min_volume: Decimal = Field(Decimal(0), ge=0, description="chosen universe: a pair's 24h volume in "
                                         "the quote currency must be at least this")
    universe_exclude: tuple[str, ...] = Field(MONEY_BASES, max_length=200, description="chosen universe: bases "
                                              "never chosen (stablecoins and fiat by default)")
    timeframe: str = Field("5m", pattern=r"^5m$", description="the autopilot trades closed 5-minute candles")
    history: int = Field(719, ge=50, le=5000, description="closed candles fetched per symbol per tick (Kraken "
                                                       "serves at most 720, the forming one included); a longer "
                                                       "warm-up is read from the candle store, where the autopilot "
                                                       "keeps the candles it sees")
    tick_delay_seconds: float = Field(5.0, ge=0, le=120, description="seconds after candle close to evaluate")
    entry: Literal["taker", "maker"] = Field("taker", description="taker: a market entry; maker: a post-only limit "
                                             "buy at the bid (rounded down to the price step), filled only when "
                                             "price trades through it, at the maker fee (trading/autopilot/maker.py)")
    maker_timeout_bars: int = Field(3, ge=1, le=1000, description="maker: closed 5-minute candles a post-only entry "
                                                                   "rests before it is cancelled unfilled (no chase)")
    strategy: str | None = Field(None, description="force one strategy; None lets the regime choose")
    # The default stack (README "What the autopilot does by default"): the regime is read on closed 1h bars and
    # only a 1h uptrend trades, with the 1h channel breakout; every other regime stands aside. Measured out of
    # sample (scripts/walkforward_table.py) no stack kept an edge after costs; this one trades least and loses
    # least, and the 5-minute regime stack (trend_following/mean_reversion/breakout) lost on every set.
    regime_strategies: dict[str, str] = Field(
        default_factory=lambda: {"trending_up": "htf_breakout", "range": "none",
                                 "volatile": "none", "trending_down": "none", "chop": "none"},
        description="which strategy each regime uses ('none' = stay out)")
    indicators: IndicatorSettings = IndicatorSettings()
    regimes: RegimeSettings = RegimeSettings()
    filters: FilterSettings = FilterSettings()
    strategies: StrategySettings = StrategySettings()
    risk: RiskSettings = RiskSettings()
    learning: LearningSettings = LearningSettings()

    @property
    def uses_higher_timeframe(self) -> bool:
        """Whether the decisions read the higher timeframe: a forced htf_* strategy, or (the regime choosing) the
        regime or a strategy it maps to. A forced 5-minute strategy does not wait for it (its regime is a label)."""
        if self.strategy:
            return self.strategy.startswith("htf_")
        return self.regimes.timeframe == "higher" or any(n.startswith("htf_") for n in self.regime_strategies.values())

    @property
    def warmup(self) -> int:
        """5-minute candles needed before every indicator this stack reads has a value."""
        return max(self.indicators.warmup, self.indicators.higher.warmup if self.uses_higher_timeframe else 0)

    @model_validator(mode="before")
    @classmethod
    def _auto(cls, data: Any) -> Any:
        """universe = "auto": the default pairs until the first choice, and a chosen universe of as many."""
        if isinstance(data, dict) and isinstance(data.get("universe"), str) and \
                data["universe"].strip().lower() == "auto":
            data = {k: v for k, v in data.items() if k != "universe"}
            data["universe_size"] = data.get("universe_size") or 3
        return data

    @field_validator("universe_exclude", mode="before")
    @classmethod
    def _bases(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [p for p in v.replace(",", " ").split() if p]
        return tuple(str(b).upper() for b in v)

    @field_validator("universe", mode="before")
    @classmethod
    def _pairs(cls, v: Any) -> Any:
        from trading.pairs import normalize_pair

        if isinstance(v, str):
            v = [p for p in v.replace(",", " ").split() if p]
        return tuple(normalize_pair(p) for p in v)


def with_risk_overrides(cfg: TradingConfig, overrides: dict[str, str]) -> TradingConfig:
    """cfg with some risk settings replaced (validated; bad stored values are ignored, not fatal)."""
    if not overrides:
        return cfg
    known = {k: v for k, v in overrides.items() if k in RiskSettings.model_fields}
    try:
        risk = RiskSettings.model_validate({**cfg.risk.model_dump(), **known})
    except ValidationError:
        return cfg
    return cfg.model_copy(update={"risk": risk})


# Top-level [trading] settings the owner may change at run time (chat, the CLI): stored as overrides of the
# section "trading" (memory's setting overrides), applied like the risk ones at the next tick.
TRADING_OVERRIDES = ("universe_size",)
UNIVERSE_SIZE_MAX = 20  # the most pairs a chat or CLI request may choose (the file allows up to 50)


def universe_size_of(value: str) -> int | None:
    """A stored universe_size override: "5" -> 5 (1..UNIVERSE_SIZE_MAX); "none" -> None (the configured pairs).
    Raises ValueError for anything else."""
    word = value.strip().lower()
    if word in ("none", "off", "configured", ""):
        return None
    size = int(word)
    if not 1 <= size <= UNIVERSE_SIZE_MAX:
        raise ValueError(f"universe_size must be between 1 and {UNIVERSE_SIZE_MAX}")
    return size


def with_trading_overrides(cfg: TradingConfig, overrides: dict[str, str]) -> TradingConfig:
    """cfg with the top-level settings changed at run time (universe_size); a bad stored value is ignored."""
    if "universe_size" not in overrides:
        return cfg
    try:
        size = universe_size_of(overrides["universe_size"])
    except ValueError:
        return cfg
    return cfg.model_copy(update={"universe_size": size})


def with_overrides(cfg: TradingConfig, get_overrides: Any) -> TradingConfig:
    """cfg with every stored override (risk, then the top-level ones) from get_overrides(section)."""
    return with_trading_overrides(with_risk_overrides(cfg, get_overrides("risk")), get_overrides("trading"))


def load_trading_config(path: Path | None, env: dict[str, str] | None = None) -> TradingConfig:
    """TradingConfig from the [trading] table of a TOML file (defaults if absent), with risk settings from the
    environment on top (env: setting -> value, e.g. daily_loss_limit from ZYN_DAILY_LOSS_LIMIT), or ConfigError."""
    import tomllib

    data: dict[str, Any] = {}
    if path is not None and path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8")).get("trading", {})
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    if env:
        data = {**data, "risk": {**data.get("risk", {}), **env}}
    try:
        return TradingConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"{path}: [trading] {where}: {err['msg']} (got {err.get('input')!r})") from None
    except Exception as exc:  # a bad pair name inside the universe
        raise ConfigError(f"{path}: [trading] {exc}") from None
