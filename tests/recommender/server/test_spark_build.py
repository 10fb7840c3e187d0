"""Parity: the Spark build (local mode) and the in-process build make the same model.

200,000 SIMULATED listens with the awkward parts of real data: spellings that differ in case,
a leading "The" or a "(Remastered)" tail, MusicBrainz ids on some listens of a recording and
not on others, genres, and one listener past the per-listener item cap.
"""

from __future__ import annotations

import numpy as np
import pytest

from recommender.server.model import (
    CF_MODES,
    NEIGHBOURS,
    USER_ITEM_CAP,
    build_model_from_files,
    load_model,
)

pa = pytest.importorskip("pyarrow")
pytest.importorskip("pyspark")

LISTENS = 200_000


def _write_listens(path) -> None:
    import pyarrow.parquet as pq

    from recommender.evaluate.simulate import simulate

    sim = simulate(n_tracks=4000, n_plays=LISTENS - 1100, n_listeners=1500, seed=3)
    rng = np.random.default_rng(5)
    item = sim.plays.item.astype(np.int64)
    user = [f"listener{u}" for u in sim.plays.user.tolist()]
    # one listener who played 800 different items: only their 500 most played may count
    heavy = np.concatenate([np.arange(800), np.arange(300)]) % sim.n_tracks  # 1,100 listens
    item = np.concatenate([item, heavy])
    user += ["heavy"] * len(heavy)
    n = len(item)
    variant = rng.random(n)
    artists = np.array(sim.artist, dtype=object)[item]
    titles = np.array(sim.title, dtype=object)[item]
    artists = np.where(variant < 0.1, np.char.upper(artists.astype(str)).astype(object), artists)
    artists = np.where((variant >= 0.1) & (variant < 0.15), "The " + artists, artists)
    titles = np.where(variant > 0.95, titles + " (Remastered)", titles)
    with_id = (item % 3 == 0) & (rng.random(n) < 0.5)  # some listens of a third of the tracks
    mbids = np.array([f"{i:08x}-0000-4000-8000-000000000000" for i in item.tolist()], object)
    mbids = np.where(with_id, mbids, None)
    genres = np.array(sim.genre, dtype=object)[item]
    table = pa.table(
        {
            "user": user,
            "artist": artists.tolist(),
            "title": titles.tolist(),
            "mbid": mbids.tolist(),
            "genre": genres.tolist(),
        }
    )
    pq.write_table(table, path)


@pytest.fixture(scope="module")
def both(tmp_path_factory, spark):
    from recommender.server.spark_build import build_model_spark

    folder = tmp_path_factory.mktemp("parity")
    path = folder / "listens.parquet"
    _write_listens(path)
    built = build_model_spark([path], folder / "spark.npz", spark=spark)
    spark_model = load_model(built.path)
    assert (built.version, built.size, built.users) == (
        spark_model.version,
        spark_model.size,
        spark_model.users,
    )
    return build_model_from_files([path]), spark_model


def test_spark_and_in_process_builds_agree_on_items_and_neighbours(both):
    local, spark = both
    assert local.listens == spark.listens == LISTENS
    assert list(local.keys) == list(spark.keys)
    assert list(local.artists) == list(spark.artists)
    assert list(local.genres) == list(spark.genres)
    assert local.users == spark.users
    assert any(k.startswith("mbid:") for k in local.keys)
    kept, shared, boundary_only = 0, 0, True
    for item in range(local.size):
        a = local.neighbours[item]
        b = spark.neighbours[item]
        assert a.nnz <= NEIGHBOURS and b.nnz <= NEIGHBOURS
        mine, theirs = set(a.indices.tolist()), set(b.indices.tolist())
        kept += len(mine)
        shared += len(mine & theirs)
        if mine != theirs:  # a difference may only be a tie at the 50th place
            cut = float(a.data.min())
            differ = np.isin(a.indices, list(mine - theirs))
            boundary_only &= bool(np.all(np.abs(a.data[differ] - cut) <= 2e-6))
    assert shared / kept >= 0.99
    assert boundary_only
    assert abs(local.neighbours - spark.neighbours).max() <= 2e-6
    # the capped listener contributes the same 500 items to both
    assert abs(local.profiles - spark.profiles).max() <= 1e-6
    assert np.diff(local.profiles.indptr).max() == USER_ITEM_CAP


def test_spark_and_in_process_models_answer_alike(both):
    local, spark = both
    rng = np.random.default_rng(1)
    same, asked = 0, 0
    for _ in range(60):
        rows = rng.choice(local.size, 4, replace=False)
        seeds = [(str(local.artists[i]), str(local.titles[i]), None) for i in rows]
        for cf in CF_MODES:
            a = [(s.artist, s.title, s.reason) for s in local.recommend(seeds, k=20, cf=cf)]
            b = [(s.artist, s.title, s.reason) for s in spark.recommend(seeds, k=20, cf=cf)]
            asked += 1
            same += a == b
    assert same / asked >= 0.99


def test_the_model_file_is_the_same_read_by_pyarrow_or_through_spark(tmp_path, spark, monkeypatch):
    """Staging on a cluster's file system is read through the session, one partition at a
    time; a local folder by pyarrow after the JVM stops. Both write the same file."""
    from recommender.server import spark_build
    from tests.recommender.remote_fakes import write_listens

    listens = tmp_path / "l.jsonl"
    write_listens(listens, users=60)
    frame = spark_build.read_listens_frame(spark, [str(listens)])
    staging = str(tmp_path / "staging")
    stats = spark_build.compute_parts(spark, frame, staging)
    by_arrow = spark_build.write_staged_model(staging, stats, tmp_path / "a.npz")
    monkeypatch.setattr(spark_build, "_is_local", lambda where: False)
    by_spark = spark_build.write_staged_model(staging, stats, tmp_path / "b.npz", spark)
    local = build_model_from_files([listens])
    assert by_arrow.version == by_spark.version == local.version
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    loaded = load_model(tmp_path / "b.npz")
    seeds = [("Artist 1-2", "Song 1-10", None)]
    assert loaded.recommend(seeds, k=8, cf="blend") == local.recommend(seeds, k=8, cf="blend")
