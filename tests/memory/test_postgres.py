"""DATABASE_URL=postgresql://... for real: a paper session through the CLI that survives a restart, and every
way the URL can be wrong answered in one line that never shows the password (stdout, stderr, the log)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bot.cli.main import main
from memory import open_database
from memory.engine import CONNECT_TIMEOUT_S, make_engine
from tests.memory.pg_server import PostgresServer, free_port
from trading.domain import Mode, OrderStatus
from trading.errors import ConfigError

SECRET = "hunter2secret"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")  # the bundled replay feed: no network


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def everything_written(tmp_path: Path) -> str:
    """Every file Zyn wrote under the test's folder (the log file above all)."""
    return "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".db")


def holdings(portfolio: dict) -> tuple[dict, dict]:
    balances = {b["asset"]: b["total"] for b in portfolio["balances"]}
    positions = {p["position"]["symbol"]: (p["position"]["amount"], p["position"]["avg_price"])
                 for p in portfolio["positions"]}
    return balances, positions


def test_a_paper_session_on_postgresql_survives_a_restart(capsys, monkeypatch, tmp_path: Path, pg_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", pg_url.replace("postgresql+psycopg://", "postgresql://"))  # as people write it
    code, out, err = run(capsys, "order", "buy", "BTC/USD", "0.01")
    assert code == 0, err
    code, out, err = run(capsys, "order", "buy", "ETH/USD", "0.1", "--price", "1000")  # rests far below the market
    assert code == 0, err
    code, out, err = run(capsys, "portfolio", "--json")
    assert code == 0, err
    balances, positions = holdings(json.loads(out))
    assert positions["BTC/USD"][0] == "0.01" and balances["BTC"] == "0.01"
    assert not (tmp_path / "data" / "paper" / "zyn.db").exists()  # nothing went to the default SQLite file

    # A restart: a new process reads the same state from the server.
    env = {**os.environ, "ZYN_OFFLINE": "1"}
    again = subprocess.run([sys.executable, "-m", "bot.cli.main", "portfolio", "--json"], capture_output=True,
                           text=True, env=env, cwd=tmp_path, timeout=60)
    assert again.returncode == 0, again.stderr
    assert holdings(json.loads(again.stdout)) == (balances, positions)

    db = open_database(Mode.PAPER, tmp_path, url=pg_url)  # and a new open_database in this one
    try:
        snap = db.load_paper()
        assert str(snap.positions["BTC/USD"].amount) == "0.01"
        assert [(o.symbol, o.status) for o in snap.active_orders] == [("ETH/USD", OrderStatus.OPEN)]
        assert len(db.list_fills()) == 1 and db.path is None
        assert make_url(pg_url).password not in db.url
    finally:
        db.close()
    code, _, err = run(capsys, "cancel", snap.active_orders[0].id, "--yes")
    assert code == 0, err
    code, out, _ = run(capsys, "orders", "--json")
    assert "ETH/USD" not in out
    log = (tmp_path / "data" / "logs" / "zyn.log").read_text()
    assert log and make_url(pg_url).password not in log + everything_written(tmp_path)


def test_the_live_mode_refuses_the_paper_database_on_the_server(capsys, monkeypatch, pg_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", pg_url)
    assert run(capsys, "order", "buy", "BTC/USD", "0.01")[0] == 0
    monkeypatch.setenv("ZYN_MODE", "live")
    monkeypatch.setenv("KRAKEN_API_KEY", "key-not-used")
    monkeypatch.setenv("KRAKEN_API_SECRET", "c2VjcmV0LW5vdC11c2Vk")
    code, _, err = run(capsys, "portfolio")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "belongs to PAPER mode; refusing to open it in LIVE mode" in err
    assert make_url(pg_url).password not in err


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections and never answers (a hung server, a black hole)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield s.getsockname()[1]


def _bad_urls(port_closed: int, port_silent: int, server: PostgresServer) -> dict[str, tuple[str, str]]:
    return {
        "refused": (f"postgresql://zyn:{SECRET}@127.0.0.1:{port_closed}/zyn",
                    f"cannot open the database postgresql+psycopg://zyn:***@127.0.0.1:{port_closed}/zyn: "
                    f"server 127.0.0.1:{port_closed}: connection refused"),
        "timeout": (f"postgresql://zyn:{SECRET}@127.0.0.1:{port_silent}/zyn?connect_timeout=2",  # libpq's least
                    f"server 127.0.0.1:{port_silent}: no answer within 2 s (connection timeout)"),
        "wrong password": (server.url("postgres", password=SECRET),
                           f'server 127.0.0.1:{server.port}: password authentication failed for user "zyn"'),
        "no such database": (server.url("nope"), f'server 127.0.0.1:{server.port}: database "nope" does not exist'),
        "bad port": (f"postgresql://zyn:{SECRET}@127.0.0.1:port/zyn",
                     "DATABASE_URL is not a valid database URL: its port is not a number (expected sqlite:///PATH "
                     "or postgresql://USER:PASSWORD@HOST:PORT/DATABASE)"),
        "not a url": (f"zyn:{SECRET} at 127.0.0.1", "DATABASE_URL is not a database URL (expected sqlite:///PATH"),
        "unescaped @": (f"postgresql://zyn:hunter@{SECRET}@127.0.0.1/zyn", "write an '@' in the user name or password "
                                                                         "as %40"),
        "unknown kind": (f"postgress://zyn:{SECRET}@127.0.0.1/zyn",
                         "DATABASE_URL postgress://zyn:***@127.0.0.1/zyn: unknown kind of database 'postgress'"),
        "missing driver module": (f"postgresql+psycopg2://zyn:{SECRET}@127.0.0.1/zyn",
                                  "needs the Python module 'psycopg2', which is not installed"),
    }


CASES = ["refused", "timeout", "wrong password", "no such database", "bad port", "not a url", "unescaped @",
         "unknown kind", "missing driver module"]


@pytest.mark.parametrize("case", CASES)
def test_a_bad_database_url_is_one_line_without_the_password(case: str, capsys, monkeypatch, tmp_path: Path,
                                                             silent_server: int, pg_server: PostgresServer) -> None:
    if case == "missing driver module" and _importable("psycopg2"):
        pytest.fail("psycopg2 is installed here; this case needs a driver module that is not")
    url, expected = _bad_urls(free_port(), silent_server, pg_server)[case]
    monkeypatch.setenv("DATABASE_URL", url)
    started = time.monotonic()
    code, out, err = run(capsys, "portfolio")
    elapsed = time.monotonic() - started
    assert code == 1, (code, out, err)
    assert out == "" and err.count("\n") == 1 and err.startswith("error: "), err
    assert expected in err, err
    assert elapsed < 5, elapsed  # the timeout case waits its 2 s, the others answer at once
    password = make_url(url).password if case == "no such database" else SECRET  # the server's own password
    assert password not in out + err + everything_written(tmp_path)
    assert "Traceback" not in err


def test_without_the_driver_installed_the_url_says_what_to_install(capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` now fails, as where it is not installed
    monkeypatch.setenv("DATABASE_URL", f"postgresql://zyn:{SECRET}@127.0.0.1:5432/zyn")
    code, out, err = run(capsys, "portfolio")
    assert (code, out) == (1, "")
    assert err == ("error: DATABASE_URL postgresql://zyn:***@127.0.0.1:5432/zyn needs the PostgreSQL driver: "
                   "pip install 'zyn[postgres]'\n")
    assert SECRET not in everything_written(tmp_path)


def test_postgres_urls_mean_psycopg_with_a_connect_timeout(pg_server: PostgresServer, pg_url: str) -> None:
    for scheme in ("postgresql://", "postgres://", "postgresql+psycopg://"):
        db = open_database(Mode.PAPER, Path("."), url=pg_url.replace("postgresql+psycopg://", scheme))
        try:
            assert db.engine.dialect.driver == "psycopg" and db.path is None
            assert db.url == f"postgresql+psycopg://zyn:***@127.0.0.1:{pg_server.port}/{make_url(pg_url).database}"
        finally:
            db.close()
    seen: list[dict] = []
    engine = make_engine(pg_url)

    @event.listens_for(engine, "do_connect")
    def _capture(_dialect, _record, _args, params) -> None:
        seen.append(dict(params))
        raise RuntimeError("captured")

    with pytest.raises(RuntimeError, match="captured"):
        engine.connect()
    assert seen[0]["connect_timeout"] == CONNECT_TIMEOUT_S
    engine.dispose()


def test_a_config_error_never_holds_the_password(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        open_database(Mode.PAPER, tmp_path, url=f"postgresql://zyn:{SECRET}@127.0.0.1:{free_port()}/zyn")
    assert "connection refused" in str(err.value) and SECRET not in str(err.value)


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
