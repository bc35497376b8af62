"""`zyn run` serves the web in its one process: the banner prints the URL, `/` answers the dashboard and
`/api/status` the mode; Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]


def test_zyn_run_serves_the_dashboard_and_the_status_api(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ZYN_OFFLINE": "1", "ZYN_DATA_DIR": str(tmp_path / "data"),
           "ZYN_WEB_PORT": "0", "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "run"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, url = time.monotonic() + 30, None
        while time.monotonic() < deadline and url is None:
            line = proc.stdout.readline()
            found = re.search(r"Web ON (http://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        assert url, proc.stderr.read() if proc.poll() is not None else "no web URL in the banner"
        page = httpx.get(url + "/", timeout=10)
        assert page.status_code == 200 and "Zyn · PAPER" in page.text
        status = httpx.get(url + "/api/status", timeout=10).json()
        assert status["result"]["mode"] == "paper" and status["result"]["data_source"].startswith("offline replay")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped cleanly" in out and "Traceback" not in err


async def test_a_port_in_use_fails_the_start_at_once_and_is_worth_a_retry() -> None:
    import socket

    from tests.bot.web.harness import running

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        async with running() as h:
            from bot.web.app import WebFrontEnd

            second = WebFrontEnd()
            settings = h.settings.model_copy(update={"web_port": port})
            ctx = h.front.web.ctx
            try:
                await second.start(type(ctx)(**{**ctx.__dict__, "settings": settings}))
            except OSError as exc:
                assert second.retryable(exc) and second.server is None
            else:
                raise AssertionError("a second server bound a port in use")
    finally:
        taken.close()
