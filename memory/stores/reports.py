"""Reports' persistence, mixed into Database: the once-per-day send claim and log, and the equity curve."""

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import and_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from memory.tables.ledger import BalanceSnapshotRow
from memory.tables.reports import ReportRunRow, ReportRunStatus

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True, slots=True)
class ReportRun:
    """What happened to one day's report."""

    kind: str
    day: date
    status: str
    attempts: int
    claimed_at: datetime
    claimed_by: str
    sent_at: datetime | None = None
    channels_ok: tuple[str, ...] = ()
    channels_failed: dict[str, str] = field(default_factory=dict)
    error: str | None = None


class ReportStoreMixin:
    """claim_report / finish_report / get_report_run and equity_points, on top of Database.session()."""

    if TYPE_CHECKING:
        def session(self, *, write: bool = False) -> Session: ...

    def claim_report(self, kind: str, day: date, at: datetime, by: str = "") -> bool:
        """Claim the report of (kind, day): True for the first claim in any process, or after a failure."""
        try:
            with self.session(write=True) as s:
                s.add(ReportRunRow(kind=kind, day=day, status=ReportRunStatus.CLAIMED.value, claimed_at=at,
                                   claimed_by=by[:80]))
                s.commit()
            return True
        except IntegrityError:
            pass
        # The row exists. Only a run that delivered nothing may be taken again, by one conditional UPDATE.
        table = ReportRunRow.__table__
        with self.session(write=True) as s:
            done = s.exec(update(table).where(and_(table.c.kind == kind, table.c.day == day,
                                                   table.c.status == ReportRunStatus.FAILED.value))
                          .values(status=ReportRunStatus.CLAIMED.value, claimed_at=at, claimed_by=by[:80],
                                  attempts=table.c.attempts + 1, error=None))
            s.commit()
            return done.rowcount == 1

    def finish_report(self, kind: str, day: date, *, at: datetime, ok: list[str], failed: dict[str, str],
                      error: str | None = None) -> ReportRun:
        """Record how a claimed report went at `at`: sent if any channel delivered it, else failed."""
        status = ReportRunStatus.SENT if ok else ReportRunStatus.FAILED
        with self.session(write=True) as s:
            row = s.get(ReportRunRow, (kind, day))
            if row is None:  # finished without a claim (should not happen): keep the record anyway
                row = ReportRunRow(kind=kind, day=day, status=status.value, claimed_at=at)
            row.status, row.sent_at = status.value, at if ok else None
            row.channels_ok = json.dumps(sorted(ok))
            row.channels_failed = json.dumps({k: v[:300] for k, v in sorted(failed.items())})
            row.error = error[:1000] if error else None
            s.add(row)
            s.commit()
            return _run(row)

    def get_report_run(self, kind: str, day: date) -> ReportRun | None:
        """The record of (kind, day), or None if it was never claimed."""
        with self.session() as s:
            row = s.get(ReportRunRow, (kind, day))
            return _run(row) if row is not None else None

    def equity_points(self, start: datetime, end: datetime) -> list[tuple[datetime, Decimal]]:
        """Recorded equity (balance snapshots with an equity) with start <= time <= end, oldest first."""
        t = BalanceSnapshotRow
        query = (select(t.timestamp, t.equity_quote).where(t.timestamp >= start, t.timestamp <= end,
                                                            t.equity_quote.is_not(None))
                 .distinct().order_by(t.timestamp))
        with self.session() as s:
            rows = list(s.exec(query))
        out: list[tuple[datetime, Decimal]] = []
        for ts, equity in rows:
            if out and out[-1][0] == ts:
                continue  # two sources at one instant: one point is enough
            out.append((ts, equity))
        return out

    def equity_before(self, at: datetime) -> tuple[datetime, Decimal] | None:
        """The latest recorded equity at or before `at`."""
        t = BalanceSnapshotRow
        query = (select(t.timestamp, t.equity_quote).where(t.timestamp <= at, t.equity_quote.is_not(None))
                 .order_by(t.timestamp.desc()).limit(1))
        with self.session() as s:
            row = s.exec(query).first()
        return (row[0], row[1]) if row is not None else None


def _run(row: ReportRunRow) -> ReportRun:
    return ReportRun(kind=row.kind, day=row.day, status=row.status, attempts=row.attempts,
                     claimed_at=row.claimed_at, claimed_by=row.claimed_by, sent_at=row.sent_at,
                     channels_ok=tuple(json.loads(row.channels_ok)),
                     channels_failed=json.loads(row.channels_failed), error=row.error)
