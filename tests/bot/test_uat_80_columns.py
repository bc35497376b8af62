"""What a user reads, in a real process at 80 columns (the user-acceptance pass): prices, order ids, statuses and
the backtest chart's path are never cut to "…"; chat answers say why in the user's own terms."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def zyn(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ZYN_OFFLINE": "1", "ZYN_DATA_DIR": str(tmp_path / "data"),
           "COLUMNS": "80", **extra}
    env.pop("ZYN_LLM", None)
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=90)


def _table_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(("│", " O"))]


def test_ticker_and_orders_keep_prices_ids_and_statuses_whole_at_80_columns(tmp_path: Path) -> None:
    ticker = zyn(tmp_path, "ticker", "BTC/USD", "ETH/USD")
    assert ticker.returncode == 0, ticker.stderr
    rows = [line for line in ticker.stdout.splitlines() if line.startswith("│ BTC/USD") or line.startswith("│ ETH/USD")]
    assert len(rows) == 2 and all("…" not in row for row in rows)
    assert all(len(re.findall(r"\d[\d,]*\.\d\d\b", row)) == 5 for row in rows)  # bid, ask, last, 24h low and high
    assert "replay*" in ticker.stdout and "* offline replay, NOT real prices" in ticker.stdout

    placed = zyn(tmp_path, "order", "buy", "BTC/USD", "0.001", "--stop", "80000", "--take-profit", "95000")
    assert placed.returncode == 0, placed.stderr
    listed = zyn(tmp_path, "orders")
    assert listed.returncode == 0, listed.stderr
    for out in (placed.stdout, listed.stdout):
        lines = _table_lines(out)
        assert lines and all("…" not in line for line in lines)
        assert all(len(line) <= 80 for line in out.splitlines() if line.strip() and "Client id" not in line)
    assert len(re.findall(r"\bO[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{6}\b", listed.stdout)) == 2  # whole ids: `zyn cancel`
    assert re.search(r"\bclosed\b", placed.stdout) and re.search(r"\bopen\b", listed.stdout)


def test_backtest_prints_the_whole_chart_path(tmp_path: Path) -> None:
    proc = zyn(tmp_path, "backtest", "BTC/USD", "--from", "2018-01-13", "--to", "2018-01-30")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Chart"))
    end = next(i for i, line in enumerate(lines) if line.strip().startswith("Run time"))
    path = "".join(line.strip() for line in lines[start:end]).removeprefix("Chart").strip()
    assert "…" not in path
    assert Path(path).is_file() and path.endswith("BTC_USD_2018-01-13_2018-01-30.png")


def test_chat_refusals_say_why_in_the_users_terms(tmp_path: Path) -> None:
    proc = zyn(tmp_path, "chat", "-m", "set risk to 500%", "-m", "buy $200 of eth with a 2% stop and 5% target",
               "-m", "sell half my eth", "-m", "which pairs do you trade?", "-m", "why didn't you buy BTC?")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Input should be" not in out and "0.05" not in out
    assert "risk per trade must be above 0% and at most 5% of equity (you asked 500%); nothing changed" in out
    # The market buy's price is a replay price, and says so where it is given.
    assert re.search(r"ETH/USD market @ [\d,.]+: closed, fee [\d.]+ USD \[offline replay", out)
    # The ETH is held by the bracket's stop and target: the refusal says so, not "you hold no ETH".
    assert "You hold no ETH" not in out and "is all held by open orders" in out
    assert "universe in the config file" not in out and "the configured pairs: the universe setting" in out
    assert "the autopilot evaluates only while the service runs" in out
    assert "Traceback" not in out + proc.stderr


def test_walkforward_gives_each_window_one_line_at_80_columns(tmp_path: Path) -> None:
    # Six days of a made-up 5-minute random walk: two one-day test windows after a four-day train part.
    import random

    rng, price, rows = random.Random(7), 0.1, []
    for i in range(6 * 288):
        nxt = price * (1 + rng.uniform(-0.004, 0.004))
        rows.append(f"{1515560100 + i * 300},{price:.8f},{max(price, nxt) * 1.001:.8f},"
                    f"{min(price, nxt) * 0.999:.8f},{nxt:.8f},{rng.uniform(1, 50):.4f},3")
        price = nxt
    candles = tmp_path / "ETHXBT_5.csv"
    candles.write_text("\n".join(rows) + "\n")
    proc = zyn(tmp_path, "walkforward", "ETH/BTC", "--candles", str(candles), "--train", "4d", "--test", "1d")
    assert proc.returncode == 0, proc.stderr
    windows = [line for line in proc.stdout.splitlines() if re.match(r"\s*01-1\d \d\d:\d\d → 01-1\d \d\d:\d\d ", line)]
    assert len(windows) == 2, proc.stdout
    assert all(line.rstrip().endswith(")") and "…" not in line for line in windows)  # buy_hold's "(1)" is whole
    assert "Test window (2018, UTC)" in proc.stdout


def test_offline_doctor_sends_nothing_and_fails_nothing_and_auto_config_names_the_4h_trend(tmp_path: Path) -> None:
    cfg = tmp_path / "zyn.toml"
    cfg.write_text('[trading.indicators.higher]\ntrend_timeframe = "4h"\n')
    env = {"ZYN_CONFIG_FILE": str(cfg), "KRAKEN_API_URL": "http://127.0.0.1:9"}  # nothing listens there
    doctor = zyn(tmp_path, "doctor", **env)
    config = zyn(tmp_path, "auto-config", **env)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "FAILED" not in doctor.stdout and "0 failed" in doctor.stdout
    assert "kraken reach: not checked: offline by choice (ZYN_OFFLINE=1)" in doctor.stdout
    assert "the replay serves its whole history" in doctor.stdout
    assert config.returncode == 0, config.stderr
    text = " ".join(config.stdout.split())
    assert "while the 4h close is above its slow SMA" in text and "while the 1h close" not in text


def test_one_outcome_is_one_and_its_bound_says_why_it_is_missing() -> None:
    from trading.learning.selector import Arm

    one = Arm(key=("htf_breakout", "range"), n=1, mean=-0.0125, lcb=float("-inf"), on=False)
    assert one.evidence() == "1 outcome, mean -1.25%, lower bound n/a (needs 2 outcomes)"
    many = Arm(key=("htf_breakout", "range"), n=12, mean=0.0021, lcb=-0.0005, on=False)
    assert many.evidence() == "12 outcomes, mean +0.21%, lower bound -0.05%"


def test_a_risk_change_is_confirmed_in_percent_as_the_user_said_it(tmp_path: Path) -> None:
    proc = zyn(tmp_path, "chat", "-m", "set risk to 0.5%", "-m", "set max portfolio risk to 10%")
    assert proc.returncode == 0, proc.stderr
    assert "Risk updated: risk_per_trade 0.5% (0.005);" in proc.stdout
    assert "Risk updated: max_portfolio_risk 10% (0.1);" in proc.stdout


def test_status_names_the_bundled_replay_once(tmp_path: Path) -> None:
    proc = zyn(tmp_path, "status")
    assert proc.returncode == 0, proc.stderr
    flat = " ".join(line.strip("│ ") for line in proc.stdout.splitlines())
    assert "offline replay, NOT real prices of these pairs: BTC/USD = ETH/BTC ×976140" in " ".join(flat.split())
    assert "not real prices) (offline replay" not in " ".join(flat.split())
