"""A real, throwaway PostgreSQL server for the store tests: 127.0.0.1, a free port, a temporary directory.

The server binaries come from the `pgserver` wheel (a dev dependency), or else from Debian's `postgresql`
package. PostgreSQL refuses to run as root, so under root the server runs as the unprivileged `nobody`
(which owns only the data directory). Nothing here skips: without binaries, start() raises with what to install.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

INSTALL_HINT = ("the PostgreSQL store tests need server binaries: `pip install -e '.[dev]'` (brings pgserver), "
                "or `apt-get install postgresql`, or ZYN_TEST_PG_BIN=<dir with initdb and postgres>")
RUN_AS_WHEN_ROOT = "nobody"
START_TIMEOUT = 20.0


class NoPostgres(RuntimeError):
    """No server could be started; the message says why and what to install."""


def find_bin_dir() -> tuple[Path, str]:
    """Where initdb and postgres are, and where they came from."""
    explicit = os.environ.get("ZYN_TEST_PG_BIN")
    if explicit:
        return Path(explicit), "ZYN_TEST_PG_BIN"
    spec = importlib.util.find_spec("pgserver")  # located, not imported: its import sets up lock files
    if spec is not None and spec.submodule_search_locations:
        candidate = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
        if (candidate / "postgres").is_file():
            return candidate, "pgserver"
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                    key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if debian:
        return debian[-1].parent, "debian"
    raise NoPostgres(INSTALL_HINT)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    """One running server; `url(db)` gives a SQLAlchemy URL, `admin` runs SQL as the superuser."""

    root: Path
    bin_dir: Path
    origin: str
    port: int = 0
    user: str = "zyn"
    password: str = field(default_factory=lambda: "pw-" + secrets.token_hex(8))
    version: str = ""
    _proc: subprocess.Popen[bytes] | None = None
    _admin: object | None = None
    _count: int = 0

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def url(self, database: str, *, password: str | None = None) -> str:
        pw = self.password if password is None else password
        return f"postgresql+psycopg://{self.user}:{pw}@{self.host}:{self.port}/{database}"

    def admin(self, sql: str) -> list[tuple]:
        """Run one statement on the maintenance database (autocommit) and return its rows."""
        import psycopg

        if self._admin is None:
            self._admin = psycopg.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                                          dbname="postgres", autocommit=True, connect_timeout=5)
        cur = self._admin.execute(sql)  # type: ignore[attr-defined]
        return cur.fetchall() if cur.description else []

    def create_database(self) -> str:
        """A fresh empty database; returns its name."""
        self._count += 1
        name = f"zyn_test_{os.getpid()}_{self._count}"
        self.admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop it, ending any connection a test left open (PostgreSQL 13+)."""
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join((self.root / "postgres.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Fast shutdown (SIGINT), then the temporary directory goes."""
        if self._admin is not None:
            try:
                self._admin.close()  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - the server may already be gone
                pass
            self._admin = None
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = None
        shutil.rmtree(self.root, ignore_errors=True)


def start() -> PostgresServer:
    """initdb in a new temporary directory and start postgres on 127.0.0.1:<free port>; raises NoPostgres."""
    bin_dir, origin = find_bin_dir()
    run_as = RUN_AS_WHEN_ROOT if os.geteuid() == 0 else None
    if run_as is not None:
        try:
            account = pwd.getpwnam(run_as)
        except KeyError:
            raise NoPostgres(f"running as root, and there is no '{run_as}' user to run PostgreSQL as") from None
    root = Path(tempfile.mkdtemp(prefix="zyn-pg-"))
    server = PostgresServer(root=root, bin_dir=bin_dir, origin=origin)
    try:
        data = root / "data"
        data.mkdir(mode=0o700)
        pwfile = root / "pwfile"
        pwfile.write_text(server.password + "\n")
        if run_as is not None:
            root.chmod(0o711)  # nobody may traverse it, and owns only what it must write
            os.chown(data, account.pw_uid, account.pw_gid)
            os.chown(pwfile, account.pw_uid, account.pw_gid)
            server.bin_dir = _reachable_bin_dir(bin_dir, root, run_as)
        version = _run([server.bin_dir / "postgres", "--version"], run_as)
        server.version = re.sub(r"^postgres \(PostgreSQL\) ", "", version.strip())
        _run([server.bin_dir / "initdb", "-D", data, "-U", server.user, f"--pwfile={pwfile}", "--encoding=UTF8",
              "--locale=C", "--auth-host=scram-sha-256", "--auth-local=trust", "--no-sync"], run_as)
        pwfile.unlink()
        _launch(server, data, run_as)
    except BaseException:
        server.stop()
        raise
    return server


def _launch(server: PostgresServer, data: Path, run_as: str | None) -> None:
    """Start on a free port (retrying if another process took it meanwhile) and wait until it answers."""
    import psycopg

    for _attempt in range(3):
        server.port = free_port()
        log = open(server.root / "postgres.log", "ab")  # noqa: SIM115 - the server writes it until it stops
        try:
            server._proc = subprocess.Popen(
                [str(server.bin_dir / "postgres"), "-D", str(data), "-p", str(server.port),
                 "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
                 # A test server: durability is not wanted, speed is.
                 "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                 "-c", "max_connections=200"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                **_as(run_as))
        finally:
            log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if server._proc.poll() is not None:
                break
            try:
                psycopg.connect(host=server.host, port=server.port, user=server.user, password=server.password,
                                dbname="postgres", connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.05)
        else:
            server.stop()
            raise NoPostgres(f"PostgreSQL did not answer within {START_TIMEOUT:.0f} s:\n{server.log_tail()}")
        if "could not bind" not in server.log_tail():
            raise NoPostgres(f"PostgreSQL exited at start (code {server._proc.returncode}):\n{server.log_tail()}")
    raise NoPostgres(f"PostgreSQL found no free port:\n{server.log_tail()}")


def _as(run_as: str | None) -> dict[str, object]:
    """subprocess arguments that drop root to `run_as`: its uid, its gid, no supplementary groups."""
    if run_as is None:
        return {}
    account = pwd.getpwnam(run_as)
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _run(argv: list[object], run_as: str | None) -> str:
    try:
        done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL, **_as(run_as))
    except OSError as exc:
        raise NoPostgres(f"cannot run {argv[0]}: {exc}; {INSTALL_HINT}") from None
    if done.returncode != 0:
        raise NoPostgres(f"{Path(str(argv[0])).name} failed ({done.returncode}): "
                         f"{(done.stderr or done.stdout).strip()[-800:]}")
    return done.stdout


def _reachable_bin_dir(bin_dir: Path, root: Path, run_as: str) -> Path:
    """The binaries, or a copy of them that `run_as` can execute (a checkout under /root is not traversable)."""
    try:
        probe = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True,
                               stdin=subprocess.DEVNULL, timeout=30, check=False, **_as(run_as))
        if probe.returncode == 0:
            return bin_dir
    except PermissionError:
        pass
    # pgserver's layout: .../pgserver/pginstall/{bin,lib,share} with shared libraries in .../pgserver.libs.
    install = bin_dir.parent
    copy = root / "pg" / "pgserver" / "pginstall"
    shutil.copytree(install, copy, symlinks=True)
    libs = install.parent.parent / "pgserver.libs"
    if libs.is_dir():
        shutil.copytree(libs, root / "pg" / "pgserver.libs", symlinks=True)
    for path in [root / "pg", *(root / "pg").rglob("*")]:
        if path.is_dir() or os.access(path, os.X_OK):
            path.chmod(0o755)
        else:
            path.chmod(0o644)
    return copy / "bin"
