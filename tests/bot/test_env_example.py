"""Every setting Zyn reads is documented in .env.example, and the example itself loads cleanly."""

from __future__ import annotations

from pathlib import Path

from bot.settings import ENV_NAMES

ROOT = Path(__file__).resolve().parents[2]


def test_every_variable_is_in_env_example() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    names = {line.split("=", 1)[0] for line in text.splitlines() if "=" in line and not line.startswith("#")}
    assert set(ENV_NAMES.values()) - names == set()


def test_env_example_as_dotenv_gives_valid_settings(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ZYN_WEB_PORT", raising=False)  # the tests' free-port default would win over .env
    from bot.settings import load_settings

    s = load_settings()
    assert s.mode.value == "paper" and s.telegram_token is None and s.web_port == 5000
