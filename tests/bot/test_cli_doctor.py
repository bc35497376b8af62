"""`zyn doctor` against the Kraken stand-in (real ccxt, signed calls): each line ok, or FAILED with its fix."""

from __future__ import annotations

import base64
import socket

import pytest

from bot.cli.main import main
from memory import open_database
from tests.standins.kraken import KrakenStandin
from tests.standins.threaded import Threaded
from trading.domain import Mode

KEY = "doctor-key-123456"
SECRET = base64.b64encode(b"doctor secret for the stand-in only").decode()


@pytest.fixture
def kraken(monkeypatch: pytest.MonkeyPatch):
    with Threaded(lambda: KrakenStandin(api_key=KEY, api_secret=SECRET)) as standin:
        monkeypatch.setenv("KRAKEN_API_URL", standin.url)
        yield standin


def _doctor(capsys) -> tuple[int, dict[str, str], str]:
    code = main(["doctor"])
    out, err = capsys.readouterr()
    lines = {}
    for line in out.splitlines():
        if line.startswith(("ok", "FAILED")) and ":" in line:
            status, rest = line.split(" ", 1)
            lines[rest.strip().split(":", 1)[0]] = status + ":" + rest.split(":", 1)[1]
    return code, lines, out + err


def test_paper_all_ok(kraken: KrakenStandin, capsys) -> None:
    code, lines, out = _doctor(capsys)
    assert code == 0, out
    assert set(lines) == {"dependencies", "configuration", "database", "warm-up", "kraken reach", "clock skew",
                          "kraken keys", "rate limit"}
    assert all(v.startswith("ok") for v in lines.values()), out
    assert "stamped PAPER" in lines["database"] and "no private Kraken call" in lines["kraken keys"]
    assert kraken.calls("BalanceEx") == []  # PAPER never signs a call


def test_a_4h_trend_without_stored_history_fails_the_warm_up_with_its_fix(kraken: KrakenStandin, capsys,
                                                                         tmp_path) -> None:
    (tmp_path / "zyn.toml").write_text('[trading]\nuniverse = ["BTC/USD"]\n'
                                       '[trading.indicators.higher]\ntrend_timeframe = "4h"\n')
    code, lines, out = _doctor(capsys)
    assert code == 1 and lines["warm-up"].startswith("FAILED"), out
    assert "BTC/USD: 4h trend needs 8.5 days of 5m candles (2448); have 2.5 days (719)" in lines["warm-up"]
    assert "fix: zyn data fetch BTC/USD --since " in out


def test_live_keys_are_checked_with_a_private_call(kraken: KrakenStandin, capsys, monkeypatch) -> None:
    monkeypatch.setenv("ZYN_MODE", "live")
    monkeypatch.setenv("KRAKEN_API_KEY", KEY)
    monkeypatch.setenv("KRAKEN_API_SECRET", SECRET)
    code, lines, out = _doctor(capsys)
    assert code == 0, out
    assert lines["kraken keys"].startswith("ok") and "stamped LIVE" in lines["database"]
    monkeypatch.setenv("KRAKEN_API_SECRET", base64.b64encode(b"some other secret").decode())
    code, lines, out = _doctor(capsys)
    assert code == 1 and lines["kraken keys"].startswith("FAILED") and "fix: create a key" in out
    assert "some other secret" not in out and "Traceback" not in out


def test_unreachable_kraken_and_a_wrong_mode_database_fail_with_their_fixes(tmp_path, capsys, monkeypatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the with block ends: nobody listens
    monkeypatch.setenv("KRAKEN_API_URL", f"http://127.0.0.1:{port}")
    open_database(Mode.LIVE, tmp_path / "data").close()
    (tmp_path / "data" / "paper").mkdir(parents=True)
    (tmp_path / "data" / "live" / "zyn.db").rename(tmp_path / "data" / "paper" / "zyn.db")  # a LIVE file in PAPER's place
    code, lines, out = _doctor(capsys)
    assert code == 1
    assert lines["database"].startswith("FAILED") and "LIVE" in lines["database"]
    assert lines["kraken reach"].startswith("FAILED") and "fix: check the network" in out
    assert lines["clock skew"].startswith("FAILED") and "not measured" in lines["clock skew"]
    assert "Traceback" not in out and "3 failed" in out


def test_live_names_the_paper_database_its_learner_reads(kraken: KrakenStandin, tmp_path, capsys, monkeypatch) -> None:
    from datetime import UTC, datetime

    from tests.memory.test_learning_store import outcome

    monkeypatch.setenv("ZYN_MODE", "live")
    monkeypatch.setenv("KRAKEN_API_KEY", KEY)
    monkeypatch.setenv("KRAKEN_API_SECRET", SECRET)
    monkeypatch.setenv("PAPER_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    code, lines, out = _doctor(capsys)
    assert code == 0 and "no PAPER database at PAPER_DATABASE_URL yet" in lines["learner evidence"], out
    assert not (tmp_path / "elsewhere.db").exists()  # looked for, never created
    paper = open_database(Mode.PAPER, tmp_path, url=f"sqlite:///{tmp_path / 'elsewhere.db'}")
    for k in range(3):
        paper.record_outcome(outcome(k, 0.004), datetime(2024, 5, 6, tzinfo=UTC))
    paper.close()
    code, lines, out = _doctor(capsys)
    assert lines["learner evidence"].startswith("ok") and "3 outcomes (0 seeded" in lines["learner evidence"]
    live_db = tmp_path / "live-only.db"
    open_database(Mode.LIVE, tmp_path, url=f"sqlite:///{live_db}").close()
    monkeypatch.setenv("PAPER_DATABASE_URL", f"sqlite:///{live_db}")
    code, lines, out = _doctor(capsys)
    assert code == 1 and lines["learner evidence"].startswith("FAILED") and "LIVE" in lines["learner evidence"]
    assert "fix: check PAPER_DATABASE_URL" in out and "Traceback" not in out
