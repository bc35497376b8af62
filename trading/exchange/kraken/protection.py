"""What LiveBrackets tells the owner about a holding's protection, and how often it tries before it does.

A stop that cannot be (re)placed is retried on every run; after `retries` failed attempts in a row the owner is
alerted (a ProtectionAlert event: the autopilot publishes it, bot/notify sends it on every channel) and, when
`flatten` is set, the unprotected coins are sold at market. Each incident is announced once, and its end too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trading.clock import Clock
from trading.domain import Bracket, Mode
from trading.events import EventKind, ProtectionAlert


@dataclass
class Protection:
    """Failure counts and pending notices of one reconciler (in memory: a restart starts the count again)."""

    clock: Clock
    retries: int = 3
    flatten: bool = False
    _failures: dict[str, int] = field(default_factory=dict)
    _alerted: set[str] = field(default_factory=set)
    _notices: list[ProtectionAlert] = field(default_factory=list)

    def notice(self, b: Bracket, text: str, *, urgent: bool = True) -> None:
        """Queue one alert about this bracket's protection."""
        self._notices.append(ProtectionAlert(EventKind.PROTECTION, self.clock.now(), Mode.LIVE.value,
                                             f"{b.symbol}: {text}", symbol=b.symbol, bracket_id=b.id, urgent=urgent))

    def failed(self, b: Bracket, what: str) -> bool:
        """Count a failed attempt; True once the bound is reached (the owner is alerted then, once)."""
        count = self._failures.get(b.id, 0) + 1
        self._failures[b.id] = count
        if count < self.retries:
            return False
        if b.id not in self._alerted:
            self._alerted.add(b.id)
            tail = " Zyn sells it at market now (flatten_unprotected)." if self.flatten else \
                " Zyn keeps retrying every minute; place a stop yourself or flatten it."
            self.notice(b, f"NOT PROTECTED after {count} attempts: {what}.{tail}")
        return True

    def succeeded(self, b: Bracket, text: str) -> None:
        """The holding is protected again: reset the count, and tell the owner if they were alerted."""
        self._failures.pop(b.id, None)
        if b.id in self._alerted:
            self._alerted.discard(b.id)
            self.notice(b, f"protected again: {text}", urgent=False)

    def is_alerted(self, bracket_id: str) -> bool:
        """Whether the owner has been told this bracket is unprotected (and not told it is fine since)."""
        return bracket_id in self._alerted

    def drain(self) -> list[ProtectionAlert]:
        """The queued alerts, oldest first; the queue is emptied."""
        out, self._notices = self._notices, []
        return out
