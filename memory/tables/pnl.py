"""The average-cost P&L kept with the fills (trading/pnl.py's rule): one row per fill, one head per symbol.

Written in the same transaction as the fills (memory/stores/pnl.py), so a report reads only the fills of
its window and a sale's P&L is one lookup. A fill recorded out of time order re-costs that symbol's later
fills; `rebuild_costs` recomputes everything from the fills and checks the result.
"""

# No `from __future__ import annotations` here: SQLModel reads the field annotations at class creation.

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from memory.tables.autopilot import EvaluationRow
from memory.tables.ledger import BracketRow, FillRow, OrderRow, money, when


class FillCostRow(SQLModel, table=True):
    """A symbol's position just after one fill (ordered by time, then the fill's seq), and that fill's P&L."""

    __tablename__ = "fill_costs"
    __table_args__ = (Index("ix_fill_costs_symbol_time", "symbol", "timestamp", "seq"),)

    fill_id: str = Field(primary_key=True, max_length=64)
    symbol: str = Field(max_length=30)
    timestamp: datetime = when()
    seq: int
    amount: Decimal = money()  # held after the fill
    cost: Decimal = money()  # its cost basis, buy fees included
    realized: Decimal = money()  # the symbol's running realised P&L, this fill included
    pnl: Decimal | None = money(nullable=True)  # this fill's realised P&L; None: a buy, or a sale closing nothing


class CostBookRow(SQLModel, table=True):
    """Each symbol's position after its last fill, and how many fills it has (the chain's head)."""

    __tablename__ = "cost_books"

    symbol: str = Field(primary_key=True, max_length=30)
    amount: Decimal = money()
    cost: Decimal = money()
    realized: Decimal = money()
    fills: int
    last_timestamp: datetime = when()
    last_seq: int


# Indexes on the ledger's and the evaluation log's tables for reads by window (declared here, next to the reads that need them;
# memory.db creates them on an older file when it upgrades it).
Index("ix_fills_time_seq", FillRow.timestamp, FillRow.seq)
Index("ix_fills_symbol_time", FillRow.symbol, FillRow.timestamp, FillRow.seq)
Index("ix_orders_status_time", OrderRow.status, OrderRow.created_at, OrderRow.seq)
Index("ix_orders_symbol_time", OrderRow.symbol, OrderRow.created_at, OrderRow.seq)
Index("ix_evaluations_order", EvaluationRow.order_id)  # the strategy of an entry order (performance_report)
# The bracket an order is the entry of (memory/stores/attribution.py: an order or fill written without its source,
# e.g. every LIVE journal write): without it each such write scans every bracket ever made (schema 4).
Index("ix_brackets_entry_order", BracketRow.entry_order_id)
