"""How much of the library has sound embeddings, and whether similarity by sound works yet.

The GUI's analysis status and its "More like this" panel show this, so that a missing model or
an unanalysed library reads as a clear note rather than an empty list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from recommender.library.store import Store
from recommender.library.tracks import present_track_count
from recommender.sound import model as sound_model
from recommender.sound.embeddings import coverage_counts
from recommender.sound.similarity import current_model_version


@dataclass(frozen=True)
class SoundCoverage:
    """Present tracks, how many have a vector of the current model version, and the model."""

    tracks: int
    embedded: int
    failed: int
    model_version: str | None
    model_installed: bool

    @property
    def similarity_available(self) -> bool:
        return self.embedded > 0

    @property
    def note(self) -> str:
        """One sentence for the user: what works, and what is missing if anything."""
        if self.tracks == 0:
            return "No tracks yet: add a music folder to get started."
        if not self.model_installed and not self.embedded:
            return (
                "Similarity by sound is not available yet: the sound model is not installed. "
                "Recommendations, radio and playlists use your plays and tags meanwhile."
            )
        if not self.embedded:
            return (
                "Similarity by sound is not available yet: no track has been analysed. "
                "Analysis runs in the background while it is switched on in Settings."
            )
        text = f"{self.embedded:,} of {self.tracks:,} tracks have sound embeddings"
        if self.failed:
            text += f" ({self.failed:,} could not be analysed)"
        if not self.model_installed:
            return text + "; the sound model is not installed, so new tracks are not analysed."
        return text + "."


def sound_coverage(store: Store, *, model_path: Path | None = None) -> SoundCoverage:
    """Counts over present tracks for the embedding version similarity uses."""
    model_path = sound_model.MODEL_PATH if model_path is None else model_path
    tracks = present_track_count(store)
    version = current_model_version(store)
    embedded = failed = 0
    if version is not None:
        embedded, failed = coverage_counts(store, version)
    return SoundCoverage(
        tracks=int(tracks),
        embedded=int(embedded),
        failed=int(failed),
        model_version=version,
        model_installed=Path(model_path).is_file(),
    )
