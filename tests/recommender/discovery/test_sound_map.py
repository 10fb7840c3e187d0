"""The sound map's projection is stable, and its grid finds the points a pointer is on."""

from __future__ import annotations

import numpy as np

from recommender.discovery.sound_map import PointGrid, _fix_signs, load_sound_map, project_2d
from tests.recommender.history_factory import add_embeddings, add_tracks


def _library(store, n=60, dim=16, seed=4):
    specs = [(f"Artist {i % 7}", f"Song {i}") for i in range(n)]
    ids = add_tracks(store, specs, genre="Jazz")
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, dim)) * 3
    add_embeddings(store, {t: centres[i % 3] + rng.normal(size=dim) for i, t in enumerate(ids)})
    return ids


def test_projection_is_identical_between_runs(store):
    ids = _library(store)
    first, second = load_sound_map(store), load_sound_map(store)
    assert first.track_ids.tolist() == sorted(ids)
    assert np.array_equal(first.xy, second.xy)
    assert first.mix_of is not None and np.array_equal(first.mix_of, second.mix_of)
    assert np.abs(first.xy).max() <= 1.0 and first.explained[0] >= first.explained[1] > 0


def test_projection_ignores_row_order_and_eigenvector_signs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8)) * np.arange(8, 0, -1)
    xy, _ = project_2d(x)
    perm = rng.permutation(200)
    xy_perm, _ = project_2d(x[perm])
    np.testing.assert_allclose(xy_perm, xy[perm], atol=1e-6)
    comps = rng.normal(size=(2, 8))
    assert np.array_equal(_fix_signs(comps), _fix_signs(-comps))


def test_projection_separates_clusters(store):
    ids = _library(store)
    sound_map = load_sound_map(store, with_mixes=False)
    group = np.array([ids.index(int(t)) % 3 for t in sound_map.track_ids])
    centres = np.array([sound_map.xy[group == g].mean(axis=0) for g in range(3)])
    spread = max(sound_map.xy[group == g].std(axis=0).max() for g in range(3))
    gaps = [np.linalg.norm(centres[a] - centres[b]) for a, b in ((0, 1), (0, 2), (1, 2))]
    assert min(gaps) > spread


def test_a_library_without_embeddings_has_an_empty_map(store):
    add_tracks(store, [("A", "B")])
    assert len(load_sound_map(store)) == 0


def test_grid_finds_the_nearest_point_and_exactly_the_points_in_a_rectangle():
    rng = np.random.default_rng(1)
    xy = rng.uniform(-1, 1, size=(5000, 2))
    grid = PointGrid(xy)
    for x, y in rng.uniform(-1, 1, size=(50, 2)):
        d = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
        expected = int(np.argmin(d)) if d.min() <= 0.05 else None
        assert grid.nearest(x, y, 0.05) == expected
    rect = (-0.3, 0.6, 0.2, -0.1)
    inside = (xy[:, 0] >= -0.3) & (xy[:, 0] <= 0.2) & (xy[:, 1] >= -0.1) & (xy[:, 1] <= 0.6)
    assert grid.inside(*rect).tolist() == np.flatnonzero(inside).tolist()
    assert PointGrid(np.zeros((0, 2))).nearest(0, 0, 1) is None
