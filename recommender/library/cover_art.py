"""Cover art for a track: the picture embedded in the file, else cover/folder images beside it."""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

COVER_FILE_NAMES: tuple[str, ...] = (
    "cover.jpg", "cover.png", "folder.jpg", "folder.png", "front.jpg", "front.png",
    "album.jpg", "albumart.jpg",
)  # fmt: skip
MAX_COVER_BYTES = 20_000_000


def embedded_picture(path: str) -> bytes | None:
    """The front cover (or the first picture) stored in the file's tags, if any."""
    import mutagen

    try:
        audio = mutagen.File(path)
    except Exception as exc:  # a damaged file has no cover, not an error for the user
        log.debug("no cover from %s: %s", path, exc)
        return None
    if audio is None:
        return None
    pictures = getattr(audio, "pictures", None)  # FLAC
    if pictures:
        front = [p for p in pictures if getattr(p, "type", None) == 3]
        return (front or pictures)[0].data
    tags = audio.tags
    if tags is None:
        return None
    if hasattr(tags, "getall"):  # ID3
        apics = tags.getall("APIC")
        if apics:
            front = [p for p in apics if p.type == 3]
            return (front or apics)[0].data
    covr = tags.get("covr") if hasattr(tags, "get") else None  # MP4
    if covr:
        return bytes(covr[0])
    blocks = tags.get("metadata_block_picture") if hasattr(tags, "get") else None  # Ogg
    if blocks:
        import base64

        from mutagen.flac import Picture

        try:
            return Picture(base64.b64decode(blocks[0])).data
        except Exception as exc:
            log.debug("bad picture block in %s: %s", path, exc)
    return None


def folder_picture_paths(path: str) -> list[str]:
    """cover.jpg, folder.jpg (and friends, any case) in the track's folder, best first."""
    folder = os.path.dirname(path)
    try:
        names = {n.lower(): n for n in os.listdir(folder)}
    except OSError:
        return []
    return [os.path.join(folder, names[w]) for w in COVER_FILE_NAMES if w in names]


def folder_picture(path: str) -> bytes | None:
    """The bytes of the first readable folder picture that is not absurdly large."""
    for full in folder_picture_paths(path):
        try:
            if os.path.getsize(full) <= MAX_COVER_BYTES:
                with open(full, "rb") as fh:
                    return fh.read()
        except OSError:
            continue
    return None


def find_cover(path: str) -> bytes | None:
    """Image bytes for a track's cover, or None."""
    return embedded_picture(path) or folder_picture(path)
