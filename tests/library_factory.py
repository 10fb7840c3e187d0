"""Generated libraries for GUI tests, benchmarks and screenshots: track rows inserted directly.

No audio is written here: rows point at paths that need not exist (enough for the library view).
Playback tests write real tones with `tests.audio_factory` and insert rows with `insert_file`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from recommender.library.store import Store, path_to_db

GENRES = (
    "Rock", "Jazz", "Electronic", "Classical", "Hip-Hop", "Folk", "Ambient", "Blues", "Soul",
    "Metal", "Pop", "Reggae", "Country", "Punk", "Funk", "Latin", "Techno", "House",
)  # fmt: skip
_SYLLABLES = (
    "ka", "lo", "mi", "ra", "su", "te", "vo", "na", "zi", "pe", "do", "ri", "an", "el", "or",
    "ul", "is", "ba", "co", "fe", "gu", "hi", "ju", "ny", "ö", "é", "ma", "ti", "sa", "ko",
)  # fmt: skip
_WORDS = (
    "Night", "Blue", "River", "Heart", "Light", "Road", "Fire", "Rain", "Dream", "Love", "Time",
    "Moon", "Song", "Golden", "Silent", "Echo", "Summer", "Winter", "City", "Ocean", "Shadow",
    "Star", "Wild", "Electric", "Paper", "Glass", "Stone", "Velvet", "Northern", "Lost",
)  # fmt: skip


def _name(rng: np.random.Generator, parts: int) -> str:
    return "".join(rng.choice(_SYLLABLES, parts)).capitalize()


def _title(rng: np.random.Generator) -> str:
    return " ".join(rng.choice(_WORDS, int(rng.integers(1, 4))))


def insert_library(
    store: Store, n_tracks: int, *, seed: int = 7, root: str = "/music", plays: int = 0
) -> None:
    """Insert `n_tracks` plausible rows (about 12 tracks an album, 4 albums an artist)."""
    rng = np.random.default_rng(seed)
    now = time.time()
    n_albums = max(1, -(-n_tracks // 12))
    n_artists = max(1, n_albums // 4)
    artists = [f"{_name(rng, 2)} {_name(rng, int(rng.integers(1, 3)))}" for _ in range(n_artists)]
    rows = []
    (first_id,) = store.conn.execute("SELECT coalesce(max(id), 0) FROM tracks").fetchone()
    tid = 0
    for a in range(n_albums):
        artist = artists[a % n_artists]
        album = _title(rng)
        year = int(rng.integers(1960, 2025))
        genre = str(rng.choice(GENRES))
        for t in range(12):
            if tid >= n_tracks:
                break
            tid += 1
            path = f"{root}/{artist}/{album} ({a})/{t + 1:02d} track{tid}.flac"
            rows.append(
                (first_id + tid, path, 1000 + tid, now - tid, "flac", "flac",
                 float(rng.integers(90, 420)), _title(rng), artist, album, artist, t + 1, 12, 1,
                 year, str(year), genre,
                 now - tid * 60.0, now)
            )  # fmt: skip
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO tracks(id, path, size, mtime, format, codec, duration, title, artist, "
            "album, albumartist, tracknumber, tracktotal, discnumber, year, date, genre, added_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        if plays:
            ids = first_id + rng.integers(1, n_tracks + 1, plays)
            conn.executemany(
                "INSERT OR IGNORE INTO plays(track_id, started_at, seconds_played, completed, "
                "skipped, context) VALUES (?, ?, ?, 1, 0, 'library')",
                [(int(t), now - i * 200.0, 180.0) for i, t in enumerate(ids)],
            )


def insert_file(store: Store, path: str | os.PathLike[str], **fields: object) -> int:
    """Insert a row for a real file (defaults for what is not given); returns its id."""
    path = os.fspath(path)
    st = os.stat(path) if os.path.exists(path) else None
    now = time.time()
    values: dict[str, object] = {
        "path": path_to_db(path),
        "size": st.st_size if st else 0,
        "mtime": st.st_mtime if st else 0.0,
        "added_at": now,
        "updated_at": now,
        "title": os.path.splitext(os.path.basename(path))[0],
        **fields,
    }
    keys = ", ".join(values)
    marks = ", ".join("?" * len(values))
    with store.transaction() as conn:
        cur = conn.execute(f"INSERT INTO tracks({keys}) VALUES ({marks})", list(values.values()))
    return int(cur.lastrowid or 0)


def damage_middle_pages(path: Path) -> None:
    """Overwrite every third page of the second half: the schema (at the start) reads, so the
    database opens, and queries meet the damage."""
    page = 4096
    size = path.stat().st_size
    assert size > 8 * page, "the library must span enough pages to damage its middle"
    with open(path, "r+b") as fh:
        for number in range(size // page // 2, size // page, 3):
            fh.seek(number * page)
            fh.write(bytes(range(256)) * (page // 256))
