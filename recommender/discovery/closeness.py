"""How close tracks are to one another, from every signal the library has: co-play (item-CF),
sound (embeddings) and tags (same artist, album, genre). Radio and playlist walks use this, so
they work with no embeddings, no history, or both.
"""

from __future__ import annotations

import numpy as np

from recommender.discovery.taste_model import TasteModel

CF_WEIGHT = 1.0
SOUND_WEIGHT = 1.0
SAME_ARTIST = 0.25
SAME_ALBUM = 0.1
SAME_GENRE = 0.15
SOUND_POOL = 400
SECOND_HOP = 20
"""Neighbours of each seed's top neighbours also join the pool (two hops in the CF graph)."""
TAG_POOL = 1500


def candidate_pool(model: TasteModel, seeds: np.ndarray, *, depth: int = 1) -> np.ndarray:
    """Rows worth considering near `seeds` (CF neighbours, two hops; the nearest by sound;
    same artist or genre); `depth` > 1 widens every source for when the pool runs dry."""
    parts: list[np.ndarray] = []
    nb = model.neighbours.matrix
    first = nb[seeds].indices if len(seeds) else np.empty(0, np.int32)
    parts.append(first)
    if len(first):
        hop = nb[np.unique(first)[: SECOND_HOP * max(1, len(seeds)) * depth]].indices
        parts.append(hop)
    vectors = model.vectors
    if vectors is not None:
        with_vec = seeds[model.has_vector[seeds]]
        if len(with_vec):
            centroid = vectors[with_vec].mean(axis=0)
            sims = vectors @ centroid
            k = min(SOUND_POOL * depth, model.n_tracks)
            parts.append(np.argpartition(-sims, k - 1)[:k])
    tag_rows = _same_tags(model, seeds)
    if len(tag_rows):
        parts.append(tag_rows[: TAG_POOL * depth])
    pool = np.unique(np.concatenate(parts)) if parts else np.empty(0, np.int64)
    if len(pool) < 50 * depth:  # little is known: fill with the rest of the library
        rng = np.random.default_rng(int(seeds.sum()) if len(seeds) else 0)
        extra = rng.permutation(model.n_tracks)[: 200 * depth]
        pool = np.unique(np.concatenate((pool, extra)))
    return pool.astype(np.int64)


def _same_tags(model: TasteModel, seeds: np.ndarray) -> np.ndarray:
    artists = model.artist_code[seeds]
    genres = model.genre_code[seeds]
    same_artist = np.flatnonzero(np.isin(model.artist_code, artists[artists >= 0]))
    genre_rows = np.flatnonzero(np.isin(model.genre_code, genres[genres >= 0]))
    if len(genre_rows) > TAG_POOL:
        rng = np.random.default_rng(len(seeds))
        genre_rows = rng.choice(genre_rows, TAG_POOL, replace=False)
    return np.concatenate((same_artist, genre_rows))


def closeness(model: TasteModel, sources: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Closeness (about 0..1.5) of each pool row to a set of source rows, averaged over them."""
    out = np.zeros(len(pool), np.float32)
    if len(sources) == 0 or len(pool) == 0:
        return out
    nb = model.neighbours.matrix
    cf = np.asarray(nb[sources][:, pool].sum(axis=0)).ravel() / len(sources)
    top = cf.max() if len(cf) else 0
    if top > 0:
        out += CF_WEIGHT * (cf / top)
    vectors = model.vectors
    if vectors is not None:
        with_vec = sources[model.has_vector[sources]]
        if len(with_vec):
            sims = (vectors[pool] @ vectors[with_vec].T).mean(axis=1)
            sims = np.where(model.has_vector[pool], sims, 0.0)
            out += SOUND_WEIGHT * np.clip(sims, 0, None)
    src_artists = model.artist_code[sources]
    same_artist = np.isin(model.artist_code[pool], src_artists[src_artists >= 0])
    out += SAME_ARTIST * same_artist
    for codes, weight in (
        (model.album_code, SAME_ALBUM),
        (model.genre_code, SAME_GENRE),
    ):
        src = codes[sources]
        out += weight * np.isin(codes[pool], src[src >= 0])
    return out
