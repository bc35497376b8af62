"""Who may do what, for every chat front end: the owner and allowed ids trade; members of Zyn's groups (or of
roles mapped to viewer) read; strangers are refused politely, at most once an hour each; every refusal is logged.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from loguru import logger

from tools.gate.types import Caller, Role

REFUSAL_EVERY = 3600.0  # seconds between two polite refusals to the same stranger (no refusal storms)
STRANGER_TEXT = ("Hi! I'm Zyn, a private trading assistant; I only talk to my owner and the people they allow. "
                 "Nothing was done.")
GROUP_TEXT = "This group is not set up for Zyn, so I can't answer here. Nothing was done."
READ_ONLY_TEXT = "Read-only here: only the owner and allowed traders can trade or press these buttons."
OWNER_ONLY_TEXT = "Only the owner can do that."


@dataclass(frozen=True)
class Verdict:
    """A caller to act for, or a refusal (with the text to send, if it is time to say it again)."""

    caller: Caller | None
    reason: str = ""
    say: str | None = None


class Access:
    """Roles for one front end: owner id -> OWNER, allowed ids -> TRADER, members of served groups -> VIEWER."""

    def __init__(self, front: str, owner_id: int | None, allowed: Iterable[int] = (), groups: Iterable[int] = (),
                 ) -> None:
        self.front = front
        self.owner_id = owner_id
        self.allowed = frozenset(allowed)
        self.groups = frozenset(groups)
        self._last_said: dict[tuple[str, int], float] = {}

    def role_of(self, user_id: int, chat_id: int, in_group: bool, *, extra: Role | None = None) -> Role | None:
        """The user's role in this chat, or None. `extra` is a role the platform grants (Discord guild roles)."""
        if self.owner_id is not None and user_id == self.owner_id:
            return Role.OWNER
        if user_id in self.allowed or extra is Role.TRADER:
            return Role.TRADER
        if extra is Role.VIEWER or (in_group and chat_id in self.groups):
            return Role.VIEWER
        return None

    def check(self, user_id: int, chat_id: int, *, in_group: bool, name: str, what: str,
              extra: Role | None = None) -> Verdict:
        """The caller for a message or button press, or a logged refusal."""
        role = self.role_of(user_id, chat_id, in_group, extra=extra)
        if role is not None:
            return Verdict(Caller(user_id=str(user_id), chat_id=str(chat_id), channel=self.front, role=role,
                                  name=name or str(user_id), private=not in_group))
        reason = "group not served" if in_group else "stranger"
        self.refused(user_id, chat_id, what, reason)
        key = ("chat", chat_id) if in_group else ("user", user_id)
        return Verdict(None, reason, self._say_once(key, GROUP_TEXT if in_group else STRANGER_TEXT))

    def refused(self, user_id: int | str, chat_id: int | str, what: str, reason: str) -> None:
        """Log one refusal (ids and the command only; never message text or tokens)."""
        logger.bind(component=self.front).info("refused {} from user {} in chat {}: {}", what, user_id, chat_id,
                                               reason)

    def _say_once(self, key: tuple[str, int], text: str) -> str | None:
        now = time.monotonic()
        last = self._last_said.get(key)
        if last is not None and now - last < REFUSAL_EVERY:
            return None
        if len(self._last_said) > 10_000:  # bounded memory even when many strangers write
            self._last_said.clear()
        self._last_said[key] = now
        return text


def refusal_text(role: Role) -> str:
    """What a person hears when their role may not run a command or press a button."""
    return READ_ONLY_TEXT if role is Role.VIEWER else OWNER_ONLY_TEXT
