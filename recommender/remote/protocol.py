"""The remote recommendation protocol, version 1: shapes, limits and the client's strict checks.

Shared by the client (`remote_client`) and the reference server (`recommender.server`), so the
two cannot drift apart. Plain Python only: the base install validates answers without pydantic.
See docs/remote-protocol.md for the prose version.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from recommender.library.names import recording_key

PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "Tonearm-Protocol"
"""Sent by both sides on every request and answer; the body carries the same number."""

RECOMMEND_PATH = "/music/recommend"
HEALTH_PATH = "/health"

MAX_K = 100
MAX_SEEDS = 50
MAX_RECENT = 200
MAX_GENRES = 20
MAX_TEXT_CHARS = 300
MAX_REASON_CHARS = 500
MAX_USER_ID_CHARS = 64
MAX_REQUEST_BYTES = 64 * 1024
MAX_RESPONSE_BYTES = 256 * 1024

MBID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
USER_ID_RE = re.compile(r"^[0-9a-f]{32}$")


class ProtocolViolation(ValueError):
    """An answer that does not follow the protocol; the message says which field and why."""


@dataclass(frozen=True)
class RemoteItem:
    """One suggestion from the service: what it is, how sure, and why."""

    artist: str
    title: str
    mbid: str | None
    score: float
    reason: str


@dataclass(frozen=True)
class RemoteAnswer:
    """A validated answer: the items in the service's order and the model that made them."""

    items: tuple[RemoteItem, ...]
    model_name: str
    model_version: str


# --- normalised keys: one definition for the client, the server and history import -------------

normalise_artist_title = recording_key
"""The (artist, title) matching key as one string; see `recommender.library.names`."""


def clean_text(value: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Text the protocol allows: control characters as spaces, runs of spaces as one, at most
    `limit` characters. Both sides use it: the client on tags, the server on its answers."""
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in value)
    return " ".join(text.split())[:limit].strip()


# --- the client's strict check of an answer ---------------------------------------------------


def _text(value: Any, where: str, limit: int = MAX_TEXT_CHARS, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ProtocolViolation(f"{where} should be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise ProtocolViolation(f"{where} is longer than {limit} characters")
    if not empty and not value.strip():
        raise ProtocolViolation(f"{where} is empty")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ProtocolViolation(f"{where} contains control characters")
    return value


def _mbid(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not MBID_RE.match(value):
        raise ProtocolViolation(f"{where} is not a MusicBrainz id")
    return value


def parse_answer(data: Any, *, k: int) -> RemoteAnswer:
    """Check a decoded answer against protocol 1; unknown extra keys are ignored (additive)."""
    if not isinstance(data, dict):
        raise ProtocolViolation("the answer is not a JSON object")
    protocol = data.get("protocol")
    if protocol != PROTOCOL_VERSION or isinstance(protocol, bool):
        raise ProtocolViolation(
            f"the service speaks protocol {protocol!r}; this Tonearm speaks {PROTOCOL_VERSION}"
        )
    model = data.get("model")
    if not isinstance(model, dict):
        raise ProtocolViolation("model should be an object with name and version")
    name = _text(model.get("name"), "model.name", 100)
    version = _text(model.get("version"), "model.version", 100)
    items = data.get("items")
    if not isinstance(items, list):
        raise ProtocolViolation("items should be a list")
    if len(items) > k:
        raise ProtocolViolation(f"the service sent {len(items)} items; {k} were asked for")
    parsed: list[RemoteItem] = []
    for index, item in enumerate(items):
        where = f"items[{index}]"
        if not isinstance(item, dict):
            raise ProtocolViolation(f"{where} is not an object")
        score = item.get("score")
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise ProtocolViolation(f"{where}.score should be a number")
        if not math.isfinite(score):
            raise ProtocolViolation(f"{where}.score is not finite")
        parsed.append(
            RemoteItem(
                artist=_text(item.get("artist"), f"{where}.artist"),
                title=_text(item.get("title"), f"{where}.title"),
                mbid=_mbid(item.get("mbid"), f"{where}.mbid"),
                score=float(score),
                reason=_text(
                    item.get("reason", ""), f"{where}.reason", MAX_REASON_CHARS, empty=True
                ),
            )
        )
    return RemoteAnswer(items=tuple(parsed), model_name=name, model_version=version)
