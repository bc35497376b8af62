"""Persistence with SQLModel: one database per mode, stamped with its mode.

The exports load on first use (PEP 562), so importing a light module of this package (memory.vocab) does not
import the database layer: a command that never opens the database starts faster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from memory.convert import BalanceSnapshot
    from memory.db import Database, default_path, open_database, open_existing

__all__ = ["BalanceSnapshot", "Database", "default_path", "open_database", "open_existing"]


def __getattr__(name: str) -> Any:
    if name == "BalanceSnapshot":
        from memory.convert import BalanceSnapshot

        return BalanceSnapshot
    if name in ("Database", "default_path", "open_database", "open_existing"):
        import memory.db

        return getattr(memory.db, name)
    raise AttributeError(f"module 'memory' has no attribute {name!r}")
