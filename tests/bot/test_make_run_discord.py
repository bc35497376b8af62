"""`make run` (`zyn run`) as a separate process with ZYN_DISCORD_TOKEN, against the Discord stand-in served
from a thread: it connects, syncs the commands, answers a slash command, stops cleanly on SIGINT, and its
output never holds the token."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.standins.discord import DiscordStandin
from tests.standins.threaded import Threaded

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GZyn04.make-run-discord-token-not-a-real-one0"
OWNER = 1001
ROOT = Path(__file__).resolve().parents[2]


def _until(predicate, timeout: float = 30.0):  # noqa: ANN001, ANN202
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError("zyn run did not get there in time")


def test_zyn_run_with_a_discord_token_answers_and_stops_cleanly(tmp_path: Path) -> None:
    threaded = Threaded(lambda: DiscordStandin(TOKEN))
    with threaded as dc:
        env = {**os.environ, "ZYN_OFFLINE": "1", "ZYN_DATA_DIR": str(tmp_path / "data"),
               "ZYN_DISCORD_TOKEN": TOKEN, "ZYN_DISCORD_API_URL": dc.url, "ZYN_DISCORD_GATEWAY_URL": dc.gateway_url,
               "ZYN_DISCORD_OWNER_ID": str(OWNER), "ZYN_DISCORD_GUILD_IDS": str(dc.guild_id),
               "ZYN_LOG_LEVEL": "DEBUG", "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "run"], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            _until(lambda: proc.poll() is not None or (threaded.call(lambda: dc.connected) and dc.commands))
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            it = threaded.call(lambda: dc.slash(OWNER, "status", channel=None))
            _until(lambda: threaded.call(lambda: it.answers))
            assert "Mode PAPER" in it.answers[0].text()
        finally:
            proc.send_signal(signal.SIGINT)
            out, _ = proc.communicate(timeout=30)
    logs = "".join(p.read_text() for p in (tmp_path / "data").rglob("*.log"))
    assert proc.returncode == 0, out
    assert "Discord ON" in out and "stopped cleanly" in out
    assert TOKEN not in out and TOKEN not in logs and "Discord bot Zyn connected" in logs
    assert it.token not in out + logs  # an interaction's token is a secret for 15 minutes
