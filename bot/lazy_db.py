"""The mode's database, opened on first use: a CLI command that never touches it (`zyn status`, `zyn ticker`)
does not import the database layer at all, and starts in a third of the time."""

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
