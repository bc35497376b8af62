"""Bad input through the CLI: one clear line on stderr, exit code 1, and nothing written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bot.cli.main import main


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def state(capsys: pytest.CaptureFixture[str]) -> dict:
    """Everything a command could have changed, as the CLI reports it."""
    snap = {}
    for name, argv in (("portfolio", ["portfolio", "--json"]), ("open", ["orders", "--json"]),
                       ("closed", ["orders", "--closed", "--json"]), ("trades", ["trades", "--json"])):
        code, out, err = run(capsys, *argv)
        assert code == 0, err
        data = json.loads(out)
        data.pop("time", None)
        for line in data.get("positions", []):  # marks move with the replay clock; holdings must not
            line.pop("mark", None), line.pop("value", None), line.pop("unrealized_pnl", None)
        data.pop("equity", None), data.pop("unrealized_pnl", None)
        snap[name] = data
    return snap


BAD_ORDERS = [
    (["order", "buy", "FOO/USD", "1"], "unknown pair"),
    (["order", "buy", "nonsense!!", "1"], "pair"),
    (["order", "buy", "BTC/USD", "0"], "amount must be greater than 0"),
    (["order", "buy", "BTC/USD", "-0.5"], "amount must be greater than 0"),
    (["order", "buy", "BTC/USD", "NaN"], "amount must be a number"),
    (["order", "buy", "BTC/USD", "inf"], "amount must be a number"),
    (["order", "buy", "BTC/USD", "abc"], "amount must be a number"),
    (["order", "buy", "BTC/USD", "1e-9"], ""),  # below the minimum or the amount step
    (["order", "buy", "BTC/USD", "0.00001"], "minimum"),
    (["order", "buy", "BTC/USD", "0.001", "--price", "1000.123"], "price"),
    (["order", "buy", "BTC/USD", "0.001", "--price", "-5"], "price must be greater than 0"),
    (["order", "buy", "BTC/USD", "1000"], "insufficient"),
    (["order", "sell", "BTC/USD", "0.02"], "insufficient"),
    (["order", "buy", "BTC/USD", "0.001", "--stop", "1"], "both a stop and a take-profit"),
    (["order", "hold", "BTC/USD", "1"], "buy"),
    (["cancel", "ONOPE-XXXXX-YYYYYY", "--yes"], "not"),
    (["cancel", "--yes"], "order id or --all"),
    (["ticker", "DOGE/XYZ"], "unknown pair"),
    (["withdraw", "BTC", "1", "--key", "mine", "--confirm"], "only available in LIVE"),
]


@pytest.mark.usefixtures("offline")
def test_bad_orders_answer_one_line_exit_1_and_change_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "order", "buy", "BTC/USD", "0.01")  # a position to protect
    assert code == 0, err
    before = state(capsys)
    for argv, expected in BAD_ORDERS:
        code, out, err = run(capsys, *argv)
        lines = [x for x in err.splitlines() if x.strip()]
        assert code == 1, (argv, code, out, err)
        assert lines and lines[0].startswith("error: "), (argv, err)
        assert len(lines) <= 2, (argv, err)  # the error, and at most a usage hint
        assert "Traceback" not in err + out
        assert expected.lower() in lines[0].lower(), (argv, lines[0])
    assert state(capsys) == before


@pytest.mark.usefixtures("offline")
def test_bad_setting_is_one_line_naming_the_variable(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYN_MODE", "papr")
    code, out, err = run(capsys, "status")
    assert code == 1
    assert err.strip() == "error: ZYN_MODE: must be one of paper or live (got 'papr')"


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.usefixtures("offline")
def test_opening_the_paper_database_in_live_mode_is_refused(capsys, monkeypatch, tmp_path: Path) -> None:
    code, _, err = run(capsys, "order", "buy", "ETH/USD", "0.1")
    assert code == 0, err
    paper_dir = tmp_path / "data" / "paper"
    before = _digest(paper_dir)
    monkeypatch.setenv("ZYN_MODE", "live")
    monkeypatch.setenv("KRAKEN_API_KEY", "key-not-used")
    monkeypatch.setenv("KRAKEN_API_SECRET", "c2VjcmV0LW5vdC11c2Vk")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{paper_dir / 'zyn.db'}")
    code, out, err = run(capsys, "portfolio")
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "PAPER" in err and "LIVE" in err, err
    assert _digest(paper_dir) == before
