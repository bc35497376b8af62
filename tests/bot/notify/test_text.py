"""split_message, html_escape and truncate: properties over many generated texts (seeded, so repeatable)."""

from __future__ import annotations

import random

import pytest

from bot.notify.text import SMS_LIMIT, TRUNCATED, html_escape, split_message, truncate, utf16_len

WORDS = ["BTC/USD", "filled", "0.01", "@", "64,250.5", "fee", "P&L", "<b>", "stop-loss", "🚀", "Ünïcode", "x" * 50]


def random_text(rng: random.Random, size: int) -> str:
    """Lines of words, with some blank lines and some very long lines (with and without spaces)."""
    lines: list[str] = []
    total = 0
    while total < size:
        roll = rng.random()
        if roll < 0.05:
            line = ""
        elif roll < 0.08:
            line = "y" * rng.randint(100, 9000)  # no space at all: must be cut hard
        elif roll < 0.11:
            line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(200, 1500)))  # long, with spaces
        else:
            line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 30)))
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)


def check_parts(text: str, parts: list[str], limit: int, length=len) -> None:
    assert all(0 < length(p) <= limit for p in parts)
    assert all(p.strip() for p in parts)
    # The parts are the text in order: removing newlines (the only characters a cut may drop) gives it back.
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
    position = 0
    for part in parts:
        found = text.find(part, position)
        assert found >= position, "every part appears in the text, after the previous one"
        position = found + len(part)


def test_ten_thousand_characters_of_lines() -> None:
    text = "\n".join(f"{i:05d} Filled: buy 0.01 BTC/USD @ 64,250.5 fee 2.57 USD" for i in range(200))
    assert len(text) > 10_000
    parts = split_message(text)
    assert len(parts) == 3 and all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text  # cut only at line ends: joining with the dropped newlines is exact
    assert parts[0].startswith("00000 ") and parts[-1].endswith("USD") and "00199" in parts[-1]
    for part in parts:  # no line was split across two parts
        assert all(len(line) == len(text.splitlines()[0]) for line in part.split("\n"))


@pytest.mark.parametrize("seed", range(40))
def test_properties_over_random_texts(seed: int) -> None:
    rng = random.Random(seed)
    text = random_text(rng, rng.choice([10, 500, 4096, 10_000, 30_000]))
    limit = rng.choice([4096, 1000, 160, 37])
    check_parts(text, split_message(text, limit), limit)


def test_utf16_length_counts_emoji_as_two() -> None:
    text = "🚀" * 5000 + "\n" + "a🚀" * 3000
    parts = split_message(text, 4096, length=utf16_len)
    check_parts(text, parts, 4096, utf16_len)
    assert max(utf16_len(p) for p in parts) == 4096  # full parts, not cautious ones


def test_cuts_prefer_lines_then_spaces_then_anywhere() -> None:
    assert split_message("ab\ncd\nef", limit=5) == ["ab\ncd", "ef"]
    assert split_message("hello big world", limit=11) == ["hello big ", "world"]
    assert split_message("abcdefghij", limit=4) == ["abcd", "efgh", "ij"]
    assert split_message("short") == ["short"]
    assert split_message("") == [] and split_message("\n\n") == []
    with pytest.raises(ValueError):
        split_message("x", limit=0)


def test_numbered_parts_keep_room_for_the_number() -> None:
    text = "\n".join(f"line {i:03d}" for i in range(300))
    parts = split_message(text, 200, numbered=True)
    n = len(parts)
    assert n > 10 and all(len(p) <= 200 for p in parts)
    assert parts[0].startswith(f"(1/{n}) ") and parts[-1].startswith(f"({n}/{n}) ")
    assert split_message("one part", 200, numbered=True) == ["one part"]


def test_html_escape_and_truncate() -> None:
    assert html_escape("P&L <b>-5</b> > \"x\"") == "P&amp;L &lt;b&gt;-5&lt;/b&gt; &gt; \"x\""
    long = "word " * 1000
    cut = truncate(long, SMS_LIMIT)
    assert len(cut) <= SMS_LIMIT and cut.endswith(TRUNCATED) and long.startswith(cut[: -len(TRUNCATED)])
    assert truncate("short", SMS_LIMIT) == "short"
