"""Build the bundled offline-replay candles from real 5-minute candles (run once; output is committed).

    python scripts/build_replay.py /path/to/candles [--out DIR]

Each source pair quoted in BTC becomes one USD market of the replay:

    ETH_BTC -> BTC/USD,  LTC_BTC -> ETH/USD,  ADA_BTC -> SOL/USD

So the replay is NOT BTC/USD, ETH/USD or SOL/USD history: it is the real price action of three
altcoin/BTC pairs (January 2018, 5-minute candles; the exchange they came from is not recorded),
with prices multiplied by one constant per market (so only the level moves to a realistic one) and
volumes by another (the real volume pattern, in plausible base units). No time-reversed or other
synthetic candles are added. replay.json records, per market, the source pair, its real first
candle, the candle count and both factors: every screen that shows the replay says what it is, and
backtests on it run on the real dates only (trading/exchange/feeds/provenance.py).

Repairs, counted and printed: rows with unparsable, non-finite or non-positive prices, negative
volume, duplicate or misaligned timestamps are dropped; every missing 5-minute slot (from gaps or
dropped rows) is filled with a flat candle at the previous close and zero volume (nothing traded);
high/low are widened to contain open and close. Zero-volume rows are kept (a quiet 5 minutes is real).

The output is deterministic: same input, byte-identical files (gzip mtime and name are fixed).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import statistics
import sys
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path

STEP_S = 300  # the 5-minute candle
VOLUME_STEP = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class Target:
    """How one source pair becomes one replay market."""

    source: str  # file stem in the candles folder, e.g. "ETH_BTC-5m"
    symbol: str  # replay market, e.g. "BTC/USD"
    price_level: Decimal  # the median close is scaled to about this
    price_step: Decimal
    volume_level: Decimal  # the mean 5-minute volume is scaled to about this (base units)

    @property
    def filename(self) -> str:
        return self.symbol.replace("/", "_") + "-5m.csv.gz"


# Levels: late-2024/2025 prices; volumes: the order of Kraken's typical 5-minute volume per pair.
TARGETS = (
    Target("ETH_BTC-5m", "BTC/USD", Decimal("90000"), Decimal("0.1"), Decimal("10")),
    Target("LTC_BTC-5m", "ETH/USD", Decimal("3000"), Decimal("0.01"), Decimal("120")),
    Target("ADA_BTC-5m", "SOL/USD", Decimal("150"), Decimal("0.01"), Decimal("900")),
)

Row = tuple[Decimal, Decimal, Decimal, Decimal, Decimal]  # open, high, low, close, volume


@dataclass(slots=True)
class Report:
    """What reading and repairing one source found."""

    rows_read: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    filled: int = 0
    widened: int = 0
    zero_volume: int = 0

    def drop(self, why: str) -> None:
        self.dropped[why] = self.dropped.get(why, 0) + 1


def _parse_row(raw: list[str], report: Report) -> tuple[int, Row] | None:
    """One source row as (timestamp_s, row), or None (counted) if it is unusable."""
    try:
        ts_ms = int(Decimal(raw[0]))
        o, h, low, c, v = (Decimal(x) for x in raw[1:6])
    except (InvalidOperation, ValueError, IndexError):
        report.drop("unparsable")
        return None
    if not all(x.is_finite() for x in (o, h, low, c, v)):
        report.drop("not finite")
        return None
    if min(o, h, low, c) <= 0 or v < 0:
        report.drop("non-positive price or negative volume")
        return None
    if ts_ms % (STEP_S * 1000):
        report.drop("timestamp not on a 5-minute boundary")
        return None
    return ts_ms // 1000, (o, h, low, c, v)


def read_source(path: Path, report: Report) -> dict[int, Row]:
    """Usable rows of a source CSV keyed by open time in seconds (first of duplicates wins)."""
    rows: dict[int, Row] = {}
    with path.open(newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if [h.strip().lower() for h in header[:6]] != ["timestamp", "open", "high", "low", "close", "volume"]:
            raise ValueError(f"{path}: unexpected header {header}")
        for raw in reader:
            if not raw:
                continue
            report.rows_read += 1
            parsed = _parse_row(raw, report)
            if parsed is None:
                continue
            ts, row = parsed
            if ts in rows:
                report.drop("duplicate timestamp")
                continue
            rows[ts] = row
    if not rows:
        raise ValueError(f"{path}: no usable rows")
    return rows


def repair(rows: dict[int, Row], report: Report) -> list[Row]:
    """A gap-free series: missing slots filled flat at the previous close, high/low containing open/close."""
    times = sorted(rows)
    out: list[Row] = []
    prev_close: Decimal | None = None
    for ts in range(times[0], times[-1] + STEP_S, STEP_S):
        row = rows.get(ts)
        if row is None:
            assert prev_close is not None  # the first slot always exists
            report.filled += 1
            out.append((prev_close, prev_close, prev_close, prev_close, Decimal(0)))
            continue
        o, h, low, c, v = row
        hi, lo = max(o, h, low, c), min(o, h, low, c)
        if (hi, lo) != (h, low):
            report.widened += 1
        if v == 0:
            report.zero_volume += 1
        out.append((o, hi, lo, c, v))
        prev_close = c
    return out


def _significant(x: Decimal, digits: int = 6) -> Decimal:
    """x rounded to a number of significant digits (keeps the scale factors short and readable)."""
    return x.quantize(Decimal(1).scaleb(x.adjusted() - digits + 1), rounding=ROUND_HALF_EVEN)


def scale(series: list[Row], target: Target) -> tuple[list[Row], Decimal, Decimal]:
    """Series in USD and base units, rounded to the market's steps; also the two factors used."""
    median_close = statistics.median(r[3] for r in series)
    volumes = [r[4] for r in series if r[4] > 0]  # filled (zero) rows would dilute the mean
    price_factor = _significant(target.price_level / median_close)
    volume_factor = _significant(target.volume_level * len(volumes) / sum(volumes)) if volumes else Decimal(1)
    step = target.price_step
    out = []
    for o, h, low, c, v in series:
        # Rounding is monotonic, so low <= open, close <= high survives it.
        o2, h2, l2, c2 = ((x * price_factor).quantize(step, ROUND_HALF_EVEN) for x in (o, h, low, c))
        out.append((o2, h2, l2, c2, (v * volume_factor).quantize(VOLUME_STEP, ROUND_HALF_EVEN)))
    return out, price_factor, volume_factor


