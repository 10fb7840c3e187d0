"""The record every recommender returns: a track (or a not-in-library item) and its reasons."""

from __future__ import annotations

from dataclasses import dataclass, field

from recommender.library.tracks import Track

SOURCE_LOCAL = "local"
SOURCE_REMOTE = "remote"
SOURCE_BLENDED = "both"


@dataclass(frozen=True)
class Recommendation:
    """A suggestion. `track` is None for a remote "discover" item that is not in the library."""

    score: float
    reasons: tuple[str, ...]
    track: Track | None = None
    artist: str | None = None
    title: str | None = None
    mb_recording_id: str | None = None
    source: str = SOURCE_LOCAL
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def playable(self) -> bool:
        return self.track is not None and not self.track.missing

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "score": round(self.score, 4),
            "reasons": list(self.reasons),
            "source": self.source,
            "playable": self.playable,
        }
        if self.track is not None:
            data.update(self.track.to_json())
        else:
            data["artist"] = self.artist
            data["title"] = self.title
            data["mb_recording_id"] = self.mb_recording_id
        return data
