"""The running service's Kraken rate-limit counters, written beside its heartbeat for `zyn doctor` to show.

Kraken does not report its counter; Zyn counts every call it makes (trading/exchange/kraken/ratelimit.py), shared
by every Kraken client of the service. The service writes that count here with each heartbeat, so another
process (`zyn doctor`) shows the counter as the service sees it, and how old that view is.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.liveness import folder
from trading.domain import Mode

FRESH = timedelta(minutes=2)  # a status older than this is from a service that is no longer beating


def status_path(data_dir: Path, mode: Mode) -> Path:
    return folder(data_dir, mode) / "ratelimit.json"


def limiter_of(*clients: object) -> Any:
    """The Kraken limiter behind an exchange or a feed (a fallback feed's primary), or None (paper, replay)."""
    for client in clients:
        for candidate in (client, getattr(client, "_primary", None)):
            limiter = getattr(candidate, "limiter", None)
            if limiter is not None:
                return limiter
    return None


def write_status(data_dir: Path, mode: Mode, limiter: Any, now: datetime) -> None:
    """Write the limiter's counters now (atomically); nothing when there is no Kraken limiter."""
    if limiter is None:
        return
    path = status_path(data_dir, mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"at": now.isoformat(), "pid": os.getpid(), **limiter.snapshot()}))
    os.replace(tmp, path)


def read_status(data_dir: Path, mode: Mode, now: datetime) -> dict[str, Any] | None:
    """The service's last written counters if they are fresh, else None."""
    try:
        data = json.loads(status_path(data_dir, mode).read_text())
        at = datetime.fromisoformat(data["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return data if now - at <= FRESH else None


def describe(snapshot: dict[str, Any]) -> tuple[bool, str]:
    """(enough headroom, one line) for a limiter snapshot, e.g. "API counter 3.2 of 15 (starter, -0.33/s)"."""
    parts = [f"public {snapshot.get('public', 0):.1f} of {snapshot.get('public_max', 0):g}"]
    ok = True
    if "api" in snapshot:
        headroom = float(snapshot["api_max"]) - float(snapshot["api"])
        ok = headroom >= 2
        parts.insert(0, f"API counter {snapshot['api']:.1f} of {snapshot['api_max']:g} ({snapshot['tier']} tier, "
                        f"decays {snapshot['decay']:g}/s; headroom {headroom:.1f})")
        orders = snapshot.get("orders") or {}
        if orders:
            parts.append("order counters " + ", ".join(f"{pair} {level:.1f} of {snapshot['order_threshold']:g}"
                                                        for pair, level in sorted(orders.items())))
    if snapshot.get("waited_s"):
        parts.append(f"callers waited {snapshot['waited_s']:.1f} s in all")
    return ok, "; ".join(parts)
