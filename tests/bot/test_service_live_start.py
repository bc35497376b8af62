"""The LIVE service's start-up against the Kraken stand-in: it settles orders of unknown outcome by client id,
schedules that every minute, and reports the open orders, the fills made while Zyn was down and every holding
without a resting stop."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from rich.console import Console

from bot.ratestatus import status_path
from bot.service import UNRESOLVED_JOB, Service
from bot.settings import load_settings
from memory import open_database
from tests.standins.kraken import KrakenStandin
from tests.trading.exchange.conftest import KRAKEN_KEY, KRAKEN_SECRET
from trading.domain import Mode
from trading.events import OrderResolved, StartupReport
from trading.exchange.kraken.unresolved import OrderIntentRecord


@pytest.fixture
async def kraken(monkeypatch: pytest.MonkeyPatch):
    async with KrakenStandin(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET) as k:
        for name, value in {"ZYN_MODE": "live", "ZYN_LIVE_ACK": "1", "KRAKEN_API_URL": k.url, "ZYN_WEB": "0",
                            "KRAKEN_API_KEY": KRAKEN_KEY, "KRAKEN_API_SECRET": KRAKEN_SECRET}.items():
            monkeypatch.setenv(name, value)
        yield k


async def test_live_start_reports_the_account_and_settles_unknown_orders(kraken: KrakenStandin, tmp_path) -> None:
    settings = load_settings()
    # Before this start: an order of unknown outcome that Kraken did book, a resting limit buy, a fill made while
    # Zyn was down (the previous run's heartbeat says when it stopped) and 0.5 BTC that no stop covers.
    kraken.orders["OAAAAA-BBBBB-CCCCCC"] = kraken._new_order("XXBTZUSD", "buy", "market", D("0.001"), None,
                                                             "intent-1", {})
    kraken._fill("OAAAAA-BBBBB-CCCCCC", D("70000"))
    kraken.orders["ODDDDD-EEEEE-FFFFFF"] = kraken._new_order("XETHZUSD", "buy", "limit", D("0.1"), D("1000"),
                                                             None, {})
    db = open_database(Mode.LIVE, settings.data_dir)
    asked = datetime.now(UTC) - timedelta(minutes=3)
    db.record_unresolved(OrderIntentRecord(client_id="intent-1", symbol="BTC/USD", side="buy", order_type="market",
                                           amount="0.001", asked_by="telegram:42", asked_at=asked))
    db.close()
    beat = settings.data_dir / "live" / "heartbeat.json"
    beat.parent.mkdir(parents=True, exist_ok=True)
    beat.write_text(json.dumps({"pid": 1, "beat_at": (asked - timedelta(minutes=1)).isoformat(),
                                "stopped_at": (asked - timedelta(minutes=1)).isoformat()}))
    out = io.StringIO()
    service = Service(settings, console=Console(file=out, width=200), front_ends=[])
    seen: list = []
    service.rt.bus.subscribe(seen.append)
    await service.start()
    try:
        assert service.scheduler.get_job(UNRESOLVED_JOB) is not None
        resolved = [e for e in seen if isinstance(e, OrderResolved)]
        assert len(resolved) == 1 and resolved[0].placed and resolved[0].text.startswith("Resolved: your buy 0.001 BTC/USD at market was placed (Kraken order OAAAAA-BBBBB-CCCCCC")
        assert service.rt.services.db.unresolved_orders(None)[0].status == "placed"
        (report,) = [e for e in seen if isinstance(e, StartupReport)]
        assert report is service.startup
        assert "1 open order(s) on Kraken: buy 0.1 ETH/USD limit @ 1000 (ODDDDD-EEEEE-FFFFFF)" in report.text
        assert "1 fill(s) while Zyn was down" in report.text and "buy 0.001 BTC/USD @ 70000" in report.text
        assert report.urgent and "NO RESTING STOP for BTC/USD: 0.501 BTC held, 0 under a resting stop" in report.text
        assert "ETH/USD: 2 ETH held" in report.text
    finally:
        await service.stop()
    status = json.loads(status_path(settings.data_dir, Mode.LIVE).read_text())  # written with the heartbeat
    assert status["tier"] == "starter" and status["api_max"] == 15 and status["api"] > 0
