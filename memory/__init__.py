"""Persistence with SQLModel: one database per mode, stamped with its mode."""

from memory.convert import BalanceSnapshot
from memory.db import default_path, open_database
from memory.store import Database

__all__ = ["BalanceSnapshot", "Database", "default_path", "open_database"]
