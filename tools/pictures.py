"""Where tools write their PNGs: one folder per kind under the data folder, old pictures pruned."""

from __future__ import annotations

import time
from pathlib import Path

from loguru import logger

from tools.context import ToolContext

KEEP_DAYS = 7  # a chart is sent once; a week back is plenty to look again


def picture_folder(ctx: ToolContext, kind: str, *, keep_days: float = KEEP_DAYS) -> Path:
    """<data>/<kind>/ (charts, backtests), with its PNGs older than keep_days removed."""
    folder = (ctx.log_file.parent.parent if ctx.log_file else Path("data")) / kind
    prune(folder, keep_days)
    return folder


def prune(folder: Path, keep_days: float) -> int:
    """Delete *.png older than keep_days (by file time) in folder; returns how many. Never raises."""
    cutoff = time.time() - keep_days * 86400
    removed = 0
    try:
        for png in folder.glob("*.png"):
            try:
                if png.stat().st_mtime < cutoff:
                    png.unlink()
                    removed += 1
            except OSError:
                continue
    except OSError as exc:
        logger.bind(component="tools").warning("cannot prune {}: {}", folder, exc)
    return removed
