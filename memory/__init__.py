"""Persistence with SQLModel: one database per mode, stamped with its mode."""

from memory.convert import BalanceSnapshot
from memory.db import Database, default_path, open_database

__all__ = ["BalanceSnapshot", "Database", "default_path", "open_database"]
