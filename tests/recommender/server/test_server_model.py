"""Item-item CF over many users' listens: neighbours, keys, fill, saving."""

from __future__ import annotations

import json

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
