"""The library's mixes as plain data for a view: names, top artists and track ids (not rows).

`build_mixes` works on a TasteModel's rows and needs display artist names by row; this reads
them once so that callers (the GUI's mixes view) never touch SQL or model rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from recommender.discovery.mixes import MIX_COUNT, build_mixes
from recommender.discovery.taste_model import TasteModel
from recommender.library.store import Store
from recommender.library.tracks import display_names as track_display_names


@dataclass(frozen=True)
class MixTile:
    name: str
    size: int  # tracks in the cluster
    top_artists: tuple[str, ...]
    top_genres: tuple[str, ...]
    track_ids: tuple[int, ...]  # what playing the mix plays, nearest the centre first


def display_names(store: Store, model: TasteModel) -> tuple[list[str], list[str]]:
    """(artists, titles) to show for each model row; the artist falls back to the album artist."""
    names = track_display_names(store)
    pairs = [names.get(int(t), ("", "")) for t in model.track_ids.tolist()]
    return [a for a, _ in pairs], [t for _, t in pairs]


def library_mixes(store: Store, model: TasteModel, k: int = MIX_COUNT) -> list[MixTile]:
    """Up to `k` mixes of the library, largest first (the same data gives the same mixes)."""
    mixes = build_mixes(model, display_names(store, model)[0], k)
    return [
        MixTile(
            name=m.name,
            size=m.size,
            top_artists=m.top_artists,
            top_genres=m.top_genres,
            track_ids=tuple(int(model.track_ids[r]) for r in m.rows),
        )
        for m in mixes
    ]
