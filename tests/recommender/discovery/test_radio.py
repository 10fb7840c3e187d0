import numpy as np
import pytest

from recommender.core.errors import NotFoundError
from recommender.discovery.closeness import closeness
from recommender.discovery.radio import Radio, resolve_seed
from recommender.discovery.taste_model import load_taste_model
from tests.recommender.history_factory import DAY_S, add_session, add_tracks

NOW = 1_700_000_000.0


@pytest.fixture
def library(store):
    """Three artists dominate the co-play history, so a radio would happily repeat them."""
    specs = [(f"Artist {a}", f"Song {t}") for a in range(8) for t in range(10)]
    ids = add_tracks(store, specs, genre="Rock")
    rng = np.random.default_rng(2)
    big = ids[:30]
    t = NOW - 100 * DAY_S
    for _ in range(30):
        t = add_session(store, list(rng.choice(big, 10, replace=False)), t) + DAY_S
    return store, ids


def test_never_three_by_one_artist_in_a_row(library):
    store, _ = library
    radio = Radio(store, resolve_seed(store, "artist:Artist 0"), random_seed=0)
    artists = [r.track.artist for r in radio.next(40)]
    assert len(artists) == 40
    for a, b, c in zip(artists, artists[1:], artists[2:], strict=False):
        assert not (a == b == c), artists


def test_no_repeats_within_the_window_and_endless(library):
    store, ids = library
    radio = Radio(store, resolve_seed(store, str(ids[0])), repeat_window=30, random_seed=0)
    picks = [r.track.id for _ in range(6) for r in radio.next(25)]
    assert len(picks) == 150  # more than the library holds: it keeps going
    assert ids[0] not in picks[:29]
    for i in range(len(picks)):
        window = picks[max(0, i - 29) : i]
        assert picks[i] not in window


def test_skips_in_the_session_steer_away(library):
    store, ids = library
    model = load_taste_model(store, now=NOW)
    seed = resolve_seed(store, str(ids[0]))
    plain = Radio(store, seed, model=model, random_seed=0)
    steered = Radio(store, seed, model=model, random_seed=0)
    first = steered.next(1)[0].track
    plain.next(1)
    steered.skipped(first.id)  # already played, so only the steering can change what follows
    skipped_row = np.array([model.row_of[first.id]])

    def nearness(radio):
        rows = np.array([model.row_of[r.track.id] for r in radio.next(10)])
        return float(closeness(model, skipped_row, rows).mean())

    assert nearness(steered) < nearness(plain)


def test_seed_text_names_what_does_not_exist(store):
    add_tracks(store, [("Artist", "Song")])
    assert resolve_seed(store, "album:Artist LP").kind == "album"
    with pytest.raises(NotFoundError, match="nothing in the library"):
        resolve_seed(store, "artist:Nobody")


def test_a_seed_artist_matches_whatever_its_case_and_accents(store):
    from tests.library_factory import insert_file

    joga = insert_file(store, "/m/joga.flac", artist="Björk", title="Jóga", album="Homogenic")
    insert_file(store, "/m/other.flac", artist="Bjorn", title="Other", album="Homogenic")
    for text in ("artist:BJÖRK", "artist:björk", "artist:bjork"):
        assert resolve_seed(store, text).track_ids == (joga,)
    assert len(resolve_seed(store, "album:HOMOGENIC").track_ids) == 2
