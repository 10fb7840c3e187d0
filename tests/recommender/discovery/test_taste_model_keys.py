"""The taste model's name keys are the matcher's: the same song is the same key everywhere."""

from __future__ import annotations

from recommender.discovery.taste_model import load_taste_model
from recommender.library.names import normalise_artist, recording_key
from tests.library_factory import insert_file

NAMES = [
    # (artist, album artist, title, album)
    ("The Beatles feat. Billy Preston", None, "Let It Be (Remastered 2009)", "Let It Be"),
    ("Beatles", "The Beatles", "Let It Be - Live", "Live"),
    (None, "Beyoncé", "Halo", "I Am... Sasha Fierce"),
    ("Beyonce & Jay-Z", None, None, None),
    (None, None, "Untitled", None),
]


def test_keys_equal_the_matchers_keys_for_every_track(store):
    for i, (artist, albumartist, title, album) in enumerate(NAMES):
        insert_file(store, f"/music/{i}.ogg", artist=artist, albumartist=albumartist,
                    title=title, album=album)  # fmt: skip
    model = load_taste_model(store)
    for row, (artist, albumartist, title, album) in enumerate(NAMES):
        assert model.artist_keys[row] == normalise_artist(artist or albumartist)
        assert model.recording_keys[row] == recording_key(artist or albumartist, title)
        lead = normalise_artist(albumartist or artist)
        assert model.album_keys[row] == (f"{lead}\x1f{album.casefold()}" if album else "")
    assert model.recording_keys[0] == model.recording_keys[1] != ""
    assert model.artist_keys[2] == "beyonce"
