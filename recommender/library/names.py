"""One normalisation of artist and title names, so "The Beatles - Let It Be (Remastered 2009)"
and "beatles - let it be" are the same song for the matcher, the taste model and the server.

The keys are stored on each track (`artist_key`, `title_key`, `albumartist_key`, schema 5)
because normalising every name on every model load cost more than the rest of reading the
tracks. So a change to what these functions return needs a new migration that recomputes the
stored keys (`tracks.KEYS_FROM_NAMES_SQL`); a reader computes any key that is NULL itself.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_BRACKETS_RE = re.compile(r"[\(\[\{][^\)\]\}]*[\)\]\}]")
_FEAT_RE = re.compile(r"\s+(feat\.?|featuring|ft\.?)\s+.*$")
_DASH_SUFFIX_RE = re.compile(
    r"\s+[-–—]\s+[^-–—]*\b(remaster(ed)?|live|mono|stereo|version|edit|mix|demo|single|"
    r"acoustic|bonus|deluxe|radio|instrumental|session)\b[^-–—]*$"
)
_NON_WORD_RE = re.compile(r"[^\w]+")
_ARTIST_SPLIT_RE = re.compile(r"\s*(,|;|/|\bx\b|\bvs\.?\b)\s+.*$")


def _fold(text: str) -> str:
    if not text.isascii():  # strip accents: "Beyoncé" matches "Beyonce"
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold()


def normalise_title(title: str | None) -> str:
    """A title without case, punctuation, bracketed notes, "feat." credits or "- Live" tails."""
    text = _fold(title or "").strip()
    text = _DASH_SUFFIX_RE.sub("", text)
    text = _BRACKETS_RE.sub(" ", text)
    text = _FEAT_RE.sub("", text)
    text = text.replace("&", " and ")
    text = _NON_WORD_RE.sub(" ", text)
    return " ".join(text.split())


@functools.lru_cache(maxsize=1 << 14)
def normalise_artist(artist: str | None) -> str:
    """The lead artist only: no "feat."/"ft." guests, no leading "the", no punctuation.

    Cached: an artist's name comes with each of its tracks (a scan normalises it twice a
    file, as artist and as album artist)."""
    text = _fold(artist or "").strip()
    text = _BRACKETS_RE.sub(" ", text)
    text = _FEAT_RE.sub("", text)
    text = _ARTIST_SPLIT_RE.sub("", text)
    text = text.replace("&", " and ")
    text = _NON_WORD_RE.sub(" ", text)
    text = " ".join(text.split())
    if text.startswith("the "):
        text = text[4:]
    return text


def normalise_artist_title(artist: str | None, title: str | None) -> tuple[str, str]:
    """The (artist, title) key two services agree on for one recording."""
    return normalise_artist(artist), normalise_title(title)


def recording_key(artist: str | None, title: str | None) -> str:
    """`normalise_artist_title` as one string ("artist\\x1ftitle"); "" when the title is unknown."""
    a, t = normalise_artist_title(artist, title)
    return f"{a}\x1f{t}" if t else ""


def normalise_album(album: str | None) -> str:
    """An album name without case, punctuation or "(Deluxe Edition)"-style notes."""
    return normalise_title(album)


def lead_artist_key(artist: str | None, fallback: str | None) -> str:
    """`normalise_artist` of `artist`, or of `fallback` when there is no artist: a track's
    `artist_key` is (artist, album artist), its `albumartist_key` (album artist, artist)."""
    return normalise_artist(artist or fallback)


NAME_KEY_COLUMNS = ("artist_key", "title_key", "albumartist_key")
"""The track columns `name_keys` fills, in its order."""


def name_keys(
    artist: str | None, albumartist: str | None, title: str | None
) -> tuple[str, str, str]:
    """(artist_key, title_key, albumartist_key): what a track stores beside its names."""
    return (
        lead_artist_key(artist, albumartist),
        normalise_title(title),
        lead_artist_key(albumartist, artist),
    )
