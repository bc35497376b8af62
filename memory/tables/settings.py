"""Runtime setting overrides (set_risk): small key/value rows that the autopilot reads each tick."""

# No `from __future__ import annotations` here: SQLModel reads the field annotations at class creation.
from datetime import datetime

from sqlmodel import Field, SQLModel

from memory.tables.ledger import UTCDateTime


class SettingOverrideRow(SQLModel, table=True):
    """One overridden setting, e.g. section "risk", key "risk_per_trade", value "0.02"."""

    __tablename__ = "setting_overrides"

    section: str = Field(primary_key=True, max_length=40)
    key: str = Field(primary_key=True, max_length=60)
    value: str = Field(max_length=200)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: str = Field(max_length=200)
