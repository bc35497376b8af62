"""The update processor: one chat's updates in arrival order; a busy chat's backlog takes no worker slots."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, Update

from bot.telegram.updates import ChatOrderedProcessor


def _update(n: int, chat_id: int) -> Update:
    chat = Chat(id=chat_id, type="private")
    return Update(update_id=n, message=Message(message_id=n, date=datetime(2024, 5, 6, tzinfo=UTC), chat=chat))


async def test_chats_run_in_order_and_a_backlog_does_not_block_other_chats() -> None:
    processor = ChatOrderedProcessor(workers=1)
    ran: list[str] = []

    async def work(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        ran.append(name)

    jobs = [("A1", 1, 0.05), ("A2", 1, 0.0), ("A3", 1, 0.0), ("B1", 2, 0.0), ("A4", 1, 0.0), ("C1", 3, 0.0)]
    tasks = []
    for n, (name, chat, seconds) in enumerate(jobs, 1):  # PTB starts one task per update, in order
        tasks.append(asyncio.create_task(processor.process_update(_update(n, chat), work(name, seconds))))
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert [r for r in ran if r[0] == "A"] == ["A1", "A2", "A3", "A4"]  # one chat: arrival order
    assert ran.index("B1") == 1 and ran.index("C1") == 2  # other chats go before A's queued backlog
    assert len(processor.chats) == 0  # no lock left behind
