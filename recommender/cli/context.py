"""What every subcommand receives: the data folder, and lazy access to settings and the store."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from recommender.core.errors import StoreError
from recommender.core.settings import Settings

if TYPE_CHECKING:
    from recommender.library.store import Store


@dataclass
class Context:
    data_dir: Path
    json: bool = False
    _store: Store | None = field(default=None, repr=False)

    @cached_property
    def settings(self) -> Settings:
        return Settings.load(self.data_dir)

    def save_settings(self) -> None:
        self.settings.save(self.data_dir)

    @property
    def store(self) -> Store:
        if self._store is None:
            from recommender.library.store import (
                open_store,
            )  # numpy and sqlite-utils: not for --help

            self._store = open_store(self.data_dir)
        return self._store

    def database_error(self, exc: sqlite3.Error) -> StoreError:
        """The sentence for an SQLite error that escaped the store's own handling."""
        from recommender.library.store import DB_FILE, store_error

        read_only = self._store.read_only if self._store is not None else None
        return store_error(exc, self.data_dir / DB_FILE, read_only)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
