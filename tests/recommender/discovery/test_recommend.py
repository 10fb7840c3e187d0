import re

import numpy as np
import pytest

from recommender.discovery.recommend import dismiss, recommend
from recommender.discovery.taste_model import load_taste_model
from tests.recommender.history_factory import DAY_S, add_embeddings, add_session, add_tracks

NOW = 1_700_000_000.0


@pytest.fixture
def library(store):
    """Two scenes of five artists with three tracks each; sessions stay inside one scene."""
    specs = [(f"Artist {s}{a}", f"Song {t}") for s in "AB" for a in range(5) for t in range(3)]
    ids = add_tracks(store, specs)
    scene_a, scene_b = ids[:15], ids[15:]
    rng = np.random.default_rng(0)
    t = NOW - 1000 * DAY_S  # long ago: the latest session says what the listener wants now
    for day in range(40):
        scene = scene_a if day % 2 == 0 else scene_b
        t = add_session(store, list(rng.choice(scene, 8, replace=False)), t) + 3 * DAY_S
    return store, scene_a, scene_b


def _ids(recs):
    return [r.track.id for r in recs]


def test_co_played_tracks_recommend_each_other(library):
    store, scene_a, _ = library
    add_session(store, scene_a[:3], NOW - 3600)  # lately: scene A only
    recs = recommend(store, 6, model=load_taste_model(store, now=NOW))
    assert recs
    top = _ids(recs)[:4]
    assert all(t in scene_a for t in top), top


def test_skips_push_recommendations_down(library):
    store, scene_a, _ = library
    add_session(store, scene_a[:3], NOW - 7200)
    before = _ids(recommend(store, 12, model=load_taste_model(store, now=NOW)))
    target = next(t for t in before if t in scene_a)
    for i in range(3):  # skipped again and again, today
        add_session(store, [target], NOW - 3000 + i * 60, skipped={target})
    after = _ids(recommend(store, 12, model=load_taste_model(store, now=NOW)))
    assert target not in after


def test_explanations_name_tracks_that_were_really_played(library):
    store, scene_a, _ = library
    add_session(store, scene_a[3:6], NOW - 3600)
    recs = recommend(store, 5, model=load_taste_model(store, now=NOW))
    played = {
        f"{a} – {t}"
        for a, t in store.conn.execute(
            "SELECT DISTINCT t.artist, t.title FROM plays p JOIN tracks t ON t.id = p.track_id"
        )
    }
    for r in recs:
        assert r.reasons
        cf = [x for x in r.reasons if x.startswith("because you played ")]
        assert cf, r.reasons
        named = cf[0].removeprefix("because you played ").removesuffix(" (often together)")
        assert named in played


def test_artist_cap_dismissed_and_recent_plays_are_respected(library):
    store, scene_a, _ = library
    add_session(store, scene_a[:2], NOW - 600)
    dismiss(store, scene_a[2])
    recs = recommend(store, 10, model=load_taste_model(store, now=NOW), max_per_artist=1)
    artists = [r.track.artist for r in recs]
    assert len(artists) == len(set(artists))
    assert scene_a[2] not in _ids(recs)
    assert not set(_ids(recs)) & set(scene_a[:2])


def test_sound_answers_for_a_new_library_with_embeddings(store):
    ids = add_tracks(store, [(f"Artist {i}", f"Song {i}") for i in range(8)])
    rng = np.random.default_rng(1)
    base = rng.normal(size=16)
    vectors = {tid: base + rng.normal(size=16) * (0.1 if i < 4 else 3) for i, tid in enumerate(ids)}
    add_embeddings(store, vectors)
    add_session(store, [ids[0]], NOW - 600)  # one play, no co-play history at all
    recs = recommend(store, 3, model=load_taste_model(store, now=NOW))
    assert set(_ids(recs)) <= set(ids[1:4])
    assert any("sounds like Artist 0 – Song 0" in reason for reason in recs[0].reasons)


def test_a_sound_reason_says_how_close_among_the_librarys_pairs(store):
    # Ten tracks around one sound and thirty far from it: a near one is in the top few
    # per cent of the library's pairs, which a raw cosine ("0.97") does not say.
    ids = add_tracks(store, [(f"Artist {i}", f"Song {i}") for i in range(40)])
    rng = np.random.default_rng(3)
    base = rng.normal(size=16)
    vectors = {
        tid: (base if i < 10 else rng.normal(size=16)) + rng.normal(size=16) * 0.1
        for i, tid in enumerate(ids)
    }
    add_embeddings(store, vectors)
    add_session(store, [ids[0]], NOW - 600)
    recs = recommend(store, 3, model=load_taste_model(store, now=NOW))
    reason = next(r for r in recs[0].reasons if r.startswith("sounds like Artist 0 – Song 0"))
    assert re.search(r"\(top \d+(\.\d)? %\)$", reason), reason
    share = float(re.search(r"top ([\d.]+) %", reason).group(1))
    assert share <= 10  # 45 of the 780 pairs are the close ones: about the top 6 %


def test_a_user_with_no_history_still_gets_suggestions_from_different_artists(store):
    add_tracks(store, [(f"Artist {i % 4}", f"Song {i}") for i in range(12)])
    recs = recommend(store, 3)
    assert len(recs) == 3
    assert recs[0].reasons == ("new in your library",)
    assert len({r.track.artist for r in recs}) == 3


def test_a_suggestion_is_never_explained_by_itself(store):
    ids = add_tracks(store, [(f"Artist {i}", f"Song {i}") for i in range(6)])
    rng = np.random.default_rng(2)
    add_embeddings(store, {tid: rng.normal(size=8) for tid in ids})
    add_session(store, ids[:3], NOW - 30 * DAY_S)  # played, but not lately: may come back
    for r in recommend(store, 6, model=load_taste_model(store, now=NOW)):
        own = f"{r.track.artist} – {r.track.title}"
        assert all(own not in reason for reason in r.reasons), (own, r.reasons)


def test_a_kept_model_learns_of_new_plays_without_a_rebuild(library):
    store, scene_a, _ = library
    add_session(store, scene_a[:3], NOW - 7200)
    model = load_taste_model(store, now=NOW)
    target = next(r.track.id for r in recommend(store, 12, model=model))
    for i in range(2):  # the player tells the kept model about two skips
        model.note_play(target, NOW - 600 + i * 30, 5.0, completed=False, skipped=True)
    assert target not in _ids(recommend(store, 12, model=model))
