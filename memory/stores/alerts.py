"""Alert delivery settings, mixed into Database: per (event kind, channel) on | silent | off, with defaults.

The kinds and channels are plain strings here (memory sits below bot/notify, whose AlertKind has the same
values). A pair never set has its default: everything on, except that SMS (meant for urgent things: kill
switch and fills) stays off for autopilot errors and daily reports.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import select

from memory.tables.alerts import AlertSettingRow
from memory.vocab import ALERT_CHANNELS, ALERT_KINDS, DELIVERIES, default_delivery
from memory.vocab import DEFAULT_OFF as DEFAULT_OFF  # re-exported (declared in memory.vocab)

if TYPE_CHECKING:
    from sqlmodel import Session

@dataclass(frozen=True, slots=True)
class AlertSetting:
    """The effective delivery of one (kind, channel) pair."""

    kind: str
    channel: str
    delivery: str
    is_default: bool = True
    updated_at: datetime | None = None
    updated_by: str = ""


class AlertStoreMixin:
    """get_alert_delivery / alert_deliveries / list_alert_settings / set_alert_deliveries on Database.session()."""

    if TYPE_CHECKING:
        def session(self, *, write: bool = False) -> Session: ...

    def get_alert_delivery(self, kind: str, channel: str) -> str:
        """"on", "silent" or "off" for one pair (its default when never set)."""
        with self.session() as s:
            row = s.get(AlertSettingRow, (kind, channel))
        return row.delivery if row is not None else default_delivery(kind, channel)

    def alert_deliveries(self, kind: str | None = None) -> dict[tuple[str, str], str]:
        """(kind, channel) -> delivery for every known pair (of one kind if given), defaults filled in."""
        kinds = ALERT_KINDS if kind is None else (kind,)
        out = {(k, c): default_delivery(k, c) for k in kinds for c in ALERT_CHANNELS}
        query = select(AlertSettingRow)
        if kind is not None:
            query = query.where(AlertSettingRow.kind == kind)
        with self.session() as s:
            for row in s.exec(query):
                out[(row.kind, row.channel)] = row.delivery
        return out

    def list_alert_settings(self) -> list[AlertSetting]:
        """Every known pair, kinds then channels in their fixed order, saying which were set and by whom."""
        with self.session() as s:
            rows = {(r.kind, r.channel): r for r in s.exec(select(AlertSettingRow))}
        out = []
        for k in ALERT_KINDS:
            for c in ALERT_CHANNELS:
                row = rows.get((k, c))
                if row is None:
                    out.append(AlertSetting(k, c, default_delivery(k, c)))
                else:
                    out.append(AlertSetting(k, c, row.delivery, False, row.updated_at, row.updated_by))
        return out

    def set_alert_delivery(self, kind: str, channel: str, delivery: str, *, by: str, at: datetime) -> None:
        """Set one pair."""
        self.set_alert_deliveries({(kind, channel): delivery}, by=by, at=at)

    def set_alert_deliveries(self, changes: dict[tuple[str, str], str], *, by: str, at: datetime) -> None:
        """Set several pairs in one transaction (all or nothing); unknown names or values raise ValueError."""
        for (kind, channel), delivery in changes.items():
            if kind not in ALERT_KINDS or channel not in ALERT_CHANNELS or delivery not in DELIVERIES:
                raise ValueError(f"not an alert setting: {kind} {channel} {delivery}")
        with self.session(write=True) as s:
            for (kind, channel), delivery in changes.items():
                row = s.get(AlertSettingRow, (kind, channel))
                if row is None:
                    row = AlertSettingRow(kind=kind, channel=channel, delivery=delivery, updated_at=at,
                                          updated_by=by[:200])
                else:
                    row.delivery, row.updated_at, row.updated_by = delivery, at, by[:200]
                s.add(row)
            s.commit()
