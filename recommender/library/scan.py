"""Index music folders into the store: incremental, parallel, crash-safe.

1. Walk the folders (names and stat only).
2. Compare with the store: unchanged files (same size and mtime) are never opened again.
3. Read tags of new and changed files in worker processes, streaming results back.
4. Write in batches, each its own transaction: a crash loses at most one batch, and the next
   scan simply reads what is not in the store yet.
5. Only after the whole walk: files that vanished are marked missing (never deleted, so their
   plays stay). A new file whose size and tags match a missing track is that track, moved: it
   keeps its id, history and embeddings.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from recommender.core.errors import UsageError
from recommender.core.progress import (
    CancelCheck,
    Cancelled,
    Progress,
    ProgressCallback,
    never_cancel,
)
from recommender.core.threads import cores_given, worker_pool
from recommender.library.fields import SCANNED_COLUMNS
from recommender.library.names import NAME_KEY_COLUMNS, name_keys
from recommender.library.store import Store, path_from_db, path_to_db
from recommender.library.tags import UnreadableFile, read_tags
from recommender.library.walk import FoundFile, WalkProblem, walk_audio_files

BATCH_SIZE = 500
CHUNK_SIZE = 64
IN_PROCESS_MAX_FILES = 200
"""Below this many files to read, worker start-up costs more than it saves."""

TAG_COLUMNS = (*SCANNED_COLUMNS, *NAME_KEY_COLUMNS)
"""What a file's read sets on its row: its tags and stream, and the keys of its names."""


@dataclass(frozen=True)
class ScanError:
    path: str
    reason: str


@dataclass
class ScanSummary:
    """What a scan did, in the numbers a person asks about."""

    roots: list[str]
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: int = 0
    returned: int = 0
    moved: int = 0
    errors: int = 0
    known_errors: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    rematched: int = 0
    """Imported listens that now match a track (set by `library_update.update_library`)."""
    new_errors: list[ScanError] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "roots": self.roots,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "missing": self.missing,
            "returned": self.returned,
            "moved": self.moved,
            "errors": self.errors,
            "known_errors": self.known_errors,
            "seconds": round(self.seconds, 3),
            "cancelled": self.cancelled,
            "rematched_listens": self.rematched,
            "error_list": [{"path": e.path, "reason": e.reason} for e in self.new_errors],
        }

    def describe(self) -> str:
        parts = [
            f"{self.added:,} added",
            f"{self.updated:,} updated",
            f"{self.unchanged:,} unchanged",
            f"{self.missing:,} missing",
        ]
        if self.moved:
            parts.append(f"{self.moved:,} moved")
        if self.returned:
            parts.append(f"{self.returned:,} back")
        parts.append(f"{self.errors:,} errors")
        if self.known_errors:
            parts.append(f"{self.known_errors:,} known unreadable")
        if self.rematched:
            parts.append(f"{self.rematched:,} imported listens matched")
        head = "Scan cancelled" if self.cancelled else "Scanned"
        return f"{head} in {self.seconds:.1f} s: " + ", ".join(parts)


ReadResult = tuple[str, dict[str, Any] | None, str | None]
"""(path, track columns or None, error reason or None) for one file."""


@dataclass(frozen=True)
class _Known:
    id: int
    size: int
    mtime: float
    missing: bool


def _read_one(item: tuple[str, str]) -> ReadResult:
    path, root = item
    try:
        return path, read_tags(path, root), None
    except UnreadableFile as exc:
        return path, None, _storable(exc.reason)
    except Exception as exc:  # never let one file stop the scan
        return path, None, _storable(f"unexpected error: {type(exc).__name__}: {exc}")


