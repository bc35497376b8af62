"""The universe of pairs the autopilot trades: the configured pairs, or the N most liquid of Kraken's markets in
the account's quote currency that have the history the strategies need to warm up.

Pure: the ranking and the filters work on plain data (markets, 24h quote volumes, candle counts); fetching them
is trading/autopilot/universe.py's job, and the record of each choice is memory's (memory/stores/universe.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from trading.domain import Market

# Bases that are money, not something to trade for a move: a stablecoin or a fiat pair tops the volume ranking
# on Kraken (USDT/USD, USDC/USD, EUR/USD) and never trends. Configurable (TradingConfig.universe_exclude).
MONEY_BASES = ("USDT", "USDC", "DAI", "PYUSD", "USDG", "RLUSD", "TUSD", "USDS", "EURT", "EURC", "USDQ", "USDR",
               "EUR", "GBP", "CAD", "CHF", "JPY", "AUD", "ZUSD", "ZEUR", "ZGBP")

CONFIGURED, KRAKEN, REPLAY, FALLBACK = "configured", "kraken", "replay", "fallback"
SHOWN_LEFT_OUT = 12  # the left-out pairs a record keeps by name (the most liquid first); the rest are counted


@dataclass(frozen=True, slots=True)
class Candidate:
    """One market as the selection sees it."""

    symbol: str
    base: str
    quote: str
    active: bool = True
    darkpool: bool = False
    quote_volume: Decimal | None = None  # traded in the last 24h, in the quote currency (None: unknown)

    @classmethod
    def of(cls, market: Market, quote_volume: Decimal | None) -> Candidate:
        """A candidate from a market and its 24h quote volume (Kraken's dark pools have ids ending in .d)."""
        dark = market.exchange_id.endswith(".d") or market.altname.endswith(".d") or market.symbol.endswith(".d")
        return cls(market.symbol, market.base, market.quote, market.active, dark, quote_volume)


@dataclass(frozen=True, slots=True)
class LeftOut:
    symbol: str
    reason: str
    quote_volume: Decimal | None = None


@dataclass(frozen=True)
class UniverseChoice:
    """The pairs in force, how and when they were chosen, and why the others were left out."""

    pairs: tuple[str, ...]
    how: str  # CONFIGURED | KRAKEN | REPLAY | FALLBACK
    at: datetime | None
    quote: str
    size: int | None = None  # the configured universe_size (None: the configured pairs)
    volumes: dict[str, Decimal] = field(default_factory=dict)  # chosen pair -> 24h quote volume
    history: dict[str, int] = field(default_factory=dict)  # chosen pair -> 5m candles available
    left_out: tuple[LeftOut, ...] = ()  # the most liquid pairs not taken, with why
    counts: dict[str, int] = field(default_factory=dict)  # reason -> how many pairs it left out
    note: str = ""  # the source's label (the replay's provenance) or why it fell back
    warmup: int = 0  # 5m candles a pair needed
    key: str = ""  # the settings the choice was made under: a change of them chooses again

    @property
    def day(self) -> date | None:
        return self.at.date() if self.at is not None else None

    def how_text(self) -> str:
        """How the pairs were chosen, in words."""
        when = f", chosen {self.at:%Y-%m-%d %H:%M} UTC" if self.at is not None else ""
        if self.how == CONFIGURED:
            return "the configured pairs: the universe setting or its default, not ranked by volume"
        if self.how == KRAKEN:
            return (f"the {self.size} most liquid {self.quote} pairs on Kraken by 24h volume, with at least "
                    f"{self.warmup} 5m candles of history{when}")
        if self.how == REPLAY:
            return f"offline, no Kraken volumes to rank by: the replay's pairs with enough history{when}; data: {self.note}"
        return f"Kraken's markets could not be read ({self.note}); kept {self._kept()}{when}"

    def _kept(self) -> str:
        return "the last choice" if "last" in self.note else "the configured pairs"

    def none_text(self) -> str:
        return ("no pair qualified, so the autopilot evaluates none (tried again within the hour)"
                if not self.pairs and self.how in (KRAKEN, REPLAY) else "")

    def summary(self) -> str:
        """'BTC/USD 42.8M, ETH/USD 18.5M (the 2 most liquid USD pairs ...)' for a status line."""
        return f"{self.pairs_text()} ({self.how_text()})"

    def pairs_text(self) -> str:
        if not self.pairs:
            return self.none_text() or "none"
        return ", ".join(f"{p} {compact(self.volumes[p])}" if p in self.volumes else p for p in self.pairs)

    def text(self) -> str:
        """The whole record: pairs with their volumes and history, how, and why the others were left out."""
        lines = [f"Universe: {self.pairs_text()}", f"How: {self.how_text()}."]
        if self.history:
            lines.append("History (5m candles): " + ", ".join(f"{p} {n}" for p, n in self.history.items()))
        if self.left_out:
            lines.append("Left out: " + "; ".join(
                f"{o.symbol}{' ' + compact(o.quote_volume) if o.quote_volume is not None else ''}: {o.reason}"
                for o in self.left_out))
        named = Counter(reason_kind(o.reason) for o in self.left_out)
        rest = {k: n - named.get(k, 0) for k, n in self.counts.items() if n - named.get(k, 0) > 0}
        if rest:
            lines.append("Also left out: " + ", ".join(f"{n} {k}" for k, n in rest.items()))
        return "\n".join(lines)


def reason_kind(reason: str) -> str:
    """The counted kind of a left-out reason ('not enough history: 300 of 612' -> 'not enough history')."""
    return reason.split(":")[0]


def compact(value: Decimal | None) -> str:
    """12345678 -> '12.3M' (a volume at a glance)."""
    if value is None:
        return "-"
    v = float(value)
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= size:
            return f"{v / size:.1f}{unit}"
    return f"{v:.0f}"


def rank(candidates: Iterable[Candidate], *, quote: str, exclude: Iterable[str] = MONEY_BASES,
         min_volume: Decimal = Decimal(0)) -> tuple[list[Candidate], list[LeftOut]]:
    """The candidates in the quote currency that may be traded, most liquid first, and those left out with why.

    Another quote's pairs are not candidates at all (not listed as left out). Left out: inactive markets (Kraken's
    status other than online), dark pools, money bases (stablecoins and fiat), no 24h volume, volume below
    min_volume. Ties keep the symbol's alphabetical order, so a choice is reproducible.
    """
    banned = {b.upper() for b in exclude}
    ranked: list[Candidate] = []
    out: list[LeftOut] = []
    for c in sorted(candidates, key=lambda c: c.symbol):
        if c.quote.upper() != quote.upper():
            continue
        why = None
        if not c.active:
            why = "inactive market"
        elif c.darkpool:
            why = "dark pool"
        elif c.base.upper() in banned:
            why = "money base (stablecoin or fiat)"
        elif c.quote_volume is None or c.quote_volume <= 0:
            why = "no 24h volume"
        elif c.quote_volume < min_volume:
            why = f"24h volume below the minimum: {compact(c.quote_volume)} < {compact(min_volume)}"
        if why is None:
            ranked.append(c)
        else:
            out.append(LeftOut(c.symbol, why, c.quote_volume))
    ranked.sort(key=lambda c: c.quote_volume or Decimal(0), reverse=True)  # stable: ties stay alphabetical
    return ranked, out


def pick(ranked: list[Candidate], history: Mapping[str, int | None], *, size: int,
         warmup: int) -> tuple[list[Candidate], list[LeftOut]]:
    """The first `size` ranked candidates with at least `warmup` candles of history; those passed over with why.

    history: symbol -> candles available (None or absent: not checked, so not taken). Candidates below the
    last one taken are not "left out" for a reason of their own: they are counted as "below the top N".
    """
    chosen: list[Candidate] = []
    out: list[LeftOut] = []
    for c in ranked:
        if len(chosen) >= size:
            out.append(LeftOut(c.symbol, f"below the top {size}", c.quote_volume))
            continue
        have = history.get(c.symbol)
        if have is None:
            out.append(LeftOut(c.symbol, "history not checked", c.quote_volume))
        elif have < warmup:
            out.append(LeftOut(c.symbol, f"not enough history: {have} of {warmup} 5m candles", c.quote_volume))
        else:
            chosen.append(c)
    return chosen, out


def choose(candidates: Iterable[Candidate], history: Mapping[str, int | None], *, quote: str, size: int,
           warmup: int, at: datetime | None, exclude: Iterable[str] = MONEY_BASES, min_volume: Decimal = Decimal(0),
           how: str = KRAKEN, note: str = "", key: str = "") -> UniverseChoice:
    """rank, then pick: the whole choice with its record (the most liquid left-out pairs by name, all counted)."""
    ranked, dropped = rank(candidates, quote=quote, exclude=exclude, min_volume=min_volume)
    chosen, passed = pick(ranked, history, size=size, warmup=warmup)
    every = [*passed, *dropped]
    counts = dict(Counter(reason_kind(o.reason) for o in every))
    top = sorted((o for o in every if not o.reason.startswith("below the top")),
                 key=lambda o: o.quote_volume or Decimal(0), reverse=True)[:SHOWN_LEFT_OUT]
    return UniverseChoice(
        pairs=tuple(c.symbol for c in chosen), how=how, at=at, quote=quote, size=size,
        volumes={c.symbol: c.quote_volume for c in chosen if c.quote_volume is not None},
        history={c.symbol: int(history[c.symbol] or 0) for c in chosen}, left_out=tuple(top), counts=counts,
        note=note, warmup=warmup, key=key)



def choose_offline(candidates: Iterable[Candidate], history: Mapping[str, int | None], *, quote: str, size: int,
                   warmup: int, at: datetime | None, exclude: Iterable[str] = MONEY_BASES, note: str = "",
                   key: str = "") -> UniverseChoice:
    """The offline replay's universe: its markets in the quote currency (it has no 24h volumes to rank by), in
    alphabetical order, with the same filters and the same history rule; labelled REPLAY with its source."""
    banned = {b.upper() for b in exclude}
    usable: list[Candidate] = []
    out: list[LeftOut] = []
    for c in sorted(candidates, key=lambda c: c.symbol):
        if c.quote.upper() != quote.upper():
            continue
        why = ("inactive market" if not c.active else "dark pool" if c.darkpool else
               "money base (stablecoin or fiat)" if c.base.upper() in banned else None)
        if why is None:
            usable.append(c)
        else:
            out.append(LeftOut(c.symbol, why))
    chosen, passed = pick(usable, history, size=size, warmup=warmup)
    every = [*passed, *out]
    return UniverseChoice(pairs=tuple(c.symbol for c in chosen), how=REPLAY, at=at, quote=quote, size=size,
                          history={c.symbol: int(history[c.symbol] or 0) for c in chosen},
                          left_out=tuple(o for o in every if not o.reason.startswith("below the top"))[:SHOWN_LEFT_OUT],
                          counts=dict(Counter(reason_kind(o.reason) for o in every)), note=note, warmup=warmup,
                          key=key)


def settings_key(size: int, quote: str, warmup: int, exclude: Iterable[str], min_volume: Decimal) -> str:
    """The settings a choice depends on, as one string: a change of any of them chooses again."""
    return f"{size}|{quote.upper()}|{warmup}|{min_volume}|{','.join(sorted(b.upper() for b in exclude))}"
