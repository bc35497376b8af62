"""set_risk: change risk settings within safe bounds; the autopilot applies them at its next tick."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic import Field, model_validator

from tools.base import Args
from tools.context import ToolContext
from trading.config import TradingConfig, with_risk_overrides


class SetRiskArgs(Args):
    risk_per_trade: Decimal | None = Field(None, gt=0, le=Decimal("0.05"), allow_inf_nan=False,
                                           description="fraction of equity risked per trade (max 0.05 = 5%)")
    daily_loss_limit: Decimal | None = Field(None, ge=Decimal("0.005"), le=Decimal("0.2"), allow_inf_nan=False,
                                             description="kill switch loss vs day start (0.5% to 20%)")
    max_trades_total: int | None = Field(None, ge=0, le=200, description="entries per UTC day, all pairs")
    max_trades_per_symbol: int | None = Field(None, ge=0, le=100, description="entries per UTC day per pair")
    max_portfolio_risk: Decimal | None = Field(None, gt=0, le=Decimal("0.25"), allow_inf_nan=False,
                                               description="cap on total open risk (max 25%)")

    @model_validator(mode="after")
    def _something(self) -> SetRiskArgs:
        if not self.model_dump(exclude_none=True):
            raise ValueError("say which risk setting to change, e.g. risk_per_trade 0.01")
        return self


@dataclass(frozen=True)
class RiskSettingsResult:
    changed: dict[str, str]
    risk: dict[str, str]

    def text(self) -> str:
        changed = ", ".join(f"{k} {v}" for k, v in self.changed.items())
        return f"Risk updated ({changed}); the autopilot uses it from its next tick."


async def set_risk(ctx: ToolContext, args: SetRiskArgs) -> RiskSettingsResult:
    """Change bounded risk settings (persisted; takes effect at the next tick)."""
    store, base = ctx.stores("risk settings")
    changed = {k: str(v) for k, v in args.model_dump(exclude_none=True).items()}
    merged = {**store.get_overrides("risk"), **changed}
    cfg = with_risk_overrides(base, merged)
    store.set_overrides("risk", changed, by=ctx.actor, at=ctx.clock.now())
    return RiskSettingsResult(changed=changed, risk={k: str(v) for k, v in cfg.risk.model_dump().items()})


def effective_config(ctx: ToolContext) -> TradingConfig:
    """The trading config with the stored risk overrides applied: what the autopilot's next tick uses."""
    cfg = ctx.trading_config or TradingConfig()
    return with_risk_overrides(cfg, ctx.store.get_overrides("risk")) if ctx.store is not None else cfg
