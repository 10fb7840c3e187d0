"""Reading many users' listens (JSON lines, Parquet, ListenBrainz dumps), keyed for the CF model.

Accepted JSON line shapes (one JSON object per line):
    ListenBrainz: {"user_name": "...", "listened_at": 1700000000, "track_metadata": {
        "artist_name": "...", "track_name": "...", "additional_info": {"recording_mbid": "...",
        "tags": ["jazz"]}, "mbid_mapping": {"recording_mbid": "..."}}}
    flat:         {"user": "...", "artist": "...", "title": "...", "mbid": "...", "genre": "..."}
A line without a user belongs to a user named after its file (one export per user).

Parquet files hold one listen a row, in ListenBrainz's Spark dump columns (`user_id`,
`artist_name`, `recording_name`, `recording_mbid`) or the flat names above.

ListenBrainz publishes its listens as `listenbrainz-listens-dump-*.tar.zst` (JSON lines in
`listens/<year>/<month>.listens`) and `listenbrainz-spark-dump-*.tar` (`<n>.parquet`). Either
archive, or the folder it unpacks to, can be given as is.
"""

from __future__ import annotations

import glob
import io
import json
import logging
import shutil
import subprocess
import tarfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from recommender.core.errors import UsageError
from recommender.remote.protocol import MBID_RE, normalise_artist_title

log = logging.getLogger(__name__)

JSON_SUFFIXES = (".jsonl", ".json", ".listens", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)
ARCHIVE_SUFFIXES = (".tar", ".tar.zst", ".tar.gz", ".tgz")
PARQUET_BATCH_ROWS = 65_536

USER_COLUMNS = ("user_name", "user", "user_id")
ARTIST_COLUMNS = ("artist_name", "artist")
TITLE_COLUMNS = ("recording_name", "track_name", "title")
MBID_COLUMNS = ("recording_mbid", "mbid")
GENRE_COLUMNS = ("genres", "genre", "tags")


@dataclass(frozen=True, slots=True)
class Listen:
    """One listen, reduced to what the model needs: who, what, and its genres."""

    user: str
    artist: str
    title: str
    mbid: str | None
    genres: tuple[str, ...] = ()


def parse_genres(value: object) -> tuple[str, ...]:
    """ "Rock/Pop", "rock;pop" or ["rock", "pop"] as clean lower-case names (at most 10)."""
    if isinstance(value, str):
        value = value.replace("/", ";").split(";")
    if not isinstance(value, list):
        return ()
    return tuple(
        " ".join(g.split()).casefold()[:50] for g in value[:10] if isinstance(g, str) and g.strip()
    )


def parse_mbid(*values: object) -> str | None:
    """The first value that is a MusicBrainz id (any case, spaces around), lower-cased."""
    for value in values:
        if isinstance(value, str) and MBID_RE.match(value.strip().lower()):
            return value.strip().lower()
    return None


def parse_listen(line: dict, default_user: str) -> Listen | None:
    """A Listen from one decoded line, or None when it lacks an artist or a title."""
    meta = line.get("track_metadata")
    if isinstance(meta, dict):
        info = meta.get("additional_info") or {}
        mapping = meta.get("mbid_mapping") or {}
        info = info if isinstance(info, dict) else {}
        mapping = mapping if isinstance(mapping, dict) else {}
        artist, title = meta.get("artist_name"), meta.get("track_name")
        mbid = parse_mbid(mapping.get("recording_mbid"), info.get("recording_mbid"))
        genres = parse_genres(info.get("tags") or info.get("genre"))
    else:
        artist = line.get("artist") or line.get("artist_name")
        title = line.get("title") or line.get("recording_name") or line.get("track_name")
        mbid = parse_mbid(line.get("mbid"), line.get("recording_mbid"))
        genres = parse_genres(line.get("genres") or line.get("genre") or line.get("tags"))
    if not isinstance(artist, str) or not isinstance(title, str):
        return None
    if not artist.strip() or not title.strip():
        return None
    user = line.get("user_name") or line.get("user") or line.get("user_id") or default_user
    return Listen(str(user), artist.strip(), title.strip(), mbid, genres)


def _kind(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(ARCHIVE_SUFFIXES):
        return "archive"
    if lower.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if lower.endswith(JSON_SUFFIXES):
        return "json"
    return None


def listen_files(specs: Sequence[str | Path]) -> list[Path]:
    """Files, folders (searched recursively for listens files) and globs, as a sorted file list.

    A file named directly is read whatever its suffix (JSON lines unless it says otherwise)."""
    out: list[Path] = []
    for spec in specs:
        text = str(spec)
        if any(ch in text for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(text, recursive=True))
            files = [p for p in matches if p.is_file()]
            files += [f for p in matches if p.is_dir() for f in _folder_files(p)]
            if not files:
                raise UsageError(f"no listens files match {text}")
            out += files
        elif Path(text).is_dir():
            files = _folder_files(Path(text))
            if not files:
                raise UsageError(
                    f"the folder {text} has no listens files "
                    f"({', '.join(JSON_SUFFIXES + PARQUET_SUFFIXES + ARCHIVE_SUFFIXES)})"
                )
            out += files
        elif Path(text).is_file():
            out.append(Path(text))
        else:
            raise UsageError(f"cannot read the listens file {text}: no such file or folder")
    return out


def _folder_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and _kind(p.name) is not None)


