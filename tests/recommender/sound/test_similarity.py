"""Similarity search: top-k, never the seed, one entry per recording, artist cap."""

import numpy as np
import pytest

from recommender.core.errors import NotFoundError
from recommender.library.store import open_store
from recommender.sound.similarity import SimilarityIndex, load_index


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _index(vectors, artists, titles) -> SimilarityIndex:
    return SimilarityIndex(
        "v1", np.arange(1, len(vectors) + 1), _unit(np.asarray(vectors, float)), artists, titles
    )


def test_top_k_matches_brute_force_sort() -> None:
    rng = np.random.default_rng(0)
    index = _index(rng.normal(size=(500, 16)), [""] * 500, [""] * 500)
    query = index.matrix[7]
    rows, scores = index.top_k(query, 20)
    expected = np.argsort(-(index.matrix @ query))[:20]
    assert list(rows) == list(expected)
    assert np.all(np.diff(scores) <= 0)


def test_similar_never_returns_the_seed_and_drops_duplicate_recordings() -> None:
    vectors = [
        [1, 0, 0, 0],  # 1 seed
        [1, 0.3, 0, 0],  # 2 same artist+title as the seed (another copy): dropped
        [1, 0, 0.0001, 0],  # 3 near-identical vector to the seed: dropped
        [1, 0.5, 0, 0],  # 4
        [1, 0.55, 0, 0],  # 5 same recording as 4 by name: dropped
        [1, 0, 0.9, 0],  # 6
    ]
    artists = ["a", "a", "b", "c", "c", "d"]
    titles = ["song", "song", "other", "x", "x", "y"]
    got = [n.track_id for n in _index(vectors, artists, titles).similar(1, 10)]
    assert got == [4, 6]


def test_max_per_artist_caps_one_artist() -> None:
    rng = np.random.default_rng(1)
    vectors = np.ones((30, 8)) + rng.normal(scale=0.1, size=(30, 8))
    artists = ["same"] * 20 + [f"other{i}" for i in range(10)]
    titles = [f"t{i}" for i in range(30)]
    index = _index(vectors, artists, titles)
    got = index.similar(1, 10, max_per_artist=2)
    assert len(got) == 10
    assert sum(1 for n in got if n.track_id <= 20) == 2


def test_unknown_track_and_empty_store_raise_not_found(tmp_path) -> None:
    index = _index(np.eye(3), ["a", "b", "c"], ["x", "y", "z"])
    with pytest.raises(NotFoundError):
        index.similar(99)
    with open_store(tmp_path) as store, pytest.raises(NotFoundError, match="analyze"):
        load_index(store)
