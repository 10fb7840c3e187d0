import xml.etree.ElementTree as ET

import numpy as np
import pytest

from recommender.discovery.flow import artist_cap, generate_playlist
from recommender.discovery.taste_model import load_taste_model
from recommender.library.tracks import get_tracks
from recommender.playlists.files import (
    import_playlist_file,
    read_playlist_file,
    write_m3u8,
    write_xspf,
)
from recommender.playlists.saved import (
    create_playlist,
    delete_playlist,
    find_playlist,
    list_playlists,
    move_item,
    playlist_track_ids,
    remove_items,
    rename_playlist,
    save_playlist,
)
from tests.recommender.history_factory import DAY_S, add_embeddings, add_session, add_tracks

NOW = 1_700_000_000.0


@pytest.fixture
def library(store, tmp_path):
    root = str(tmp_path / "Music")
    specs = [(f"Artist {a}", f"Song {t}") for a in range(10) for t in range(6)]
    ids = add_tracks(store, specs, root=root)
    rng = np.random.default_rng(3)
    add_embeddings(store, {tid: rng.normal(size=8) + (i // 30) * 3 for i, tid in enumerate(ids)})
    t = NOW - 50 * DAY_S
    for _ in range(20):
        t = add_session(store, list(rng.choice(ids, 8, replace=False)), t) + DAY_S
    return store, ids, tmp_path


@pytest.mark.parametrize("suffix", [".m3u8", ".xspf"])
def test_playlists_round_trip_through_files(library, suffix):
    store, ids, tmp_path = library
    chosen = [ids[5], ids[0], ids[33], ids[12]]
    tracks = [get_tracks(store, [t])[t] for t in chosen]
    out = tmp_path / f"mix{suffix}"
    (write_m3u8 if suffix == ".m3u8" else write_xspf)(tracks, out, name="Mix")
    result = import_playlist_file(store, out)
    assert result.not_found == []
    assert playlist_track_ids(store, result.playlist_id) == chosen


def test_m3u8_is_extended_with_relative_paths(library):
    store, ids, tmp_path = library
    tracks = list(get_tracks(store, ids[:2]).values())
    out = tmp_path / "list.m3u8"
    write_m3u8(tracks, out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U"
    assert lines[1] == "#EXTINF:200,Artist 0 - Song 0"
    assert lines[2] == "#EXTALB:Artist 0 LP"
    assert lines[3] == "Music/Artist 0/Song 0.flac"


def test_xspf_is_valid_xml_with_file_uris_and_milliseconds(library):
    store, ids, tmp_path = library
    out = tmp_path / "list.xspf"
    write_xspf(list(get_tracks(store, ids[:1]).values()), out)
    root = ET.parse(out).getroot()
    ns = {"x": "http://xspf.org/ns/0/"}
    assert root.tag == "{http://xspf.org/ns/0/}playlist"
    assert root.find("x:trackList/x:track/x:location", ns).text.startswith("file:///")
    assert root.find("x:trackList/x:track/x:duration", ns).text == "200000"


def test_import_reports_entries_not_in_the_library(library):
    store, _, tmp_path = library
    pls = tmp_path / "radio.pls"
    pls.write_text(
        "[playlist]\nFile1=Music/Artist 1/Song 2.flac\nTitle1=Artist 1 - Song 2\n"
        "File2=/elsewhere/nothing.mp3\nTitle2=Ghost - Track\nLength2=100\n"
        "File3=/moved/file.flac\nTitle3=artist 2 - SONG 3\nNumberOfEntries=3\n"
    )
    result = import_playlist_file(store, pls)
    assert result.found == 2
    assert [e.title for e in result.not_found] == ["Track"]
    m3u = tmp_path / "old.m3u"
    m3u.write_bytes("#EXTM3U\n#EXTINF:10,Caf\xe9 - Song\n/nowhere.mp3\n".encode("latin-1"))
    assert read_playlist_file(m3u)[0].artist == "Café"


@pytest.mark.parametrize("mode", ["flow", "path"])
def test_generated_playlists_keep_seeds_once_no_duplicates_and_the_artist_cap(library, mode):
    store, ids, _ = library
    model = load_taste_model(store, now=NOW)
    seeds = [model.row_of[ids[0]], model.row_of[ids[40]]]
    rows = generate_playlist(model, seeds, 20, mode=mode)
    assert len(rows) == 20
    assert len(set(rows)) == 20
    assert all(rows.count(s) == 1 for s in seeds)
    artists = [model.artist_keys[r] for r in rows]
    assert max(artists.count(a) for a in set(artists)) <= artist_cap(20)
    if mode == "path":
        assert rows[0] == seeds[0] and rows[-1] == seeds[1]


def test_saved_playlist_crud(store):
    ids = add_tracks(store, [("A", f"S{i}") for i in range(4)])
    pid = save_playlist(store, "Morning", ids[:3])
    rename_playlist(store, pid, "Evening")
    assert find_playlist(store, "evening").size == 3
    move_item(store, pid, 0, 2)
    assert playlist_track_ids(store, pid) == [ids[1], ids[2], ids[0]]
    remove_items(store, pid, [1])
    assert playlist_track_ids(store, pid) == [ids[1], ids[0]]
    other = create_playlist(store, "Empty")
    delete_playlist(store, pid)
    assert [p.id for p in list_playlists(store)] == [other]


def test_moving_a_block_of_entries_keeps_their_order(store):
    from recommender.playlists.saved import move_items, moved, playlist_track_ids, save_playlist

    assert moved([1, 2, 3, 4, 5], [3, 0], 2) == ([2, 1, 4, 3, 5], 1)
    assert moved([1, 2, 3], [0], 3) == ([2, 3, 1], 2)
    ids = add_tracks(store, [("A", str(i)) for i in range(5)])
    pid = save_playlist(store, "Mine", ids)
    assert move_items(store, pid, [4], 0) == 0
    assert playlist_track_ids(store, pid) == [ids[4], *ids[:4]]
