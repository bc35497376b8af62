"""`zyn doctor` shows Kraken's rate-limit counter: the running service's (its status file), else its own calls'."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.ratestatus import write_status
from tests.standins.kraken import KrakenStandin
from tests.standins.threaded import Threaded
from trading.domain import Mode
from trading.exchange.kraken.ratelimit import limiter_for

KEY = "doctor-rl-key-1234"
SECRET = base64.b64encode(b"doctor rate limit secret, stand-in only").decode()


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch):
    with Threaded(lambda: KrakenStandin(api_key=KEY, api_secret=SECRET)) as standin:
        monkeypatch.setenv("KRAKEN_API_URL", standin.url)
        monkeypatch.setenv("ZYN_MODE", "live")
        monkeypatch.setenv("KRAKEN_API_KEY", KEY)
        monkeypatch.setenv("KRAKEN_API_SECRET", SECRET)
        yield standin


def _rate_line(capsys) -> str:
    main(["doctor"])
    out = capsys.readouterr().out
    return next(line for line in out.splitlines() if "rate limit" in line)


def test_doctor_counts_its_own_calls_on_the_tier_it_is_told(live, capsys, monkeypatch) -> None:
    line = _rate_line(capsys)
    assert line.startswith("ok") and "no running service; this check's own calls" in line
    # one BalanceEx so far (1, decaying 0.33 a second since)
    assert re.search(r"API counter (1\.0|0\.\d) of 15 \(starter tier, decays 0\.33/s", line), line
    monkeypatch.setenv("ZYN_KRAKEN_TIER", "pro")
    assert "of 20 (pro tier, decays 1/s" in _rate_line(capsys)


def test_doctor_shows_the_running_services_counter_and_warns_near_the_limit(live, capsys, monkeypatch,
                                                                             tmp_path: Path) -> None:
    limiter = limiter_for(live.url + "/svc", "service-key", "starter")
    limiter.account.api.add(14)  # the service has used 14 of its 15
    limiter.account.pair("XXBTZUSD").add(9)
    write_status(tmp_path / "data", Mode.LIVE, limiter, datetime.now(UTC))
    line = _rate_line(capsys)
    assert line.startswith("FAILED") and "the running service (pid" in line
    assert re.search(r"order counters XXBTZUSD [89]\.\d of 60", line) and "headroom 1." in line, line
    out = capsys.readouterr().out
    assert "Traceback" not in out
