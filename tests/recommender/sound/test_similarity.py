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


def _albums_like_a_real_model(n_albums: int, per_album: int, seed: int = 0) -> np.ndarray:
    """Unit vectors whose cosines all sit high (0.8 to 1, as a real model's do), with the
    tracks of one album closer together than the rest."""
    rng = np.random.default_rng(seed)
    shared = np.ones(32) * 3.0
    centres = rng.normal(size=(n_albums, 32))
    rows = [shared + c + rng.normal(scale=0.4, size=(per_album, 32)) for c in centres]
    return _unit(np.concatenate(rows))


def test_closeness_tells_album_mates_from_the_least_unrelated_tracks() -> None:
    vectors = np.concatenate(
        [
            _albums_like_a_real_model(8, 10),
            _unit(
                np.ones((1, 32)) * 3.0 + np.random.default_rng(9).normal(scale=1.0, size=(1, 32))
            ),
        ]
    )
    index = _index(vectors, [""] * len(vectors), [f"t{i}" for i in range(len(vectors))])
    cosines = index.matrix @ index.matrix.T
    assert cosines.min() > 0.5  # raw scores alone all look "alike"

    mates = index.similar(1, 5)  # track 1's album is tracks 1 to 10
    assert all(n.track_id <= 10 for n in mates)
    assert min(n.percentile for n in mates) > 90
    assert mates[0].closeness.startswith("top ") and mates[0].closeness.endswith(" %")

    loner = index.similar(len(vectors), 5)  # a track from no album: neighbours are strangers
    assert max(n.percentile for n in loner) < min(n.percentile for n in mates)


def test_calibration_keeps_the_cosine_ranking() -> None:
    vectors = _albums_like_a_real_model(5, 8, seed=2)
    index = _index(vectors, [""] * 40, [f"t{i}" for i in range(40)])
    got = index.similar(3, 20)
    scores = [n.score for n in got]
    assert scores == sorted(scores, reverse=True)
    assert [n.percentile for n in got] == sorted((n.percentile for n in got), reverse=True)
    expected = np.argsort(-(index.matrix @ index.matrix[2]), kind="stable")[1:21] + 1
    assert [n.track_id for n in got] == list(expected)


def test_sampled_calibration_of_a_big_library_agrees_with_every_pair() -> None:
    vectors = _albums_like_a_real_model(160, 20, seed=3)  # 3,200 tracks: sampled pairs
    index = _index(vectors, [""] * len(vectors), [""] * len(vectors))
    pairs = (index.matrix @ index.matrix.T)[np.triu_indices(len(vectors), k=1)]
    for cosine in np.quantile(pairs, [0.5, 0.9, 0.99]):
        exact = 100.0 * float((pairs < cosine).mean())
        assert index.percentiles(np.array([cosine]))[0] == pytest.approx(exact, abs=1.0)


def test_closeness_label_reads_as_a_share_of_pairs() -> None:
    from recommender.sound.similarity import closeness_label

    assert closeness_label(99.97) == "top 0.1 %"
    assert closeness_label(99.7) == "top 0.3 %"
    assert closeness_label(88.0) == "top 12 %"
    assert closeness_label(float("nan")) == "?"
