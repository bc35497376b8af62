"""The settings in force: the config file (or defaults) with the runtime overrides set from chat applied, and
which values were overridden, by whom and when. Every CLI reader (auto-config, backtest) uses this view, as
the autopilot and the chat's tools do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class Effective:
    cfg: Any  # trading.config.TradingConfig, as the autopilot uses it now
    file_cfg: Any  # the same without the runtime overrides
    overrides: list[Any] = field(default_factory=list)  # memory.stores.settings.SettingOverride
    start_equity: Any = None  # today's (UTC) start-of-day equity as the autopilot recorded it (None: not yet)
    target_reached: Any = None  # trading.risk.daily_target.TargetReached today, if the profit target was reached
    universe: Any = None  # trading.universe.UniverseChoice: the autopilot's latest choice (None: none recorded)

    def loss_limit(self, quote: str) -> dict[str, Any]:
        """The daily loss limit as given, and in both forms: money and percent of the start-of-day equity."""
        limit, start = self.cfg.risk.daily_loss_limit, self.start_equity
        pct = limit.fraction_of(start)
        return {"given": str(limit), "money": str(limit.allowed(start)) if start else (
            str(limit.amount) if limit.amount is not None else None),
                "percent": str(pct * 100) if pct is not None else None,
                "start_equity": str(start) if start is not None else None, "text": limit.describe(start, quote)}


    def profit_target(self, quote: str, reached: Any = None) -> dict[str, Any]:
        """The daily profit target as given (None: none), in both forms, and whether it was reached today."""
        from trading.risk.daily_target import target_text

        target, start = self.cfg.risk.daily_profit_target, self.start_equity
        pct = target.fraction_of(start) if target is not None else None
        return {"given": str(target) if target is not None else None,
                "money": (str(target.gain(start)) if start else (str(target.amount) if target.amount is not None
                                                                 else None)) if target is not None else None,
                "percent": format((pct * 100).normalize(), "f") if pct is not None else None,
                "reached_at": reached.reached_at.isoformat() if reached is not None else None,
                "text": target_text(target, start, quote, reached=reached)}


def effective_config(settings: Any, today: datetime | None = None) -> Effective:
    """The config file with the overrides stored in the mode's database applied (risk, for now)."""
    from memory import open_database
    from trading.clock import SystemClock
    from trading.config import load_trading_config, with_risk_overrides, with_trading_overrides

    file_cfg = load_trading_config(settings.config_file, settings.trading_env)
    url = settings.database_url.get_secret_value() if settings.database_url else None
    db = open_database(settings.mode, settings.data_dir, url)
    try:
        overrides = db.list_overrides("risk") + db.list_overrides("trading")
        date = (today or SystemClock().now()).astimezone(UTC).date()
        day = db.get_day(date)
        reached = db.get_target_reached(date)
        choice = db.latest_universe_choice()
    finally:
        db.close()
    applied = with_risk_overrides(file_cfg, {o.key: o.value for o in overrides if o.section == "risk"})
    applied = with_trading_overrides(applied, {o.key: o.value for o in overrides if o.section == "trading"})
    known = [o for o in overrides if _same(getattr(section_of(applied, o.section), o.key, None), o.value)]
    if reached is not None and applied.risk.daily_profit_target is not None and \
            reached.target != str(applied.risk.daily_profit_target):
        reached = None  # reached under another target: the one in force is judged afresh
    return Effective(applied, file_cfg, known, day.start_equity if day is not None else None, reached, choice)


def section_of(cfg: Any, section: str) -> Any:
    """The part of the config an override's section names ("trading": the top-level settings)."""
    return cfg if section == "trading" else getattr(cfg, section)


def _same(value: Any, stored: str) -> bool:
    """Whether a stored override is the value in force ('none' is no profit target)."""
    return str(value) == stored or (value is None and stored.strip().lower() in ("none", "off", "no", ""))


def overrides_json(eff: Effective) -> list[dict[str, str]]:
    """The overrides as plain JSON: setting, value, the file's value, by, at."""
    return [{"setting": f"{o.section}.{o.key}", "value": o.value,
             "file_value": str(getattr(section_of(eff.file_cfg, o.section), o.key)), "by": o.by,
             "at": o.at.isoformat()} for o in eff.overrides]
