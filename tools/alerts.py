"""alert_settings / set_alert: which events reach which channel (on, silent or off), persisted per mode."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field

from memory.vocab import ALERT_CHANNELS, ALERT_KINDS, DELIVERIES
from tools.base import Args
from tools.context import ToolContext
from trading.errors import InputError

_KIND_ALIASES = {"fills": "fill", "exit": "bracket_exit", "exits": "bracket_exit", "bracket": "bracket_exit",
                 "killswitch": "kill_switch", "kill": "kill_switch", "error": "autopilot_error",
                 "errors": "autopilot_error", "report": "daily_report", "reports": "daily_report",
                 "stop": "protection", "stops": "protection", "target": "profit_target",
                 "profit": "profit_target", "profittarget": "profit_target", "goal": "profit_target"}
_CHANNEL_ALIASES = {"mail": "email", "e-mail": "email", "text": "sms", "tg": "telegram"}
_DELIVERY_ALIASES = {"quiet": "silent", "mute": "silent", "muted": "silent", "yes": "on", "no": "off"}


class AlertSettingsArgs(Args):
    pass


class SetAlertArgs(Args):
    event: str = Field(max_length=40, description="fill, bracket_exit, kill_switch, profit_target, autopilot_error, "
                                                  "daily_report, watchdog, protection or all")
    channel: str = Field(max_length=40, description="telegram, discord, webhook, email, sms or all")
    delivery: str = Field(max_length=10, description="on (with sound), silent (no sound) or off")


@dataclass(frozen=True)
class AlertSettingsResult:
    """The delivery of every event type on every channel."""

    settings: dict[str, dict[str, str]]  # kind -> channel -> on | silent | off
    configured: dict[str, bool] = field(default_factory=dict)  # channel -> set up (filled in where known)

    def text(self) -> str:
        lines = ["Alerts (event: channel setting):"]
        for kind, row in self.settings.items():
            lines.append(f"{kind}: " + " · ".join(f"{c} {d}" for c, d in row.items()))
        if self.configured:
            off = [c for c, ok in self.configured.items() if not ok]
            lines.append("Not configured: " + (", ".join(off) if off else "none"))
        return "\n".join(lines)


@dataclass(frozen=True)
class SetAlertResult:
    """What set_alert changed ("kind channel": "old -> new"), and the settings after it."""

    changed: dict[str, str]
    settings: AlertSettingsResult

    def text(self) -> str:
        if not self.changed:
            return "Alert settings unchanged (already so)."
        return "Alert settings updated: " + "; ".join(f"{k} {v}" for k, v in self.changed.items())


def _pick(raw: str, names: tuple[str, ...], aliases: dict[str, str], what: str, allow_all: bool) -> tuple[str, ...]:
    word = raw.strip().lower().replace("-", "_").replace(" ", "_")
    if allow_all and word == "all":
        return names
    word = aliases.get(word, aliases.get(word.replace("_", ""), word))
    if word not in names:
        choices = ", ".join(names) + " or all" if allow_all else f"{', '.join(names[:-1])} or {names[-1]}"
        raise InputError(f"unknown {what} '{raw[:40]}': use {choices}")
    return (word,)


def _matrix(ctx: ToolContext) -> dict[str, dict[str, str]]:
    pairs = ctx.store.alert_deliveries()
    return {k: {c: pairs[(k, c)] for c in ALERT_CHANNELS} for k in ALERT_KINDS}


def _require_store(ctx: ToolContext) -> None:
    if ctx.store is None:
        raise InputError("alert settings are not available here")


async def alert_settings(ctx: ToolContext, args: AlertSettingsArgs) -> AlertSettingsResult:
    """The on/silent/off setting of every event type on every channel."""
    _require_store(ctx)
    return AlertSettingsResult(_matrix(ctx), dict(ctx.alert_channels or {}))


async def set_alert(ctx: ToolContext, args: SetAlertArgs) -> SetAlertResult:
    """Set an event type's delivery on a channel ("all" for every event or channel); all checked, then saved."""
    _require_store(ctx)
    kinds = _pick(args.event, ALERT_KINDS, _KIND_ALIASES, "event", True)
    channels = _pick(args.channel, ALERT_CHANNELS, _CHANNEL_ALIASES, "channel", True)
    (delivery,) = _pick(args.delivery, DELIVERIES, _DELIVERY_ALIASES, "setting", False)
    before = ctx.store.alert_deliveries()
    changes = {(k, c): delivery for k in kinds for c in channels if before[(k, c)] != delivery}
    if changes:
        ctx.store.set_alert_deliveries(changes, by=ctx.actor, at=ctx.clock.now())
    changed = {f"{k} {c}": f"{before[(k, c)]} -> {d}" for (k, c), d in changes.items()}
    return SetAlertResult(changed, AlertSettingsResult(_matrix(ctx), dict(ctx.alert_channels or {})))