def _storable(text: str) -> str:
    """Messages may quote odd file names; keep them valid UTF-8 for the database."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _read_chunk(items: list[tuple[str, str]]) -> list[ReadResult]:
    return [_read_one(item) for item in items]


def _read_all(items: list[tuple[str, str]], workers: int) -> Iterator[ReadResult]:
    """Tag results in any order; worker processes (spawned: safe from GUI threads) when large."""
    if workers <= 1 or len(items) <= IN_PROCESS_MAX_FILES:
        for item in items:
            yield _read_one(item)
        return
    chunks = [items[i : i + CHUNK_SIZE] for i in range(0, len(items), CHUNK_SIZE)]
    with worker_pool(workers) as pool:
        futures = [pool.submit(_read_chunk, chunk) for chunk in chunks]
        try:
            for fut in cf.as_completed(futures):
                yield from fut.result()
        finally:
            for fut in futures:
                fut.cancel()


def normalise_roots(folders: Iterable[str]) -> list[str]:
    """Absolute, de-duplicated roots, dropping any root inside another."""
    roots = sorted({os.path.normpath(os.path.abspath(os.path.expanduser(f))) for f in folders})
    out: list[str] = []
    for root in roots:
        if not any(root == r or root.startswith(r.rstrip(os.sep) + os.sep) for r in out):
            out.append(root)
    return out


def _under(path: str, roots: list[str]) -> bool:
    return any(path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _move_key(size: int, tags: dict[str, Any]) -> tuple:
    def norm(v: Any) -> str:
        return str(v or "").casefold().strip()

    return (size, norm(tags.get("title")), norm(tags.get("artist")), norm(tags.get("album")))


def scan_folders(
    store: Store,
    folders: Iterable[str],
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck = never_cancel,
    workers: int | None = None,
) -> ScanSummary:
    """Bring the store up to date with `folders`; see the module docstring for the steps."""
    started = time.monotonic()
    roots = normalise_roots(folders)
    if not roots:
        raise UsageError("no folders to scan")
    present = [r for r in roots if os.path.isdir(r)]
    if not present:
        raise UsageError("folder not found: " + ", ".join(roots))
    summary = ScanSummary(roots=roots)
    report = progress or (lambda p: None)
    prog = Progress(0, None, "walking")
    report(prog)

    problems: list[WalkProblem] = []
    found: dict[str, FoundFile] = {}
    for f in walk_audio_files(present, problems):
        found[f.path] = f
        if len(found) % 2000 == 0:
            prog.done = len(found)
            report(prog)
            if cancel():
                summary.cancelled = True
                summary.seconds = time.monotonic() - started
                return summary

    known: dict[str, _Known] = {}
    for tid, raw_path, size, mtime, missing in store.conn.execute(
        "SELECT id, path, size, mtime, missing FROM tracks"
    ):
        known[path_from_db(raw_path)] = _Known(tid, size, mtime, bool(missing))
    known_errors = {
        path_from_db(p): (size, mtime)
        for p, size, mtime in store.conn.execute("SELECT path, size, mtime FROM scan_errors")
    }

    to_read: list[tuple[str, str]] = []
    returned: list[int] = []
    for path, f in found.items():
        k = known.get(path)
        if k is not None and k.size == f.size and k.mtime == f.mtime:
            if k.missing:
                returned.append(k.id)
            else:
                summary.unchanged += 1
            continue
        if k is None and known_errors.get(path) == (f.size, f.mtime):
            summary.known_errors += 1  # reported when first seen; unchanged since
            continue
        to_read.append((path, f.root))

    # Rows under scanned roots that the walk did not see (roots that are absent: skipped, so an
    # unmounted drive does not flag a whole library as missing).
    vanished = {
        k.id: path
        for path, k in known.items()
        if not k.missing and path not in found and _under(path, present)
    }
    move_candidates: dict[tuple, int] = {}
    if vanished or any(k.missing for k in known.values()):
        for tid, size, title, artist, album in store.conn.execute(
            "SELECT id, size, title, artist, album FROM tracks "
            "WHERE missing = 1 OR id IN (SELECT value FROM json_each(?))",
            (_json_ids(vanished),),
        ):
            key = _move_key(size, {"title": title, "artist": artist, "album": album})
            move_candidates.setdefault(key, tid)

    if returned:
        with store.transaction() as conn:
            conn.executemany(
                "UPDATE tracks SET missing = 0, updated_at = ? WHERE id = ?",
                [(time.time(), tid) for tid in returned],
            )
        summary.returned = len(returned)

    for problem in problems:
        summary.new_errors.append(ScanError(problem.path, problem.reason))

    prog = Progress(0, len(to_read), "reading tags")
    report(prog)
    batch: list[ReadResult] = []
    try:
        for result in _read_all(to_read, workers or cores_given()):
            batch.append(result)
            if len(batch) >= BATCH_SIZE:
                _write_batch(store, batch, found, known, move_candidates, vanished, summary)
                batch.clear()
                prog.done = summary.added + summary.updated + summary.moved + summary.errors
                report(prog)
                if cancel():
                    raise Cancelled
        _write_batch(store, batch, found, known, move_candidates, vanished, summary)
        batch.clear()
    except Cancelled:
        summary.cancelled = True
    prog.done = summary.added + summary.updated + summary.moved + summary.errors
    report(prog)

    if not summary.cancelled:
        _finish(store, vanished, found, present, problems, summary)
    summary.errors += len(problems)
    summary.seconds = time.monotonic() - started
    return summary


def _json_ids(ids: Iterable[int]) -> str:
    return "[" + ",".join(str(int(i)) for i in ids) + "]"


def _write_batch(
    store: Store,
    batch: list[ReadResult],
    found: dict[str, FoundFile],
    known: dict[str, _Known],
    move_candidates: dict[tuple, int],
    vanished: dict[int, str],
    summary: ScanSummary,
) -> None:
    """One transaction: inserts, updates, moves and errors of up to BATCH_SIZE files."""
    if not batch:
        return
    now = time.time()
    set_cols = ", ".join(f"{c} = ?" for c in TAG_COLUMNS)
    insert_cols = ("path", "size", "mtime", *TAG_COLUMNS, "added_at", "updated_at", "missing")
    insert_sql = (
        f"INSERT INTO tracks ({', '.join(insert_cols)}) "
        f"VALUES ({', '.join('?' * len(insert_cols))})"
    )
    with store.transaction() as conn:
        for path, tags, reason in batch:
            f = found[path]
            db_path = path_to_db(path)
            if tags is None:
                conn.execute(
                    "INSERT INTO scan_errors(path, size, mtime, reason, at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(path) DO UPDATE SET size = excluded.size, "
                    "mtime = excluded.mtime, reason = excluded.reason, at = excluded.at",
                    (db_path, f.size, f.mtime, reason, now),
                )
                summary.errors += 1
                summary.new_errors.append(ScanError(path, reason or "unreadable"))
                continue
            values = [tags.get(c) for c in SCANNED_COLUMNS]
            values += name_keys(tags.get("artist"), tags.get("albumartist"), tags.get("title"))
            k = known.get(path)
            if k is not None:
                conn.execute(
                    f"UPDATE tracks SET size = ?, mtime = ?, {set_cols}, updated_at = ?, "
                    "missing = 0 WHERE id = ?",
                    (f.size, f.mtime, *values, now, k.id),
                )
                summary.updated += 1
            else:
                moved_id = move_candidates.pop(_move_key(f.size, tags), None)
                if moved_id is not None:
                    conn.execute(
                        f"UPDATE tracks SET path = ?, size = ?, mtime = ?, {set_cols}, "
                        "updated_at = ?, missing = 0 WHERE id = ?",
                        (db_path, f.size, f.mtime, *values, now, moved_id),
                    )
                    vanished.pop(moved_id, None)
                    summary.moved += 1
                else:
                    conn.execute(insert_sql, (db_path, f.size, f.mtime, *values, now, now, 0))
                    summary.added += 1
            conn.execute("DELETE FROM scan_errors WHERE path = ?", (db_path,))


def _finish(
    store: Store,
    vanished: dict[int, str],
    found: dict[str, FoundFile],
    present: list[str],
    problems: list[WalkProblem],
    summary: ScanSummary,
) -> None:
    """After a complete walk: mark vanished files missing and forget errors of gone files."""
    now = time.time()
    stale_errors = [
        p
        for (p,) in store.conn.execute("SELECT path FROM scan_errors")
        if _under(path_from_db(p), present) and path_from_db(p) not in found
    ]
    with store.transaction() as conn:
        conn.executemany(
            "UPDATE tracks SET missing = 1, updated_at = ? WHERE id = ?",
            [(now, tid) for tid in vanished],
        )
        conn.executemany("DELETE FROM scan_errors WHERE path = ?", [(p,) for p in stale_errors])
        for problem in problems:
            conn.execute(
                "INSERT INTO scan_errors(path, size, mtime, reason, at) "
                "VALUES (?, NULL, NULL, ?, ?) ON CONFLICT(path) "
                "DO UPDATE SET reason = excluded.reason, at = excluded.at",
                (path_to_db(problem.path), problem.reason, now),
            )
    summary.missing = len(vanished)


def scan_files(
    store: Store,
    paths: Iterable[str],
    *,
    roots: Iterable[str] = (),
) -> ScanSummary:
    """Add or refresh single files (opened from outside the library), marking nothing missing.

    `roots` are the library folders: a file under one gets its album and artist guessed from the
    folders below it, as a full scan would. Unchanged files are not opened again.
    """
    started = time.monotonic()
    library_roots = normalise_roots(roots)
    found: dict[str, FoundFile] = {}
    summary = ScanSummary(roots=[])
    for raw in paths:
        path = os.path.normpath(os.path.abspath(raw))
        try:
            st = os.stat(path)
        except OSError as exc:
            summary.errors += 1
            summary.new_errors.append(ScanError(path, exc.strerror or str(exc)))
            continue
        root = next((r for r in library_roots if _under(path, [r])), os.path.dirname(path))
        found[path] = FoundFile(path, st.st_size, st.st_mtime, root, False)
    known: dict[str, _Known] = {}
    for path in found:
        row = store.conn.execute(
            "SELECT id, size, mtime, missing FROM tracks WHERE path = ?", (path_to_db(path),)
        ).fetchone()
        if row is not None:
            known[path] = _Known(row[0], row[1], row[2], bool(row[3]))
    to_read = []
    for path, f in found.items():
        k = known.get(path)
        if k is not None and k.size == f.size and k.mtime == f.mtime and not k.missing:
            summary.unchanged += 1
        else:
            to_read.append((path, f.root))
    results = [_read_one(item) for item in to_read]
    _write_batch(store, results, found, known, {}, {}, summary)
    summary.seconds = time.monotonic() - started
    return summary
