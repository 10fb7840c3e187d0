import numpy as np

from recommender.discovery.mixes import build_mixes
from recommender.discovery.taste_model import load_taste_model
from recommender.evaluate.history import dataset_from_listens, evaluate
from recommender.evaluate.simulate import (
    simulate,
    write_embeddings_npz,
    write_listens_jsonl,
    write_to_store,
)
from recommender.history.imports import read_listens


def test_simulation_is_repeatable_and_random_picks_are_skipped_more():
    a = simulate(600, 6000, 30, seed=4)
    b = simulate(600, 6000, 30, seed=4)
    assert np.array_equal(a.plays.item, b.plays.item)
    assert len(a.plays) == 6000
    # plays outside the listener's usual scenes are skipped far more often
    same_scene = a.scene_idx[a.plays.item]
    usual = np.zeros(len(a.plays), bool)
    for u in np.unique(a.plays.user):
        mine = a.plays.user == u
        top = np.bincount(same_scene[mine]).argmax()
        usual |= mine & (same_scene == top)
    assert a.plays.skipped[~usual].mean() > a.plays.skipped[usual].mean()


def test_mixes_are_stable_from_run_to_run_and_named_by_artists(store):
    sim = simulate(600, 6000, 1, seed=5)
    write_to_store(store, sim)
    names = [n or "" for (n,) in store.conn.execute("SELECT artist FROM tracks ORDER BY id")]
    first = build_mixes(load_taste_model(store), names, 4)
    second = build_mixes(load_taste_model(store), names, 4)
    assert [m.rows for m in first] == [m.rows for m in second]
    assert len(first) == 4
    assert all(m.top_artists[0] in m.name for m in first)
    assert sum(m.size for m in first) == 600


def test_evaluation_ranks_the_blend_above_popularity_and_sound(tmp_path):
    sim = simulate(800, 30000, 150, seed=6)
    write_listens_jsonl(sim, tmp_path / "l.jsonl")
    write_embeddings_npz(sim, tmp_path / "e.npz")
    listens = read_listens(tmp_path / "l.jsonl").listens
    rows = {r["method"]: r for r in evaluate(dataset_from_listens(listens, tmp_path / "e.npz"))}
    blend = rows["blend (tonearm recommend)"]["ndcg@10"]
    assert blend > rows["popularity"]["ndcg@10"]
    assert blend > rows["sound only"]["ndcg@10"]
    assert rows["popularity"]["users"] > 50
