"""Reading many users' listens from ListenBrainz-style JSON lines, keyed for the CF model.

Accepted line shapes (one JSON object per line):
    ListenBrainz: {"user_name": "...", "listened_at": 1700000000, "track_metadata": {
        "artist_name": "...", "track_name": "...", "additional_info": {"recording_mbid": "...",
        "tags": ["jazz"]}, "mbid_mapping": {"recording_mbid": "..."}}}
    flat:         {"user": "...", "artist": "...", "title": "...", "mbid": "...", "genre": "..."}
A line without a user belongs to a user named after its file (one export per user).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from recommender.core.errors import UsageError
from recommender.remote.protocol import MBID_RE, normalise_artist_title

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Listen:
    """One listen, reduced to what the model needs: who, what, and its genres."""

    user: str
    artist: str
    title: str
    mbid: str | None
    genres: tuple[str, ...] = ()


def _genres(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.replace("/", ";").split(";")
    if not isinstance(value, list):
        return ()
    return tuple(
        " ".join(g.split()).casefold()[:50] for g in value[:10] if isinstance(g, str) and g.strip()
    )


def _mbid(*values: object) -> str | None:
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
        mbid = _mbid(mapping.get("recording_mbid"), info.get("recording_mbid"))
        genres = _genres(info.get("tags") or info.get("genre"))
    else:
        artist, title = line.get("artist"), line.get("title")
        mbid = _mbid(line.get("mbid"), line.get("recording_mbid"))
        genres = _genres(line.get("genres") or line.get("genre"))
    if not isinstance(artist, str) or not isinstance(title, str):
        return None
    if not artist.strip() or not title.strip():
        return None
    user = line.get("user_name") or line.get("user") or line.get("user_id") or default_user
    return Listen(str(user), artist.strip(), title.strip(), mbid, genres)


def read_listens(paths: Iterable[Path], digest: hashlib._Hash | None = None) -> Iterator[Listen]:
    """Every usable listen in the files; bad lines are counted and logged, never fatal."""
    for path in paths:
        bad = 0
        try:
            fh = path.open("rb")
        except OSError as exc:
            raise UsageError(f"cannot read the listens file {path}: {exc.strerror}") from exc
        with fh:
            for raw in fh:
                if digest is not None:
                    digest.update(raw)
                try:
                    line = json.loads(raw)
                except ValueError:
                    bad += 1
                    continue
                listen = parse_listen(line, path.stem) if isinstance(line, dict) else None
                if listen is None:
                    bad += 1
                    continue
                yield listen
        if bad:
            log.warning("skipped %d unusable lines in %s", bad, path)


def item_key(listen: Listen, mbid_by_name: dict[str, str], name: str | None = None) -> str:
    """MusicBrainz id when known (directly or by another listen of the same name), else the name.

    `name` is the listen's normalised artist + title when the caller has it already.
    """
    name = normalise_artist_title(listen.artist, listen.title) if name is None else name
    mbid = listen.mbid or mbid_by_name.get(name)
    return f"mbid:{mbid}" if mbid else f"name:{name}"
