"""Is Zyn running? One service per data folder and mode (an exclusive lock), and a heartbeat it writes.

`zyn run` takes <data dir>/<mode>/service.lock (flock: released by the kernel when the process dies, even by
kill -9) and writes <data dir>/<mode>/heartbeat.json every HEARTBEAT_EVERY seconds with its pid, start time,
last tick and next tick. Every status reads both: running (lock held, heartbeat fresh), stale (lock held,
heartbeat old: the process hangs), or stopped since when (no lock). A second `zyn run` on the same folder and
mode refuses with one line naming the first: two bots on one Kraken key cause nonce errors and double trades.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tools.context import Liveness
from trading.clock import Clock
from trading.domain import Mode
from trading.errors import ConfigError

HEARTBEAT_EVERY = 15  # seconds between two heartbeats of a running service
STALE_AFTER = timedelta(seconds=90)  # a heartbeat older than this, with the lock still held: the service hangs


def folder(data_dir: Path, mode: Mode) -> Path:
    """Where a mode's lock and heartbeat live (beside its SQLite database)."""
    return Path(data_dir) / Mode(mode).value


@dataclass
class ServiceLock:
    """The running service's hold on its data folder and mode."""

    path: Path
    fd: int | None = None

    @classmethod
    def acquire(cls, data_dir: Path, mode: Mode) -> ServiceLock:
        """Take the lock or refuse with one line naming the service that holds it."""
        where = folder(data_dir, mode)
        where.mkdir(parents=True, exist_ok=True)
        path = where / "service.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            beat = read_heartbeat(where / "heartbeat.json")
            who = f"pid {beat.get('pid', '?')}, since {_shown(beat.get('started_at'))}" if beat else "pid unknown"
            raise ConfigError(f"Zyn is already running in {Mode(mode).value.upper()} on {where} ({who}); "
                              "stop it first (one service per data folder and mode)") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return cls(path, fd)

    def release(self) -> None:
        """Let go (the kernel does it too when the process dies)."""
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


class Heartbeat:
    """Writes the running service's heartbeat file (atomically: a reader never sees half a file)."""

    def __init__(self, data_dir: Path, mode: Mode, clock: Clock) -> None:
        self.path = folder(data_dir, mode) / "heartbeat.json"
        self.clock = clock
        self.started_at = clock.now()

    def beat(self, *, last_tick_at: datetime | None = None, next_tick_at: datetime | None = None,
             stopped: bool = False) -> None:
        """Record that the service is alive now (or stopped cleanly now)."""
        now = self.clock.now()
        data = {"pid": os.getpid(), "started_at": self.started_at.isoformat(), "beat_at": now.isoformat(),
                "last_tick_at": last_tick_at.isoformat() if last_tick_at else None,
                "next_tick_at": next_tick_at.isoformat() if next_tick_at else None,
                "stopped_at": now.isoformat() if stopped else None}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.path)


def read_heartbeat(path: Path) -> dict[str, Any]:
    """The heartbeat file's content, or {} (none yet, or unreadable)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def lock_held(path: Path) -> bool:
    """Whether some service holds the lock file now (this process included)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def liveness(data_dir: Path, mode: Mode, now: datetime) -> Liveness:
    """Running, stale or stopped (since when), from the lock and the heartbeat."""
    where = folder(data_dir, mode)
    beat = read_heartbeat(where / "heartbeat.json")
    beat_at = _when(beat.get("beat_at"))
    if lock_held(where / "service.lock"):
        if beat_at is not None and now - beat_at <= STALE_AFTER:
            return Liveness("running", pid=beat.get("pid"), since=_when(beat.get("started_at")), beat_at=beat_at,
                            next_tick_at=_when(beat.get("next_tick_at")))
        return Liveness("stale", pid=beat.get("pid"), since=_when(beat.get("started_at")), beat_at=beat_at)
    stopped = _when(beat.get("stopped_at")) or beat_at
    return Liveness("stopped", since=stopped)


def _when(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


def _shown(text: Any) -> str:
    at = _when(text)
    return f"{at:%Y-%m-%d %H:%M} UTC" if at else "an unknown time"
