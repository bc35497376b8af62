"""The mode's database, opened on first use: a CLI command that never touches it (`zyn status`, `zyn ticker`)
does not import the database layer at all, and starts in a fraction of the time.

The offline replay asks it for the candle store's real candles of each replay market (what status shows as the
data source, what ticker prices): for the default SQLite file that is read with the standard library's sqlite3
(memory.quick), so the database layer stays unloaded; a database URL, or a file only a real open can read, is
opened the usual way."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from trading.domain import Mode


class LazyDatabase:
    """Stands for memory's Database: the first attribute asked for opens it (and checks its mode stamp)."""

    def __init__(self, mode: Mode, data_dir: Path, url: str | None) -> None:
        self._mode, self._data_dir, self._url = Mode(mode), Path(data_dir), url
        self._db: Any = None

    @property
    def url(self) -> str:
        """The database URL with any password masked, without opening it (as Database.url shows it)."""
        if self._db is not None:
            return self._db.url
        if self._url is None:
            return f"sqlite:///{self._data_dir / self._mode.value / 'zyn.db'}"
        parts = urlsplit(self._url)
        if parts.password is None:
            return self._url
        netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))

    @property
    def opened(self) -> bool:
        return self._db is not None

    def replay_series(self, pair: str) -> Any:
        """memory's Database.replay_series, without opening the database when its SQLite file can be read
        directly (no file: nothing stored, and nothing is created)."""
        if self._db is None and self._url is None:
            from memory.quick import Unavailable, replay_series

            try:
                return replay_series(self._data_dir / self._mode.value / "zyn.db", self._mode.value, pair)
            except Unavailable:
                pass
        return self.__getattr__("replay_series")(pair)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if self._db is None:
            from memory import open_database

            self._db = open_database(self._mode, self._data_dir, self._url)
        return getattr(self._db, name)