def to_csv_gz(series: list[Row]) -> bytes:
    """The replay file: gzipped CSV with offset_s and decimal strings, byte-for-byte reproducible."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["offset_s", "open", "high", "low", "close", "volume"])
    for i, row in enumerate(series):
        writer.writerow([i * STEP_S, *(f"{x:f}" for x in row)])
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(text.getvalue().encode("ascii"))
    return buf.getvalue()


def provenance_entry(target: Target, first_s: int, count: int, pf: Decimal, vf: Decimal,
                     report: Report) -> dict[str, object]:
    """What one replay market really is, for replay.json."""
    base, quote = target.source.split("-")[0].split("_")
    return {
        "source_pair": f"{base}/{quote}", "source_file": f"{target.source}.csv", "timeframe": "5m",
        "first_open_s": first_s, "candles": count, "price_factor": f"{pf:f}", "volume_factor": f"{vf:f}",
        "filled_flat": report.filled,
    }


def build(candles_dir: Path, out_dir: Path, targets: tuple[Target, ...] = TARGETS) -> list[str]:
    """Write one replay file per target and replay.json into out_dir; return a report line per file."""
    import json

    lines = []
    out_dir.mkdir(parents=True, exist_ok=True)
    provenance: dict[str, object] = {}
    for target in targets:
        report = Report()
        rows = read_source(candles_dir / f"{target.source}.csv", report)
        series = repair(rows, report)
        scaled, pf, vf = scale(series, target)
        cycle = scaled  # real candles only: no reversed or other synthetic copy
        data = to_csv_gz(cycle)
        (out_dir / target.filename).write_bytes(data)
        provenance[target.symbol] = provenance_entry(target, min(rows), len(cycle), pf, vf, report)
        closes = [r[3] for r in scaled]
        lines.append(
            f"{target.source} -> {target.symbol}: read {report.rows_read}, dropped {report.dropped or 0}, "
            f"filled {report.filled}, widened {report.widened}, zero-volume {report.zero_volume}; "
            f"price x{pf:f}, volume x{vf:f}; close {min(closes)}..{max(closes)}; "
            f"{len(cycle)} candles ({len(cycle) * STEP_S / 86400:g} days), {len(data):,} bytes"
        )
    doc = {"_about": "What the bundled offline replay really is: per market, the real 5-minute candles it "
                      "was made from (source pair, first candle open in Unix seconds, count) and the constant "
                      "factors applied to prices and volumes. Written by scripts/build_replay.py.",
           "exchange": "not recorded (the source files carry no exchange name)",
           "markets": provenance}
    (out_dir / "replay.json").write_text(json.dumps(doc, indent=2) + "\n")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candles", type=Path, help="folder with ETH_BTC-5m.csv, LTC_BTC-5m.csv, ADA_BTC-5m.csv")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "trading" / "data",
                        help="output folder (default: trading/data)")
    args = parser.parse_args(argv)
    for line in build(args.candles, args.out):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
