import numpy as np

from recommender.discovery.mixes import build_mixes, mix_name
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


def test_mixes_are_stable_from_run_to_run_and_named_only_by_what_dominates(store):
    sim = simulate(600, 6000, 1, seed=5)
    write_to_store(store, sim)
    names = [n or "" for (n,) in store.conn.execute("SELECT artist FROM tracks ORDER BY id")]
    first = build_mixes(load_taste_model(store), names, 4)
    second = build_mixes(load_taste_model(store), names, 4)
    assert [m.rows for m in first] == [m.rows for m in second]
    assert len(first) == 4
    assert [m.name for m in first] == [m.name for m in second]
    assert len({m.name for m in first}) == 4  # "Mix", "Mix 2"… when nothing dominates
    # each simulated scene is one genre: that genre names its mix, its many artists do not
    assert all(m.name.startswith(m.top_genres[0]) for m in first if not m.name.startswith("Mix"))
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


def test_a_mix_is_named_by_what_most_of_it_is_or_says_less():
    # 20 tracks of one soundtrack (2 with a genre tag, half without an artist), 2 of another
    genres = ["Electronic"] * 2 + [""] * 18 + ["Thrash Metal"] * 2
    artists = ["Composer A"] * 12 + [""] * 8 + ["Band B"] * 2
    assert mix_name(genres, artists) == "Composer A and more"  # no genre holds half of it
    assert mix_name(["jazz"] * 3 + ["Rock"], ["X"] * 4) == "Jazz: X"
    assert mix_name(["Electronic"] * 2 + ["Thrash Metal"] * 2, [""] * 4) == "Mix"


def test_an_artist_pair_is_named_in_one_order_whatever_the_counts():
    first = mix_name([""] * 10, ["Zed"] * 6 + ["Amy"] * 4)  # Zed alone holds more than half
    assert first == "Zed and more"
    pair_a = mix_name([""] * 10, ["Zed"] * 5 + ["Amy"] * 3 + ["Bob", "Cy"])
    pair_b = mix_name([""] * 10, ["Amy"] * 5 + ["Zed"] * 3 + ["Bob", "Cy"])
    assert pair_a == pair_b == "Amy & Zed and more"
    assert mix_name([""] * 10, ["Zed"] * 4 + ["Amy"] * 2 + list("abcd")) == "Mix"  # Amy < 1/4
