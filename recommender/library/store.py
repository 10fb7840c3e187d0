"""The SQLite library store: one `library.db` in the data folder, the source of truth.

WAL mode (readers never block the writer), foreign keys on, forward migrations by
`PRAGMA user_version`, explicit transactions. A database from a newer Tonearm, a damaged file
or a lock held too long become `StoreError`s with a message; nothing is overwritten.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from recommender.core.datadir import ensure_data_dir
from recommender.core.errors import StoreError
from recommender.library.query import fold
from recommender.library.schema import MIGRATIONS, SCHEMA_VERSION

DB_FILE = "library.db"
BUSY_TIMEOUT_MS = 5000


def path_to_db(path: str) -> str | bytes:
    """Paths that are valid UTF-8 are stored as TEXT; others (odd bytes) as the raw bytes."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return path


def path_from_db(value: str | bytes) -> str:
    """Inverse of `path_to_db`: a str path usable with `open()` on this system."""
    return os.fsdecode(value) if isinstance(value, bytes) else value


def _friendly(exc: sqlite3.Error, path: Path) -> StoreError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreError(
            f"the library database {path} is locked by another program (is Tonearm already "
            "scanning?); try again in a moment"
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(
            f"the library database {path} is damaged ({text}). Tonearm has not changed it; "
            "move it aside (your plays and playlists are in it) to start a new library"
        )
    if "readonly" in text or "read-only" in text:
        return StoreError(f"the library database {path} is read-only")
    return StoreError(f"library database error in {path}: {text}")


class Store:
    """An open library database. Use as a context manager or call `close()`."""

    def __init__(self, path: Path, *, migrate: bool = True) -> None:
        self.path = path
        try:
            self.conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise _friendly(exc, path) from exc
        self.conn.create_function("tonearm_fold", 1, fold, deterministic=True)
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._refuse_newer()  # before WAL, which would rewrite the header of a newer file
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            if migrate:
                self._migrate()
        except sqlite3.Error as exc:
            self.conn.close()
            raise _friendly(exc, path) from exc

    @property
    def version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _refuse_newer(self) -> None:
        version = self.version
        if version > SCHEMA_VERSION:
            self.conn.close()
            raise StoreError(
                f"the library database {self.path} was written by a newer Tonearm (schema "
                f"{version}, this one knows {SCHEMA_VERSION}); upgrade Tonearm to open it"
            )

    def _migrate(self) -> None:
        version = self.version
        if version == SCHEMA_VERSION:
            return
        if version > 0:
            self._backup(f"{DB_FILE}.before-v{SCHEMA_VERSION}")
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                # executescript would commit our transaction; run statement by statement.
                for statement in _statements(MIGRATIONS[number]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number + 1}")

    def _backup(self, name: str) -> None:
        """Copy the database before migrating it, so an upgrade can never lose history."""
        target = self.path.with_name(name)
        if target.exists():
            return
        dest = sqlite3.connect(target)
        try:
            self.conn.backup(dest)
        finally:
            dest.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT; rolls back on any exception. Not re-entrant."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _friendly(exc, self.path) from exc
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self.conn.execute("ROLLBACK")
            raise _friendly(exc, self.path) from exc

    def get_state(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM app_state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_state(self, key: str, value: str | None) -> None:
        self.conn.execute(
            "INSERT INTO app_state(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (our scripts hold no ';' inside literals)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def open_store(data_dir: Path, *, migrate: bool = True) -> Store:
    """Open (creating and migrating if needed) `library.db` in `data_dir`."""
    ensure_data_dir(data_dir)
    return Store(data_dir / DB_FILE, migrate=migrate)


def copy_database(store: Store, target: Path) -> None:
    """A consistent copy of the live database (for backups and exports)."""
    dest = sqlite3.connect(target)
    try:
        store.conn.backup(dest)
    finally:
        dest.close()


__all__ = ["DB_FILE", "Store", "copy_database", "open_store", "path_from_db", "path_to_db"]
