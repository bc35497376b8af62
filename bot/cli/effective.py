"""The settings in force: the config file (or defaults) with the runtime overrides set from chat applied, and
which values were overridden, by whom and when. Every CLI reader (auto-config, backtest) uses this view, as
the autopilot and the chat's tools do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Effective:
    cfg: Any  # trading.config.TradingConfig, as the autopilot uses it now
    file_cfg: Any  # the same without the runtime overrides
    overrides: list[Any] = field(default_factory=list)  # memory.stores.settings.SettingOverride


def effective_config(settings: Any) -> Effective:
    """The config file with the overrides stored in the mode's database applied (risk, for now)."""
    from memory import open_database
    from trading.config import load_trading_config, with_risk_overrides

    file_cfg = load_trading_config(settings.config_file)
    url = settings.database_url.get_secret_value() if settings.database_url else None
    db = open_database(settings.mode, settings.data_dir, url)
    try:
        overrides = db.list_overrides("risk")
    finally:
        db.close()
    applied = with_risk_overrides(file_cfg, {o.key: o.value for o in overrides})
    known = [o for o in overrides if str(getattr(applied.risk, o.key, None)) == o.value]
    return Effective(applied, file_cfg, known)


def overrides_json(eff: Effective) -> list[dict[str, str]]:
    """The overrides as plain JSON: setting, value, the file's value, by, at."""
    return [{"setting": f"{o.section}.{o.key}", "value": o.value,
             "file_value": str(getattr(getattr(eff.file_cfg, o.section), o.key)), "by": o.by,
             "at": o.at.isoformat()} for o in eff.overrides]
