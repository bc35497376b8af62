"""Run `zyn walkforward PAIR --candles FILE --train 4d --test 1d --json` on every candle set at both fee levels.

Usage: .venv/bin/python scripts/walkforward_table.py [DIR] [--out FILE.json]
Prints one markdown table (set x fee x policy: return, trades, PF, fees, max DD, adaptive-beats-static share)
and, with --out, saves the raw JSON of every run. Each run goes through the real CLI (a subprocess).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FEES = {"0.40% taker (entry tier)": "0.0040", "0.26% taker": "0.0026",
        "0.25% maker entry / 0.40% taker exit": "0.0040+maker"}
POLICIES = ("static", "adaptive", "cash", "buy_hold")


def run(pair: str, path: Path, fee: str) -> dict:
    zyn = Path(sys.executable).with_name("zyn")
    taker, _, maker = fee.partition("+")
    extra = ["--entry", "maker", "--maker-fee", "0.0025"] if maker else []
    out = subprocess.run([str(zyn), "walkforward", pair, "--candles", str(path), "--train", "4d", "--test", "1d",
                          "--taker-fee", taker, *extra, "--json", "--chart", f"/tmp/wf_{path.stem}_{fee}.png"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def beats(wf: dict) -> str:
    """Windows where adaptive made more than static, and the mean difference (percentage points)."""
    ws = wf["windows"]
    diffs = [w["adaptive"]["return_pct"] - w["static"]["return_pct"] for w in ws]
    wins = sum(d > 0 for d in diffs)
    return f"{wins}/{len(ws)} ({sum(diffs) / len(ws):+.2f}pp)"


def main() -> None:
    args = sys.argv[1:]
    out_file = None
    if "--out" in args:
        k = args.index("--out")
        out_file = args[k + 1]
        del args[k:k + 2]
    if "--fees" in args:  # e.g. --fees maker: only the fee levels whose label contains the word
        k = args.index("--fees")
        word = args[k + 1]
        del args[k:k + 2]
        for label in [x for x in FEES if word not in x]:
            del FEES[label]
    folder = Path(args[0] if args else "/work/shared/data/candles")
    raw = {}
    print("| set | fee | policy | return % | trades | PF | fees | max DD % | adaptive > static |")
    print("|---|---|---|---:|---:|---:|---:|---:|---|")
    for path in sorted(folder.glob("*.csv")):
        pair = path.stem.split("-")[0].replace("_", "/")
        for label, fee in FEES.items():
            wf = run(pair, path, fee)
            raw[f"{path.stem} {fee}"] = wf
            for p in POLICIES:
                f = wf["policies"][p]
                pf = f["profit_factor"]
                print(f"| {path.stem.split('-')[0]} | {label} | {p} | {f['return_pct']:+.2f} | {f['trades']} | "
                      f"{'n/a' if pf is None else pf} | {float(f['fees']):.2f} | {f['max_drawdown_pct']:.2f} | "
                      f"{beats(wf) if p == 'adaptive' else ''} |", flush=True)
    if out_file:
        Path(out_file).write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
