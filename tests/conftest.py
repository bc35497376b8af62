"""Shared test set-up: every test runs with a clean Zyn environment and its own data folder."""

from __future__ import annotations

import os

import pytest

ZYN_VARS = [k for k in os.environ if k.startswith(("ZYN_", "KRAKEN_")) or k == "DATABASE_URL"]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No setting leaks in from the machine; the data folder and .env lookup are per test."""
    for key in ZYN_VARS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ZYN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ZYN_CONFIG_FILE", str(tmp_path / "zyn.toml"))
    monkeypatch.setenv("ZYN_WEB_PORT", "0")  # a service started by a test serves its web on a free port
    monkeypatch.chdir(tmp_path)
