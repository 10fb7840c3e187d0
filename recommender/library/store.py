"""The SQLite library store: one `library.db` in the data folder, the source of truth.

WAL mode (readers never block the writer), foreign keys on, forward migrations by
`PRAGMA user_version`, explicit transactions. A database from a newer Tonearm, a damaged file,
a full disk or a lock held too long become `StoreError`s with a message; nothing is overwritten.
A data folder or database Tonearm may not write is opened read-only: reading works, and every
write is refused with a sentence saying why.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from recommender.core.datadir import ensure_data_dir
from recommender.core.errors import StoreError
from recommender.library.names import lead_artist_key, normalise_title
from recommender.library.query import fold
from recommender.library.schema import MIGRATIONS, SCHEMA_VERSION

DB_FILE = "library.db"
BUSY_TIMEOUT_MS = 5000
log = logging.getLogger(__name__)


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


def store_error(exc: sqlite3.Error, path: Path, read_only: str | None = None) -> StoreError:
    """The sentence a person reads for an SQLite error on the database at `path`.

    `read_only` is why the store was opened read-only, if it was (said when a write is refused).
    """
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
        return _read_only_error(read_only or f"the library database {path} is read-only")
    if "full" in text:
        return StoreError(
            f"no space left for the library database {path} (the disk is full); nothing was "
            "changed: free some space and try again"
        )
    if "disk I/O error" in text:
        return StoreError(
            f"the disk failed while Tonearm used the library database {path} ({text}); "
            "nothing was changed"
        )
    return StoreError(f"library database error in {path}: {text}")


def _read_only_error(reason: str) -> StoreError:
    return StoreError(f"cannot save changes to the library: {reason} (reading it still works)")


class Store:
    """An open library database. Use as a context manager or call `close()`."""

    def __init__(self, path: Path, *, migrate: bool = True, read_only: str | None = None) -> None:
        """`read_only` says why this process may not write (a read-only folder or file):
        the database is then opened for reading only, without migrations or WAL set-up."""
        self.path = path
        self.read_only = read_only
        try:
            self.conn = self._connect()
        except sqlite3.Error as exc:
            raise store_error(exc, path, read_only) from exc
        self.conn.create_function("tonearm_fold", 1, fold, deterministic=True)
        # Name keys for rows that lack them, and for the migration that stores them.
        self.conn.create_function("tonearm_artist_key", 2, lead_artist_key, deterministic=True)
        self.conn.create_function("tonearm_title_key", 1, normalise_title, deterministic=True)
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._refuse_newer()  # before WAL, which would rewrite the header of a newer file
            if read_only:
                self._refuse_older()
            else:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")
                if migrate:
                    self._migrate()
        except sqlite3.Error as exc:
            self.conn.close()
            raise self._error(exc) from exc

    def _connect(self) -> sqlite3.Connection:
        timeout_s = BUSY_TIMEOUT_MS / 1000
        if not self.read_only:
            return sqlite3.connect(
                self.path, timeout=timeout_s, isolation_level=None, check_same_thread=False
            )
        uri = "file:" + quote(os.fsencode(self.path)) + "?mode=ro"
        conn = sqlite3.connect(
            uri, uri=True, timeout=timeout_s, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_schema").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            # A WAL database in a folder we cannot write: SQLite cannot create the shared-memory
            # file. With no -wal file left over, the main file holds everything: read it as
            # immutable (no locks, no side files).
            conn.close()
            if exc.sqlite_errorname != "SQLITE_CANTOPEN" or self._wal_path().exists():
                raise
        return sqlite3.connect(
            uri + "&immutable=1",
            uri=True,
            timeout=timeout_s,
            isolation_level=None,
            check_same_thread=False,
        )

    def _wal_path(self) -> Path:
        return self.path.with_name(self.path.name + "-wal")

    def _error(self, exc: sqlite3.Error) -> StoreError:
        return store_error(exc, self.path, self.read_only)

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

    def _refuse_older(self) -> None:
        version = self.version
        if version < SCHEMA_VERSION:
            self.conn.close()
            raise StoreError(
                f"the library database {self.path} needs an upgrade (schema {version} to "
                f"{SCHEMA_VERSION}), which needs write access: {self.read_only}"
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
        """BEGIN IMMEDIATE … COMMIT; rolls back on any exception. Not re-entrant.

        SQLite errors inside become StoreErrors with the original cause (a full disk, a damaged
        page), never the rollback's own complaint.
        """
        if self.read_only:
            raise _read_only_error(self.read_only)
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            yield self.conn
        except sqlite3.Error as exc:
            self._rollback()
            raise self._error(exc) from exc
        except BaseException:
            self._rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise self._error(exc) from exc

    def _rollback(self) -> None:
        """Roll back what is still open: after SQLITE_FULL and some I/O errors SQLite has already
        rolled the transaction back itself, and a second ROLLBACK would hide the real error."""
        if not self.conn.in_transaction:
            return
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.warning("rollback of %s failed after an error: %s", self.path, exc)

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
    """Split a migration script into statements (our scripts hold no ';' inside literals; a
    trigger's body holds several, so a piece is joined to the next until it is complete)."""
    out: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip().strip(";").strip():
                out.append(pending.strip())
            pending = ""
    if pending.strip().strip(";").strip():
        out.append(pending.strip().rstrip(";"))
    return out


def open_store(data_dir: Path, *, migrate: bool = True) -> Store:
    """Open (creating and migrating if needed) `library.db` in `data_dir`.

    A folder or database this process cannot write is opened read-only when the database
    exists; its writes then fail with a StoreError that says why.
    """
    path = data_dir / DB_FILE
    reason = read_only_reason(data_dir)
    if reason is None:
        ensure_data_dir(data_dir)
        return Store(path, migrate=migrate)
    if not path.is_file():
        raise StoreError(f"{reason}, and there is no library in it yet")
    return Store(path, migrate=migrate, read_only=reason)


def read_only_reason(data_dir: Path) -> str | None:
    """Why this process cannot write the library in an existing `data_dir` (None: it can)."""
    if not data_dir.is_dir():
        return None  # created on first open; ensure_data_dir reports why it cannot be
    if not os.access(data_dir, os.W_OK):
        return f"the data folder {data_dir} is read-only"
    path = data_dir / DB_FILE
    if path.exists() and not os.access(path, os.W_OK):
        return f"the library database {path} is read-only"
    return None


def copy_database(store: Store, target: Path) -> None:
    """A consistent copy of the live database (for backups and exports)."""
    dest = sqlite3.connect(target)
    try:
        store.conn.backup(dest)
    finally:
        dest.close()


__all__ = [
    "DB_FILE",
    "Store",
    "copy_database",
    "open_store",
    "path_from_db",
    "path_to_db",
    "read_only_reason",
    "store_error",
]
