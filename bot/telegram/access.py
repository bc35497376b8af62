"""Who may do what on Telegram: the owner and allowlisted ids trade; members of Zyn's groups read; strangers
are refused politely (once an hour per person or group), and every refusal is logged."""

from __future__ import annotations

import time
from dataclasses import dataclass

from loguru import logger

from agent.types import Caller, Role

_log = logger.bind(component="telegram")

GROUP_TYPES = frozenset({"group", "supergroup"})
REFUSAL_EVERY = 3600.0  # seconds between two polite refusals to the same stranger (no refusal storms)
STRANGER_TEXT = ("Hi! I'm Zyn, a private trading assistant; I only talk to my owner and the people they allow. "
                 "Nothing was done.")
GROUP_TEXT = "This group is not set up for Zyn, so I can't answer here. Nothing was done."
READ_ONLY_TEXT = "Read-only here: only the owner and allowed traders can trade or press these buttons."


@dataclass(frozen=True)
class Verdict:
    """A caller to act for, or a refusal (with the text to send, if it is time to say it again)."""

    caller: Caller | None
    reason: str = ""
    say: str | None = None


class Access:
    """Roles from the settings: owner id -> OWNER, allowlisted ids -> TRADER, in Zyn's groups others -> VIEWER."""

    def __init__(self, owner_id: int | None, allowed: frozenset[int], groups: frozenset[int]) -> None:
        self.owner_id = owner_id
        self.allowed = frozenset(allowed)
        self.groups = frozenset(groups)
        self._last_said: dict[tuple[str, int], float] = {}

    @classmethod
    def from_settings(cls, settings) -> Access:  # noqa: ANN001 - bot.settings.Settings
        """Groups where members may read: the report and alert chats (group ids are negative)."""
        chats = set(settings.telegram_report_chat_ids) | set(settings.telegram_alert_chat_ids)
        return cls(settings.telegram_owner_id, settings.telegram_allowed, frozenset(c for c in chats if c < 0))

    def role_of(self, user_id: int, chat_id: int, chat_type: str) -> Role | None:
        """The user's role in this chat, or None (a stranger, or a group Zyn does not serve)."""
        if self.owner_id is not None and user_id == self.owner_id:
            return Role.OWNER
        if user_id in self.allowed:
            return Role.TRADER
        if chat_type in GROUP_TYPES and chat_id in self.groups:
            return Role.VIEWER
        return None

    def check(self, user, chat, what: str) -> Verdict:  # noqa: ANN001 - telegram.User, telegram.Chat
        """Caller for a message or button press, or a logged refusal."""
        if user is None or chat is None or chat.type == "channel":
            return Verdict(None, "no user or a channel post")
        role = self.role_of(user.id, chat.id, chat.type)
        if role is not None:
            name = user.full_name or user.username or str(user.id)
            return Verdict(Caller(user_id=str(user.id), chat_id=str(chat.id), channel="telegram", role=role,
                                  name=name))
        group = chat.type in GROUP_TYPES
        reason = "group not configured" if group else "stranger"
        self.refused(user.id, chat.id, what, reason)
        key = ("chat", chat.id) if group else ("user", user.id)
        return Verdict(None, reason, self._say_once(key, GROUP_TEXT if group else STRANGER_TEXT))

    def refused(self, user_id: int, chat_id: int, what: str, reason: str) -> None:
        """Log one refusal (ids and the command only; never message text or tokens)."""
        _log.info("refused {} from user {} in chat {}: {}", what, user_id, chat_id, reason)

    def _say_once(self, key: tuple[str, int], text: str) -> str | None:
        now = time.monotonic()
        last = self._last_said.get(key)
        if last is not None and now - last < REFUSAL_EVERY:
            return None
        if len(self._last_said) > 10_000:  # bounded memory even when many strangers write
            self._last_said.clear()
        self._last_said[key] = now
        return text
