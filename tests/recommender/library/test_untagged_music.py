"""Music without tags: one wording for a missing artist, an artist from the folder where that is
unambiguous, one album per folder in the browser."""

from __future__ import annotations

from recommender.app.library_update import update_library
from recommender.library.columns import browser_mask, browser_values, load_library_columns
from recommender.library.tracks import UNKNOWN_ARTIST, artist_and_title, get_track
from recommender.playlists.files import write_playlist_file
from tests.audio_factory import make_track
from tests.library_factory import insert_file


def _artists(store) -> dict[str, str | None]:
    rows = store.conn.execute("SELECT path, artist FROM tracks").fetchall()
    return {p.rsplit("/", 1)[-1]: a for p, a in rows}


def test_untagged_files_take_the_artist_their_folder_makes_unambiguous(store, tmp_path):
    root = tmp_path / "Music"
    make_track(root, "Snowy OST/01.ogg", title="Snowy", artist="Kara", album="Snowy OST")
    make_track(root, "Snowy OST/02.ogg", title="Ice")  # no artist tag, no album tag
    make_track(root, "Mixed OST/01.ogg", title="A", artist="One")
    make_track(root, "Mixed OST/02.ogg", title="B", artist="Two")
    make_track(root, "Mixed OST/03.ogg", title="Lava")  # two artists beside it: ambiguous
    make_track(root, "Band/01.ogg", title="C", albumartist="The Band")
    update_library(store, [str(root)], workers=1)
    by_file = {
        p.split("/Music/")[-1]: (a, al, g)
        for p, a, al, g in store.conn.execute("SELECT path, artist, album, guessed FROM tracks")
    }
    assert by_file["Snowy OST/02.ogg"][:2] == ("Kara", "Snowy OST")  # album from the folder
    assert "artist" in by_file["Snowy OST/02.ogg"][2]  # marked as guessed, not a tag
    assert by_file["Mixed OST/03.ogg"][0] is None
    assert by_file["Band/01.ogg"][0] == "The Band"
    lava = next(
        get_track(store, tid)
        for (tid,) in store.conn.execute("SELECT id FROM tracks WHERE title = 'Lava'")
    )
    assert artist_and_title(lava) == "Unknown artist – Lava"

    columns = load_library_columns(store, use_cache=False)
    artists = dict(browser_values(columns, "artist"))
    assert artists[UNKNOWN_ARTIST] == 1 and "None" not in artists
    assert browser_mask(columns, "artist", UNKNOWN_ARTIST).sum() == 1
    albums = [value for value, _n in browser_values(columns, "album")]
    mixed = [a for a in albums if a.startswith("Mixed OST")]
    assert len(mixed) == 1 and mixed[0].endswith("Various artists")  # one folder, one album
    assert browser_mask(columns, "album", mixed[0]).sum() == 3


def test_playlist_files_never_name_a_missing_artist_none(store, tmp_path):
    path = make_track(tmp_path, "lava.ogg")
    tid = insert_file(store, path, title="Lava")
    track = get_track(store, tid)
    out = tmp_path / "flow.m3u8"
    write_playlist_file([track], out, name=f"flow from {artist_and_title(track, ' - ')}")
    text = out.read_text()
    assert "#PLAYLIST:flow from Unknown artist - Lava" in text and "None" not in text
