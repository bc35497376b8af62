"""A reply to a person: text, the tools' outcomes, a pending confirmation and pictures; built from outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tools.gate.types import PendingAction, ToolOutcome


@dataclass
class Reply:
    text: str
    outcomes: list[ToolOutcome] = field(default_factory=list)
    pending: PendingAction | None = None
    source: str = "offline"  # "llm", "offline" (the intent engine), "command", "confirm" or "error"
    corrected: bool = False  # the grounding check replaced the model's text
    photos: list[Path] = field(default_factory=list)  # PNGs the tools made this turn (charts, reports)

    @property
    def done(self) -> bool:
        """Whether the last tool call succeeded (a pending confirmation counts as done asking)."""
        return bool(self.outcomes) and self.outcomes[-1].ok


def confirm_hint(pending: PendingAction) -> str:
    """How the person approves or drops a pending action."""
    return (f"To go ahead, press Confirm or send /confirm {pending.code} before "
            f"{pending.expires_at:%H:%M:%S} UTC; say no to drop it.")


def reply_from(outcomes: list[ToolOutcome], *, source: str, note: str = "") -> Reply:
    """A reply made only of the tools' own texts (nothing for a model to embellish)."""
    lines = [note] if note else []
    stamps: list[str] = []  # the mode and the data's time, said once at the end
    for outcome in outcomes:
        if outcome.pending is not None:
            if outcome.error:  # asked again after a price move
                lines.append(f"Not done yet: {outcome.error}.")
            lines.append(f"Waiting for your confirmation ({outcome.pending.code}): {outcome.pending.summary}")
            lines.append(confirm_hint(outcome.pending))
        elif outcome.ok:
            text = outcome.text()
            if outcome.stamp and text.endswith(outcome.stamp):
                text = text[: -len(outcome.stamp)].rstrip("\n")
                stamps += [outcome.stamp] if outcome.stamp not in stamps else []
            lines.append(text)
        else:
            lines.append(f"Could not {outcome.call.name.replace('_', ' ')}: {outcome.error}")
    lines += stamps
    return Reply(text="\n".join(line for line in lines if line), outcomes=list(outcomes),
                 pending=last_pending(outcomes), source=source, photos=photos_of(outcomes))


def confirm_reply(outcome: ToolOutcome) -> Reply:
    """The answer to a person's confirmation: what ran, the new question after a price move, or why not."""
    if outcome.ok or outcome.pending is not None:
        return reply_from([outcome], source="confirm")
    return Reply(text=f"Not done: {outcome.error}", outcomes=[outcome], source="confirm")


def cancel_reply(outcome: ToolOutcome) -> Reply:
    """The answer to a person dropping a pending action."""
    text = (outcome.text().replace("Cancelled ", "Dropped ", 1).rstrip(".") + ". Nothing was done."
            if outcome.ok else f"Nothing to drop: {outcome.error}")
    return Reply(text=text, outcomes=[outcome], source="confirm")


def last_pending(outcomes: list[ToolOutcome]) -> PendingAction | None:
    """The newest pending confirmation among the outcomes."""
    pending = [o.pending for o in outcomes if o.pending is not None]
    return pending[-1] if pending else None


def photos_of(outcomes: list[ToolOutcome]) -> list[Path]:
    """The PNG files the successful tool results point at (charts, reports, backtests)."""
    out: list[Path] = []
    for o in outcomes:
        if not o.ok or o.result is None:
            continue
        for attr in ("path", "chart"):
            value = getattr(o.result, attr, None)
            if isinstance(value, Path) and value.suffix.lower() == ".png" and value.is_file() and value not in out:
                out.append(value)
    return out
