"""Sound coverage notes and mix tiles: what the GUI's status line and mixes view read."""

from __future__ import annotations

import numpy as np

from recommender.discovery.library_mixes import library_mixes
from recommender.discovery.taste_model import load_taste_model
from recommender.sound.coverage import sound_coverage
from tests.recommender.history_factory import DAY_S, add_embeddings, add_session, add_tracks


def _library(store, n=60):
    specs = [(f"Artist {i // 10}", f"Song {i}") for i in range(n)]
    return add_tracks(store, specs, genre="Jazz")


def test_no_model_and_no_embeddings_says_similarity_is_not_available(store, tmp_path):
    _library(store, 5)
    cov = sound_coverage(store, model_path=tmp_path / "absent.onnx")
    assert (cov.tracks, cov.embedded, cov.model_installed) == (5, 0, False)
    assert not cov.similarity_available
    assert "not available yet" in cov.note and "model is not installed" in cov.note


def test_embeddings_are_counted_for_present_tracks(store, tmp_path):
    ids = _library(store, 6)
    rng = np.random.default_rng(1)
    add_embeddings(store, {t: rng.normal(size=8) for t in ids[:4]})
    store.conn.execute("UPDATE tracks SET missing = 1 WHERE id = ?", (ids[0],))
    model = tmp_path / "model.onnx"
    model.write_bytes(b"x")
    cov = sound_coverage(store, model_path=model)
    assert (cov.tracks, cov.embedded, cov.model_version) == (5, 3, "test-1")
    assert cov.note == "3 of 5 tracks have sound embeddings."


def test_mix_tiles_carry_track_ids_and_display_artists(store):
    ids = _library(store, 60)
    rng = np.random.default_rng(2)
    add_embeddings(store, {t: rng.normal(size=8) + (i // 20) * 4 for i, t in enumerate(ids)})
    add_session(store, ids[:10], 1_000_000_000 - 20 * DAY_S)
    tiles = library_mixes(store, load_taste_model(store), k=3)
    assert len(tiles) == 3
    assert all(t.top_artists and t.top_artists[0].startswith("Artist ") for t in tiles)
    assert all(set(t.track_ids) <= set(ids) for t in tiles)
    assert tiles == library_mixes(store, load_taste_model(store), k=3)
