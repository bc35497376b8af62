"""Who placed an order, kept through every later write: what the ledger store applies before it stores rows.

An order is written many times (placed, partly filled, closed) and most writers (Kraken's answers, the
bracket reconciler) know nothing of who placed it, so a write without a source keeps the one recorded; a
bracket leg or a conditional close without one takes its bracket's. A fill takes its order's, or, for a LIVE
entry whose order row is not written yet, the bracket of which it is the entry (written before it was sent).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlmodel import Session, select

from memory.tables.ledger import BracketRow, OrderRow
from trading.domain import Fill

Who = tuple[str | None, str | None]  # (source, strategy)
_CHUNK = 500  # stay under SQLite's bound-parameter limit


def keep_order_sources(s: Session, values: dict[str, dict[str, Any]], fallback: str | None = None,
                       recorded: dict[str, Who] | None = None) -> None:
    """Fill in, in place, the source and strategy of order rows about to be written without one (`fallback`
    for those neither a recorded row nor a bracket accounts for). recorded: the stored rows' (source, strategy)
    by id, when the caller has read them already (an id not in it has no row)."""
    missing = [oid for oid, v in values.items() if v.get("source") is None]
    if not missing:
        return
    known: dict[str, Who] = {}
    if recorded is not None:
        known = {oid: recorded[oid] for oid in missing if oid in recorded and recorded[oid][0] is not None}
    for part in _chunks(missing) if recorded is None else ():
        for oid, src, strat in s.exec(select(OrderRow.id, OrderRow.source, OrderRow.strategy)
                                      .where(OrderRow.id.in_(part))):
            if src is not None:
                known[oid] = (src, strat)
    rest = [oid for oid in missing if oid not in known]
    by_bracket = _brackets(s, bracket_ids={values[oid].get("bracket_id") for oid in rest} - {None},
                           entry_ids=set(rest))
    for oid in missing:
        who = known.get(oid) or by_bracket.get(("id", values[oid].get("bracket_id"))) or by_bracket.get(("entry", oid))
        if who is not None:
            values[oid]["source"], values[oid]["strategy"] = who[0], values[oid].get("strategy") or who[1]
        elif fallback is not None:
            values[oid]["source"] = fallback


def keep_bracket_sources(s: Session, values: dict[str, dict[str, Any]]) -> None:
    """Fill in, in place, the recorded source and strategy of bracket rows about to be written without one."""
    missing = [bid for bid, v in values.items() if v.get("source") is None]
    for part in _chunks(missing):
        for bid, src, strat in s.exec(select(BracketRow.id, BracketRow.source, BracketRow.strategy)
                                      .where(BracketRow.id.in_(part), BracketRow.source.is_not(None))):
            values[bid]["source"], values[bid]["strategy"] = src, values[bid].get("strategy") or strat


def fill_sources(s: Session, fills: Iterable[Fill], fallback: str | None = None,
                 written: dict[str, dict[str, Any]] | None = None) -> list[Fill]:
    """The fills with the source and strategy of their order (or of the bracket they are the entry of);
    `fallback` for those whose origin is unknown (the reconciler's imports).

    written: the order rows this transaction writes (as keep_order_sources left them): a fill of one of those
    takes its source from there, with no query (the same lookups made it)."""
    fills = list(fills)
    known: dict[str, Who] = {}
    settled: set[str] = set()
    for f in fills:
        values = written.get(f.order_id) if written else None
        if f.source is None and values is not None:
            settled.add(f.order_id)
            if values.get("source") is not None:
                known[f.order_id] = (values["source"], values.get("strategy"))
    missing = {f.order_id for f in fills if f.source is None} - settled
    if not missing and not settled:
        return fills
    for part in _chunks(list(missing)):
        rows = s.exec(select(OrderRow.id, OrderRow.source, OrderRow.strategy, OrderRow.bracket_id)
                      .where(OrderRow.id.in_(part)))
        brackets: dict[str, str] = {}
        for oid, src, strat, bracket_id in rows:
            if src is not None:
                known[oid] = (src, strat)
            elif bracket_id:
                brackets[oid] = bracket_id
        by_bracket = _brackets(s, bracket_ids=set(brackets.values()), entry_ids=set(part) - set(known))
        for oid in part:
            who = known.get(oid) or by_bracket.get(("id", brackets.get(oid))) or by_bracket.get(("entry", oid))
            if who is not None:
                known[oid] = who
    out = []
    for f in fills:
        if f.source is None:
            src, strat = known.get(f.order_id, (fallback, None))
            f = replace(f, source=src, strategy=f.strategy or strat)
        out.append(f)
    return out


def _brackets(s: Session, *, bracket_ids: set[str], entry_ids: set[str]) -> dict[tuple[str, str | None], Who]:
    """("id", bracket id) and ("entry", entry order id) -> the bracket's (source, strategy), where it has one."""
    out: dict[tuple[str, str | None], Who] = {}
    if not bracket_ids and not entry_ids:
        return out
    for part in _chunks(sorted(bracket_ids)):
        for bid, src, strat in s.exec(select(BracketRow.id, BracketRow.source, BracketRow.strategy)
                                      .where(BracketRow.id.in_(part), BracketRow.source.is_not(None))):
            out[("id", bid)] = (src, strat)
    for part in _chunks(sorted(entry_ids)):
        for eid, src, strat in s.exec(select(BracketRow.entry_order_id, BracketRow.source, BracketRow.strategy)
                                      .where(BracketRow.entry_order_id.in_(part), BracketRow.source.is_not(None))):
            out[("entry", eid)] = (src, strat)
    return out


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]
