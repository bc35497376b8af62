"""A LIVE session on the Kraken stand-in (real ccxt, signed calls, a real SQLite file): a bracket's stop is refused,
then the replacement is cancelled by hand on the exchange. Prints each step and every alert exactly as bot/notify
renders it for the chats (title and text), i.e. what the owner sees. No assertions: the tests hold those.

Run: .venv/bin/python bench/live_protection_session.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.notify.messages import alert_for  # noqa: E402
from tests.standins.kraken import KrakenStandin  # noqa: E402
from tests.trading.exchange.conftest import KRAKEN_KEY, KRAKEN_NOW, KRAKEN_SECRET  # noqa: E402
from tests.trading.exchange.kraken.live_env import Live, market_bracket  # noqa: E402


async def main() -> None:
    async with KrakenStandin(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET, now=KRAKEN_NOW,
                             balances={"ZUSD": "10000", "XXBT": "0"}) as k:
        live = Live(k, Path(tempfile.mkdtemp()))
        shown = 0

        def owner_saw(step: str) -> None:
            nonlocal shown
            print(f"\n## {step}")
            for event in live.events[shown:]:
                alert = alert_for(event)
                if alert is not None:
                    print(f"  [{alert.kind.value}] {alert.title}\n    " + alert.text.replace("\n", "\n    "))
            shown = len(live.events)
            stops = [f"{t} {o['type']} {o['vol']} @ {o['price']}" for t, o in live.open_orders()]
            print(f"  Kraken now rests: {stops or 'nothing'}")

        await live.watch()
        k.skip_closes = 1  # Kraken opens no conditional close for this entry
        bracket = await market_bracket(live)
        for _ in range(3):
            k.fail_next("AddOrder", "EOrder:Insufficient funds")
        await live.watch()
        owner_saw(f"1. bracket {bracket.id}: bought 0.001 BTC; Kraken opened no close; Zyn's stop refused once")
        await live.watch()
        owner_saw("2. refused again (2 of 3)")
        await live.pilot.protection_sweep()
        owner_saw("3. the minute sweep: third refusal -> alert")
        await live.watch()
        owner_saw("4. Kraken accepts the stop")
        await live.ex.cancel_all()  # the owner cancels it by hand on Kraken
        owner_saw("5. the stop is cancelled by hand on the exchange")
        await live.watch()
        owner_saw("6. next fill watch (<= 20 s later)")
        print(f"\nprotection sweep now: {await live.pilot.protection_sweep() or 'every holding has its stop'}")
        await live.close()


if __name__ == "__main__":
    asyncio.run(main())
