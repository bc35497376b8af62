"""A LIVE session on the Kraken stand-in (real ccxt, signed calls, a real SQLite file): a bracket's stop is refused,
then the replacement is cancelled by hand on the exchange. At each step it prints the alerts pushed (exactly as
bot/notify renders them for the chats) and the owner's chat messages with the desk's answers (bot/commands/desk.py,
as Telegram or the CLI chat would show them): what the owner saw. No assertions: the tests hold those.

Run: .venv/bin/python bench/live_protection_session.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.agent import Agent  # noqa: E402
from bot.access import Access  # noqa: E402
from bot.commands.desk import Desk  # noqa: E402
from bot.notify.messages import alert_for  # noqa: E402
from tests.standins.kraken import KrakenStandin  # noqa: E402
from tests.trading.exchange.conftest import KRAKEN_KEY, KRAKEN_NOW, KRAKEN_SECRET  # noqa: E402
from tests.trading.exchange.kraken.live_env import Live, market_bracket  # noqa: E402
from tools.context import ToolContext  # noqa: E402
from tools.gate import Caller, Gate, Role  # noqa: E402
from tools.gate.confirm import Confirmations  # noqa: E402
from trading.config import TradingConfig  # noqa: E402
from trading.domain import Mode  # noqa: E402


async def main() -> None:
    async with KrakenStandin(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET, now=KRAKEN_NOW,
                             balances={"ZUSD": "10000", "XXBT": "0"}) as k:
        live = Live(k, Path(tempfile.mkdtemp()))
        ctx = ToolContext(mode=Mode.LIVE, exchange=live.ex, journal=live.db, clock=live.clock, quote_currency="USD",
                          credentials_present=True, log_level="INFO", database="live.sqlite", store=live.db,
                          trading_config=TradingConfig(universe=("BTC/USD",)))
        owner = Caller(user_id="100", chat_id="100", channel="telegram", role=Role.OWNER, name="owner", private=True)
        gate = Gate(ctx, Confirmations(live.db, live.clock))
        desk = Desk(gate, Agent(ctx, live.db, gate=gate), Access("telegram", 100), live.clock)
        shown = 0

        async def owner_saw(step: str, *messages: str) -> None:
            nonlocal shown
            print(f"\n## {step}")
            for event in live.events[shown:]:
                alert = alert_for(event)
                if alert is not None:
                    print(f"  [alert pushed: {alert.kind.value}] {alert.title}\n    "
                          + alert.text.replace("\n", "\n    "))
            shown = len(live.events)
            for text in messages:
                answer = await (desk.command(owner, text[1:].split()[0], text.split()[1:]) if text.startswith("/")
                                else desk.text(owner, text))
                print(f"  owner> {text}\n  zyn>   " + answer.text.replace("\n", "\n         "))
            stops = [f"{t} {o['type']} {o['vol']} @ {o['price']}" for t, o in live.open_orders()]
            print(f"  (Kraken now rests: {stops or 'nothing'})")

        await live.watch()
        k.skip_closes = 1  # Kraken opens no conditional close for this entry
        bracket = await market_bracket(live)
        for _ in range(3):
            k.fail_next("AddOrder", "EOrder:Insufficient funds")
        await live.watch()
        await owner_saw(f"1. bracket {bracket.id}: bought 0.001 BTC; Kraken opened no close; Zyn's stop refused once", "show my open orders")
        await live.watch()
        await owner_saw("2. refused again (2 of 3)")
        await live.pilot.protection_sweep()
        await owner_saw("3. the minute sweep: third refusal -> alert", "/status")
        await live.watch()
        await owner_saw("4. Kraken accepts the stop", "show my open orders")
        await live.ex.cancel_all()  # the owner cancels it by hand on Kraken
        await owner_saw("5. the stop is cancelled by hand on the exchange")
        await live.watch()
        await owner_saw("6. next fill watch (<= 20 s later)", "show my open orders", "trades in the last 24 hours")
        print(f"\nprotection sweep now: {await live.pilot.protection_sweep() or 'every holding has its stop'}")
        await live.close()


if __name__ == "__main__":
    asyncio.run(main())
