"""Item-item CF over many users' listens: neighbours, keys, fill, saving."""

from __future__ import annotations

import json

import pytest

from recommender.core.errors import UsageError
from recommender.server.listens import Listen, parse_listen, read_listens
from recommender.server.model import build_model, build_model_from_files, load_model
from tests.recommender.remote_fakes import write_listens

MBID = "11111111-2222-4333-8444-555555555555"


def _listens(pairs):
    return [Listen(user, artist, title, mbid) for user, artist, title, mbid in pairs]


def test_neighbours_come_from_users_who_share_taste(tmp_path):
    path = tmp_path / "l.jsonl"
    write_listens(path)
    model = build_model_from_files([path])
    out = model.recommend([("Artist 3-1", "Song 3-9", None)], k=10)
    assert len(out) == 10
    assert sum(s.artist.startswith("Artist 3-") for s in out) >= 9
    assert ("Artist 3-1", "Song 3-9") not in {(s.artist, s.title) for s in out}
    assert out == sorted(out, key=lambda s: -s.score)


def test_same_recording_with_and_without_mbid_is_one_item():
    model = build_model(
        _listens(
            [
                ("a", "The Band", "Song (Remastered)", MBID),
                ("b", "the band", "song", None),
                ("b", "Other", "Thing", None),
            ]
        )
    )
    assert model.size == 2
    assert model.lookup("THE BAND", "Song", None) == model.lookup("x", "y", MBID)


def test_unknown_seeds_get_popular_items_with_genre_preference():
    rows = [(f"u{u}", "Pop", "Hit", None) for u in range(5)] + [("u0", "Jazz", "Tune", None)]
    listens = _listens(rows)
    listens[-1] = Listen("u0", "Jazz", "Tune", None, ("jazz",))
    model = build_model(listens)
    plain = model.recommend([("Nobody", "Nothing", None)], k=2)
    assert [s.title for s in plain] == ["Hit", "Tune"]
    assert all(s.reason == "popular with listeners" for s in plain)
    jazz = model.recommend([], genres=["Jazz"], k=2)
    assert jazz[0].title == "Tune"


def test_saved_model_answers_like_the_built_one(tmp_path):
    path = tmp_path / "l.jsonl"
    write_listens(path, users=50)
    model = build_model_from_files([path])
    model.save(tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    seeds = [("Artist 1-2", "Song 1-10", None)]
    assert loaded.version == model.version
    assert loaded.recommend(seeds, k=8) == model.recommend(seeds, k=8)


def test_reader_takes_listenbrainz_and_flat_lines_and_skips_bad_ones(tmp_path):
    path = tmp_path / "alice.jsonl"
    lines = [
        {
            "listened_at": 1,
            "track_metadata": {
                "artist_name": "A",
                "track_name": "T",
                "mbid_mapping": {"recording_mbid": MBID},
            },
        },
        {"user": "bob", "artist": "B", "title": "U", "genre": "Rock/Pop"},
        {"user": "bob", "artist": "", "title": "U"},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    got = list(read_listens([path]))
    assert got == [Listen("alice", "A", "T", MBID), Listen("bob", "B", "U", None, ("rock", "pop"))]
    assert parse_listen({"artist": 3, "title": "x"}, "u") is None


def test_user_based_answers_name_the_artists_shared_with_near_listeners(tmp_path):
    path = tmp_path / "l.jsonl"
    write_listens(path)
    model = build_model_from_files([path])
    seeds = [("Artist 3-1", "Song 3-9", None), ("Artist 3-2", "Song 3-10", None)]
    out = model.recommend(seeds, [("Artist 3-4", "Song 3-4", None)], k=10, cf="user")
    assert sum(s.artist.startswith("Artist 3-") for s in out) >= 9
    assert out[0].reason.startswith("listeners who share")
    assert "of your artists play it" in out[0].reason
    assert not {("Artist 3-1", "Song 3-9"), ("Artist 3-2", "Song 3-10")} & {
        (s.artist, s.title) for s in out
    }


def test_model_does_not_depend_on_the_order_of_the_listens(tmp_path):
    import random

    path = tmp_path / "l.jsonl"
    write_listens(path, users=40)
    listens = list(read_listens([path]))
    shuffled = listens[:]
    random.Random(1).shuffle(shuffled)
    assert build_model(listens).version == build_model(shuffled).version


def test_a_listener_counts_only_their_most_played_items():
    rows = [Listen("big", f"A{i}", f"T{i}", None) for i in range(30)]
    rows += [Listen("big", "A0", "T0", None)] * 3 + [Listen("small", "A1", "T1", None)]
    model = build_model(rows, user_item_cap=10)
    big = model.profiles[0]
    assert big.nnz == 10 and model.lookup("A0", "T0", None) in big.indices


def test_reader_takes_folders_globs_parquet_and_listenbrainz_dumps(tmp_path):
    import io
    import tarfile

    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from recommender.server.listens import listen_files

    dump = tmp_path / "listenbrainz-listens-dump-1-20260101-000000-full"
    (dump / "listens" / "2025").mkdir(parents=True)
    line = {
        "user_id": 7,
        "user_name": "rob",
        "timestamp": 1700000000,
        "recording_msid": "x",
        "track_metadata": {"artist_name": "A", "track_name": "T", "additional_info": {}},
    }
    (dump / "listens" / "2025" / "3.listens").write_text(json.dumps(line) + "\n")
    spark_dump = tmp_path / "spark" / "0.parquet"
    spark_dump.parent.mkdir()
    pq.write_table(
        pa.table(
            {
                "user_id": [7, 8],
                "artist_name": ["B", " "],
                "recording_name": ["U", "V"],
                "recording_mbid": [MBID.upper(), None],
            }
        ),
        spark_dump,
    )
    archive = tmp_path / "dump.tar"
    with tarfile.open(archive, "w") as tar:
        data = (json.dumps(line) + "\n").encode()
        info = tarfile.TarInfo("listenbrainz-listens-dump-2/listens/2025/4.listens")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    got = list(read_listens(listen_files([dump, str(tmp_path / "spark" / "*.parquet"), archive])))
    assert got == [
        Listen("rob", "A", "T", None),
        Listen("7", "B", "U", MBID),
        Listen("rob", "A", "T", None),
    ]
    with pytest.raises(UsageError, match="no listens files match"):
        listen_files([str(tmp_path / "nothing-*.jsonl")])
