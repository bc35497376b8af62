"""What a chat front end is to the service: start, stop, the alert channel it offers, the commands it publishes.

The service (bot/service.py) starts every configured front end in its one event loop, retries one whose
platform is unreachable (every minute, until it connects) but not one whose credentials are refused, hands
its alert channel to the notifier, and stops them all on shutdown. Telegram is the first; Discord and the
web join the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from bot.access import Access
from bot.commands.desk import Desk
from tools.gate import Gate
from trading.clock import Clock
from trading.events import EventBus


@dataclass
class FrontEndContext:
    """What a front end gets from the service: the shared gate and agent, the clock, the settings."""

    gate: Gate
    agent: Any  # agent.agent.Agent: free text
    clock: Clock
    settings: Any  # bot.settings.Settings (the front end's own options)
    owner_name: str = ""
    # For front ends that show live state (the web): the autopilot's event bus to subscribe to, the mode's
    # database (read by screens; the web also keeps its login links and sessions there) and the data source.
    bus: EventBus | None = None
    store: Any = None  # memory.Database
    data_source: Callable[[], str] | None = None
    web_login: Callable[[], str] | None = None  # a single-use login link into the web dashboard (None: no web)

    def desk(self, access: Access) -> Desk:
        """The chat flows for a front end with these access rules."""
        return Desk(self.gate, self.agent, access, self.clock, owner_name=self.owner_name, web_login=self.web_login)


@runtime_checkable
class FrontEnd(Protocol):
    """One chat platform, running as tasks of the service's loop."""

    name: str

    async def start(self, ctx: FrontEndContext) -> None:
        """Connect and start serving; raise if it cannot (the service decides whether to retry)."""

    async def stop(self) -> None:
        """Stop serving and close connections (safe to call when not started)."""

    def alert_channel(self) -> Any:
        """The bot.notify channel for alerts and reports through this platform, or None (started first)."""

    def commands(self) -> list[str]:
        """The command names it published to its platform."""

    def retryable(self, exc: BaseException) -> bool:
        """Whether a failed start is worth retrying (network trouble), not final (credentials refused)."""


@runtime_checkable
class Teller(Protocol):
    """A front end that can send a message of Zyn's own to one of its chats (Telegram, Discord, the web): a late
    answer, such as how a LIVE order of unknown outcome ended (bot/replies.py). Optional for a FrontEnd."""

    async def tell(self, chat_id: str, text: str) -> None:
        """Send text to this chat (its id as the access rules' Caller.chat_id); raise if it was not sent."""

