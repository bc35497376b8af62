"""set_risk: change risk settings within safe bounds; the autopilot applies them at its next tick."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from tools.base import Args
from tools.context import ToolContext
from trading.config import UNIVERSE_SIZE_MAX, TradingConfig, with_overrides, with_risk_overrides
from trading.errors import InputError
from trading.risk.loss_limit import LossLimit
from trading.risk.profit_target import ProfitTarget


class SetRiskArgs(Args):
    risk_per_trade: Decimal | None = Field(None, gt=0, le=Decimal("0.05"), allow_inf_nan=False,
                                           description="fraction of equity risked per trade (max 0.05 = 5%)")
    daily_loss_limit: str | None = Field(None, max_length=30, description="kill switch: the day's loss as a "
                                         "percentage (0.5% to 20%; 0.03 is 3%) or money ('50 USD')")
    daily_profit_target: str | None = Field(None, max_length=30, description="no new entries for the rest of the "
                                            "UTC day once the day's gain reaches this: a percentage (0.1% to 50%; "
                                            "0.02 is 2%) or money ('50 USD'); 'none' removes it")
    max_trades_total: int | None = Field(None, ge=0, le=200, description="entries per UTC day, all pairs")
    max_trades_per_symbol: int | None = Field(None, ge=0, le=100, description="entries per UTC day per pair")
    max_portfolio_risk: Decimal | None = Field(None, gt=0, le=Decimal("0.25"), allow_inf_nan=False,
                                               description="cap on total open risk (max 25%)")

    @field_validator("risk_per_trade", "max_portfolio_risk", mode="before")
    @classmethod
    def _fraction(cls, value: object, info: ValidationInfo) -> object:
        """Out of bounds says so in percent, as the user spoke ("500%"), never "less than or equal to 0.05"."""
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            return value  # not a number: pydantic's own message
        top, what = ((Decimal("0.05"), "risk per trade") if info.field_name == "risk_per_trade"
                     else (Decimal("0.25"), "the max portfolio risk"))
        if number.is_finite() and not Decimal(0) < number <= top:
            raise ValueError(f"{what} must be above 0% and at most {top * 100:.0f}% of equity (you asked "
                             f"{(number * 100).normalize():f}%); nothing changed")
        return value

    @field_validator("daily_loss_limit", mode="before")
    @classmethod
    def _loss_limit(cls, value: object) -> object:
        """'3%', 0.03, '$50', '50 USD' -> '3%' or '50 USD'; bounded: 0.5% to 20%, or more than 0 in money."""
        if value is None:
            return None
        limit = LossLimit.parse(value if isinstance(value, str) else str(value))
        if limit.fraction is not None and not Decimal("0.005") <= limit.fraction <= Decimal("0.2"):
            raise ValueError("the daily loss limit must be between 0.5% and 20% (or an amount, e.g. 50 USD)")
        return str(limit)

    @field_validator("daily_profit_target", mode="before")
    @classmethod
    def _profit_target(cls, value: object) -> object:
        """'2%', 0.02, '$50', '50 USD' -> '2%' or '50 USD'; 'none'/'off' -> 'none'; bounded 0.1% to 50%."""
        if value is None:
            return None
        target = ProfitTarget.parse_optional(value if isinstance(value, str) else str(value))
        if target is None:
            return "none"
        if target.fraction is not None and not Decimal("0.001") <= target.fraction <= Decimal("0.5"):
            raise ValueError("the daily profit target must be between 0.1% and 50% (or an amount, e.g. 50 USD)")
        return str(target)

    @model_validator(mode="after")
    def _something(self) -> SetRiskArgs:
        if not self.model_dump(exclude_none=True):
            raise ValueError("say which risk setting to change, e.g. risk_per_trade 0.01")
        return self


@dataclass(frozen=True)
class RiskSettingsResult:
    changed: dict[str, str]
    risk: dict[str, str]

    limit_text: str = ""  # the daily loss limit in both forms, when it changed
    target_text: str = ""  # the daily profit target in both forms (or "none"), when it changed

    def text(self) -> str:
        changed = ", ".join(f"{k} {_as_percent(k, v)}" for k, v in self.changed.items())
        limit = f"\nDaily loss limit: {self.limit_text}." if self.limit_text else ""
        target = f"\nDaily profit target: {self.target_text}." if self.target_text else ""
        return f"Risk updated: {changed}; the autopilot uses it from its next tick.{limit}{target}"


def _as_percent(key: str, value: str) -> str:
    """'0.005' of equity as the user said it: '0.5% (0.005)'; other settings as they are."""
    if key not in ("risk_per_trade", "max_portfolio_risk"):
        return value
    return f"{(Decimal(value) * 100).normalize():f}% ({value})"


async def set_risk(ctx: ToolContext, args: SetRiskArgs) -> RiskSettingsResult:
    """Change bounded risk settings (persisted; takes effect at the next tick)."""
    store, base = ctx.stores("risk settings")
    changed = {k: str(v) for k, v in args.model_dump(exclude_none=True).items()}
    limit = LossLimit.parse(changed["daily_loss_limit"]) if "daily_loss_limit" in changed else None
    if limit is not None and limit.currency not in (None, ctx.quote_currency):
        raise InputError(f"the account counts in {ctx.quote_currency}; give the daily loss limit in "
                         f"{ctx.quote_currency} or as a percentage")
    target = ProfitTarget.parse_optional(changed["daily_profit_target"]) if "daily_profit_target" in changed else None
    if target is not None and target.currency not in (None, ctx.quote_currency):
        raise InputError(f"the account counts in {ctx.quote_currency}; give the daily profit target in "
                         f"{ctx.quote_currency} or as a percentage")
    merged = {**store.get_overrides("risk"), **changed}
    cfg = with_risk_overrides(base, merged)
    store.set_overrides("risk", changed, by=ctx.actor, at=ctx.clock.now())
    from tools.risk import day_start_equity  # tools.risk imports this module's effective_config

    both = cfg.risk.daily_loss_limit.describe(day_start_equity(ctx), ctx.quote_currency) if limit else ""
    aim = ""
    if "daily_profit_target" in changed:
        from trading.risk.daily_target import target_text

        aim = target_text(cfg.risk.daily_profit_target, day_start_equity(ctx), ctx.quote_currency)
        aim = aim.split("; not reached")[0]
    return RiskSettingsResult(changed=changed, risk={k: "none" if v is None else str(v) for k, v in cfg.risk.model_dump().items()},
                              limit_text=both, target_text=aim)


def effective_config(ctx: ToolContext) -> TradingConfig:
    """The trading config with the stored overrides applied (risk, universe_size): what the next tick uses."""
    cfg = ctx.trading_config or TradingConfig()
    return with_overrides(cfg, ctx.store.get_overrides) if ctx.store is not None else cfg


class SetUniverseArgs(Args):
    size: int | None = Field(None, ge=1, le=UNIVERSE_SIZE_MAX, description="trade the N most liquid pairs of "
                             f"Kraken's markets in the quote currency (1 to {UNIVERSE_SIZE_MAX})")
    configured: bool = Field(False, description="true: trade the configured pairs again (no chosen universe)")

    @model_validator(mode="after")
    def _one(self) -> SetUniverseArgs:
        if (self.size is None) == (not self.configured):
            raise ValueError(f"say either how many pairs (size 1 to {UNIVERSE_SIZE_MAX}) or configured, not both")
        return self


@dataclass(frozen=True)
class UniverseSettingResult:
    size: int | None  # None: the configured pairs
    before: int | None
    pairs: tuple[str, ...]  # the configured pairs (what "configured" trades; a chosen universe starts from them)
    quote: str

    def text(self) -> str:
        def say(size: int | None) -> str:
            return f"the {size} most liquid {self.quote} pairs" if size else f"the configured pairs ({', '.join(self.pairs)})"

        if self.size == self.before:
            return f"Universe unchanged: the autopilot already trades {say(self.size)}."
        when = "it chooses them at its next tick" if self.size else "from its next tick"
        return f"Universe updated: the autopilot trades {say(self.size)} (was {say(self.before)}); {when}."


def describe_universe(args: SetUniverseArgs, symbol: str | None = None) -> str:
    """The confirmation's words."""
    return (f"trade the {args.size} most liquid pairs" if args.size is not None
            else "trade the configured pairs (no chosen universe)")


async def set_universe(ctx: ToolContext, args: SetUniverseArgs) -> UniverseSettingResult:
    """Choose how many pairs the autopilot trades (the N most liquid) or the configured pairs (persisted as a
    runtime override; takes effect at the next tick, whose universe keeper re-chooses under the new size)."""
    store, base = ctx.stores("the universe")
    before = with_overrides(base, store.get_overrides).universe_size
    store.set_overrides("trading", {"universe_size": str(args.size) if args.size is not None else "none"},
                        by=ctx.actor, at=ctx.clock.now())
    return UniverseSettingResult(args.size, before, tuple(base.universe), ctx.quote_currency)
