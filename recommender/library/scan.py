"""Index music folders into the store: incremental, parallel, crash-safe.

1. Walk the folders (names and stat only).
2. Compare with the store: unchanged files (same size and mtime) are never opened again.
3. Read tags of new and changed files, in this process and, where cores are idle, in worker
   processes streaming results back.
4. Write in batches, each its own transaction: a crash loses at most one batch, and the next
   scan simply reads what is not in the store yet.
5. Only after the whole walk: files that vanished are marked missing (never deleted, so their
   plays stay). A new file whose size and tags match a missing track is that track, moved: it
   keeps its id, history and embeddings.
"""

from __future__ import annotations

import collections
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
from recommender.core.threads import (
    CpuSample,
    cores_given,
    idle_cores,
    readers_for,
    worker_pool,
)
from recommender.library.store import Store, path_from_db, path_to_db
from recommender.library.tags import ROW_COLUMNS, ReadResult, read_result, read_results
from recommender.library.walk import FoundFile, WalkProblem, walk_audio_files

BATCH_SIZE = 500
CHUNK_SIZE = 64
"""Files a worker reads per task: small enough that this process, reading one between its
workers' results, keeps them waiting for a few milliseconds only."""
IN_FLIGHT_PER_WORKER = 4
"""Chunks handed to each worker ahead, so that none waits for this process to send more."""
IN_PROCESS_MAX_FILES = 1000
"""Below this many files to read (a quarter second or so), starting workers costs more CPU
than they save."""

_TITLE, _ARTIST, _ALBUM = (ROW_COLUMNS.index(c) for c in ("title", "artist", "album"))


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
    readers: int = 0
    """Processes that read tags (this one included): 1 on a busy machine or a small scan."""
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


@dataclass(frozen=True)
class _Known:
    id: int
    size: int
    mtime: float
    missing: bool


def _read_all(items: list[tuple[str, str]], workers: int) -> Iterator[ReadResult]:
    """Tag results in any order, read by `workers` processes: this one and `workers - 1`
    spawned ones (safe from GUI threads), for a large enough scan.

    This process reads too, from the far end of the list, whenever no worker's chunk is
    waiting: so it works while the workers start (0.3 to 0.7 s of spawning and imports), and
    `workers` readers are `workers` busy processes, not one more that mostly waits. Two
    workers beside an idle writer were slower than one process on a busy machine."""
    if workers <= 1 or len(items) <= IN_PROCESS_MAX_FILES:
        for path, root in items:
            yield read_result(path, root)
        return
    chunks = collections.deque(items[i : i + CHUNK_SIZE] for i in range(0, len(items), CHUNK_SIZE))
    in_flight: set[cf.Future] = set()
    with worker_pool(workers - 1) as pool:
        try:
            while chunks or in_flight:
                while chunks and len(in_flight) < IN_FLIGHT_PER_WORKER * (workers - 1):
                    in_flight.add(pool.submit(read_results, chunks.popleft()))
                done = {fut for fut in in_flight if fut.done()}
                if done:
                    in_flight -= done
                    for fut in done:
                        yield from fut.result()
                elif chunks:
                    yield from read_results(chunks.pop())
                else:
                    cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
        finally:
            for fut in in_flight:
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


def _move_key(size: int, title: Any, artist: Any, album: Any) -> tuple:
    def norm(v: Any) -> str:
        return str(v or "").casefold().strip()

    return (size, norm(title), norm(artist), norm(album))


def scan_folders(
    store: Store,
    folders: Iterable[str],
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck = never_cancel,
    workers: int | None = None,
) -> ScanSummary:
    """Bring the store up to date with `folders`; see the module docstring for the steps.

    `workers`: processes reading tags, this one included; None: one, plus one for each core
    that other programs left idle during the walk."""
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

    cpu_before_walk = CpuSample()
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

    error_paths = frozenset(known_errors)
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
            key = _move_key(size, title, artist, album)
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
        if workers is None:  # as many readers as there are cores others leave idle
            workers = readers_for(idle_cores(cpu_before_walk), cores_given())
        summary.readers = 1 if len(to_read) <= IN_PROCESS_MAX_FILES else max(1, workers)
        for result in _read_all(to_read, workers):
            batch.append(result)
            if len(batch) >= BATCH_SIZE:
                _write_batch(
                    store, batch, found, known, move_candidates, vanished, summary, error_paths
                )
                batch.clear()
                prog.done = summary.added + summary.updated + summary.moved + summary.errors
                report(prog)
                if cancel():
                    raise Cancelled
        _write_batch(store, batch, found, known, move_candidates, vanished, summary, error_paths)
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
    error_paths: set[str] | frozenset[str] | None = None,
) -> None:
    """One transaction: inserts, updates, moves and errors of up to BATCH_SIZE files.

    `error_paths`: the paths with a stored scan error (None: any may have one), the only ones
    whose error a good read must delete (a statement per file was a tenth of the writing)."""
    if not batch:
        return
    now = time.time()
    set_cols = ", ".join(f"{c} = ?" for c in ROW_COLUMNS)
    insert_cols = ("path", "size", "mtime", *ROW_COLUMNS, "added_at", "updated_at", "missing")
    insert_sql = (
        f"INSERT INTO tracks ({', '.join(insert_cols)}) "
        f"VALUES ({', '.join('?' * len(insert_cols))})"
    )
    inserts: list[tuple] = []  # new files, written together: one statement per batch
    with store.transaction() as conn:
        for path, values, reason in batch:
            f = found[path]
            db_path = path_to_db(path)
            if values is None:
                conn.execute(
                    "INSERT INTO scan_errors(path, size, mtime, reason, at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(path) DO UPDATE SET size = excluded.size, "
                    "mtime = excluded.mtime, reason = excluded.reason, at = excluded.at",
                    (db_path, f.size, f.mtime, reason, now),
                )
                summary.errors += 1
                summary.new_errors.append(ScanError(path, reason or "unreadable"))
                continue
            k = known.get(path)
            if k is not None:
                conn.execute(
                    f"UPDATE tracks SET size = ?, mtime = ?, {set_cols}, updated_at = ?, "
                    "missing = 0 WHERE id = ?",
                    (f.size, f.mtime, *values, now, k.id),
                )
                summary.updated += 1
            else:
                moved_id = (
                    move_candidates.pop(
                        _move_key(f.size, values[_TITLE], values[_ARTIST], values[_ALBUM]), None
                    )
                    if move_candidates
                    else None
                )
                if moved_id is not None:
                    conn.execute(
                        f"UPDATE tracks SET path = ?, size = ?, mtime = ?, {set_cols}, "
                        "updated_at = ?, missing = 0 WHERE id = ?",
                        (db_path, f.size, f.mtime, *values, now, moved_id),
                    )
                    vanished.pop(moved_id, None)
                    summary.moved += 1
                else:
                    inserts.append((db_path, f.size, f.mtime, *values, now, now, 0))
                    summary.added += 1
            if error_paths is None or path in error_paths:
                conn.execute("DELETE FROM scan_errors WHERE path = ?", (db_path,))
        conn.executemany(insert_sql, inserts)


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
    results = [read_result(path, root) for path, root in to_read]
    _write_batch(store, results, found, known, {}, {}, summary)
    summary.seconds = time.monotonic() - started
    return summary
