"""The optional capabilities the autopilot checks with isinstance: each adapter and the Database declare theirs."""

from __future__ import annotations

from datetime import UTC, datetime

from memory import Database, open_database
from trading.autopilot.ports import EquitySnapshots, FillAnnouncements, FillJournal, SettingOverrides
from trading.clock import ManualClock
from trading.domain import Mode
from trading.exchange.base import BracketReconciler, PositionBook, ReconciledBrackets
from trading.exchange.kraken.client import KrakenExchange
from trading.exchange.kraken.journal import JournaledKraken
from trading.exchange.paper.exchange import PaperExchange


def test_paper_keeps_positions_and_its_own_brackets() -> None:
    assert issubclass(PaperExchange, PositionBook)
    assert not issubclass(PaperExchange, ReconciledBrackets)


def test_only_the_journaled_kraken_account_needs_a_bracket_reconciler(tmp_path) -> None:
    assert not issubclass(KrakenExchange, ReconciledBrackets) and not issubclass(KrakenExchange, PositionBook)
    db = open_database(Mode.LIVE, tmp_path)
    try:
        exchange = JournaledKraken(None, None, journal=db)
        assert isinstance(exchange, ReconciledBrackets) and not isinstance(exchange, PositionBook)
        reconciler = exchange.bracket_reconciler(ManualClock(datetime(2024, 6, 3, tzinfo=UTC)))
        assert isinstance(reconciler, BracketReconciler)
    finally:
        db.close()


def test_the_database_offers_every_store_capability() -> None:
    for port in (EquitySnapshots, SettingOverrides, FillAnnouncements, FillJournal):
        assert issubclass(Database, port), port.__name__
