"""Setting overrides, mixed into Database: what `set_risk` changed, who changed it and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import select

from memory.tables.settings import SettingOverrideRow

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class SettingOverride:
    """One setting changed at run time: which, to what, by whom and when."""

    section: str
    key: str
    value: str
    by: str
    at: datetime


class SettingsStoreMixin:
    """get_overrides / set_overrides on top of Database.session()."""

    if TYPE_CHECKING:
        def session(self, *, write: bool = False) -> Session: ...

    def get_overrides(self, section: str) -> dict[str, str]:
        """Overridden values of one section, as strings."""
        with self.session() as s:
            rows = s.exec(select(SettingOverrideRow).where(SettingOverrideRow.section == section)).all()
        return {r.key: r.value for r in rows}

    def list_overrides(self, section: str | None = None) -> list[SettingOverride]:
        """Every override (of one section), with who set it and when."""
        query = select(SettingOverrideRow)
        if section is not None:
            query = query.where(SettingOverrideRow.section == section)
        with self.session() as s:
            rows = s.exec(query.order_by(SettingOverrideRow.section, SettingOverrideRow.key)).all()
        return [SettingOverride(r.section, r.key, r.value, r.updated_by, r.updated_at) for r in rows]

    def set_overrides(self, section: str, values: dict[str, str], *, by: str, at: datetime) -> None:
        """Store several overrides of one section in one transaction."""
        with self.session(write=True) as s:
            for key, value in values.items():
                row = s.get(SettingOverrideRow, (section, key))
                if row is None:
                    row = SettingOverrideRow(section=section, key=key, value=value, updated_at=at, updated_by=by)
                else:
                    row.value, row.updated_at, row.updated_by = value, at, by
                s.add(row)
            s.commit()
