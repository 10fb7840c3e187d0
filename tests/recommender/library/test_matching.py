from recommender.library.matching import LibraryMatcher
from recommender.library.names import normalise_artist_title
from tests.recommender.history_factory import add_tracks


def test_normalisation_ignores_case_punctuation_credits_and_version_notes():
    key = normalise_artist_title("The Beatles", "Let It Be")
    assert normalise_artist_title("the beatles", "LET IT BE!") == key
    assert normalise_artist_title("The Beatles feat. Billy Preston", "Let It Be") == key
    assert normalise_artist_title("Beatles", "Let It Be (Remastered 2009)") == key
    assert normalise_artist_title("The Beatles", "Let It Be - Live") == key
    assert normalise_artist_title("The Beatles", "Let It Be - 2009 Remaster") == key


def test_normalisation_keeps_what_tells_songs_apart():
    assert normalise_artist_title("X", "Song Part 2") != normalise_artist_title("X", "Song")
    assert normalise_artist_title("Billy Idol", "Dancing with Myself")[1] == "dancing with myself"
    assert normalise_artist_title("AC/DC", "T.N.T.")[0] == "ac dc"


def test_matcher_prefers_musicbrainz_id_then_artist_and_title(store):
    a, b = add_tracks(store, [("Daft Punk", "Get Lucky"), ("Daft Punk", "Lose Yourself to Dance")])
    store.conn.execute("UPDATE tracks SET mb_recording_id = 'abc' WHERE id = ?", (b,))
    matcher = LibraryMatcher.from_store(store)
    assert matcher.match("daft punk ft. Pharrell Williams", "Get Lucky (Radio Edit)") == a
    assert matcher.match("Someone Else", "Other", "ABC") == b
    assert matcher.match("Daft Punk", "Around the World") is None