def read_listens(paths: Iterable[Path]) -> Iterator[Listen]:
    """Every usable listen in the files; bad lines are counted and logged, never fatal."""
    for path in paths:
        kind = _kind(path.name) or "json"
        if kind == "archive":
            yield from _read_archive(path)
            continue
        try:
            fh = path.open("rb")
        except OSError as exc:
            raise UsageError(f"cannot read the listens file {path}: {exc.strerror}") from exc
        with fh:
            if kind == "parquet":
                yield from _read_parquet(fh, str(path), path.stem)
            else:
                yield from _read_json_lines(fh, str(path), path.stem)


def _read_json_lines(fh: IO[bytes], where: str, default_user: str) -> Iterator[Listen]:
    bad = 0
    for raw in fh:
        try:
            line = json.loads(raw)
        except ValueError:
            bad += 1
            continue
        listen = parse_listen(line, default_user) if isinstance(line, dict) else None
        if listen is None:
            bad += 1
            continue
        yield listen
    if bad:
        log.warning("skipped %d unusable lines in %s", bad, where)


def _first_column(names: Sequence[str], wanted: Sequence[str]) -> str | None:
    return next((c for c in wanted if c in names), None)


def parquet_columns(names: Sequence[str], where: str) -> dict[str, str | None]:
    """Which column holds the user, artist, title, mbid and genres; artist and title required."""
    found = {
        "user": _first_column(names, USER_COLUMNS),
        "artist": _first_column(names, ARTIST_COLUMNS),
        "title": _first_column(names, TITLE_COLUMNS),
        "mbid": _first_column(names, MBID_COLUMNS),
        "genres": _first_column(names, GENRE_COLUMNS),
    }
    if found["artist"] is None or found["title"] is None:
        raise UsageError(
            f"{where} has no artist and title columns (artist_name/artist and "
            "recording_name/track_name/title)"
        )
    return found


def _read_parquet(fh: IO[bytes], where: str, default_user: str) -> Iterator[Listen]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise UsageError(
            'reading Parquet needs pyarrow (pip install "tonearm[server]"): ' + str(exc)
        ) from exc
    try:
        reader = pq.ParquetFile(fh)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid for a damaged file
        raise UsageError(f"{where} is not a readable Parquet file: {exc}") from exc
    columns = parquet_columns(reader.schema_arrow.names, where)
    wanted = [c for c in columns.values() if c is not None]
    bad = 0
    for batch in reader.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=wanted):
        data = batch.to_pydict()
        rows = len(batch)
        column = {role: data[name] if name else [None] * rows for role, name in columns.items()}
        for n in range(rows):
            listen = parse_listen(
                {
                    "user": column["user"][n],
                    "artist": column["artist"][n],
                    "title": column["title"][n],
                    "mbid": column["mbid"][n],
                    "genres": column["genres"][n],
                },
                default_user,
            )
            if listen is None:
                bad += 1
            else:
                yield listen
    if bad:
        log.warning("skipped %d unusable rows in %s", bad, where)


def _open_archive(path: Path) -> tuple[IO[bytes], subprocess.Popen | None]:
    if not path.name.lower().endswith(".tar.zst"):
        return path.open("rb"), None
    try:
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(path.open("rb")), None
    except ImportError:
        pass
    zstd = shutil.which("zstd")
    if zstd is None:
        raise UsageError(
            f"{path} is zstd-compressed: install zstd (or the zstandard package), "
            f"or unpack it first with: tar --zstd -xf {path}"
        )
    proc = subprocess.Popen([zstd, "-dc", str(path)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    return proc.stdout, proc


def _read_archive(path: Path) -> Iterator[Listen]:
    """A ListenBrainz dump read as a stream: JSON lines and Parquet members, nothing unpacked."""
    try:
        raw, proc = _open_archive(path)
    except OSError as exc:
        raise UsageError(f"cannot read the listens archive {path}: {exc.strerror}") from exc
    try:
        with tarfile.open(fileobj=raw, mode="r|*") as tar:
            for member in tar:
                kind = _kind(member.name)
                if not member.isfile() or kind not in ("json", "parquet"):
                    continue
                fh = tar.extractfile(member)
                if fh is None:
                    continue
                where = f"{path}:{member.name}"
                stem = Path(member.name).stem
                if kind == "parquet":  # Parquet needs seeking: one member (≤ 128 MB) in memory
                    yield from _read_parquet(io.BytesIO(fh.read()), where, stem)
                else:
                    yield from _read_json_lines(fh, where, stem)
    except tarfile.TarError as exc:
        raise UsageError(f"{path} is not a readable tar archive: {exc}") from exc
    finally:
        raw.close()
        if proc is not None:
            proc.wait()


def item_key(listen: Listen, mbid_by_name: dict[str, str], name: str | None = None) -> str:
    """MusicBrainz id when known (directly or by another listen of the same name), else the name.

    `name` is the listen's normalised artist + title when the caller has it already. When listens
    of one name carry different ids, the smallest id is the one the name joins (a rule a
    distributed build can follow without knowing the order of the input)."""
    name = normalise_artist_title(listen.artist, listen.title) if name is None else name
    mbid = listen.mbid or mbid_by_name.get(name)
    return f"mbid:{mbid}" if mbid else f"name:{name}"
