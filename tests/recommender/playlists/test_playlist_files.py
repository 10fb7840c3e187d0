"""Playlist files as other players write and read them, each written here by hand in that
player's conventions: mpv (plain relative lines), VLC (XSPF with relative, percent-escaped
locations and xml:base), foobar2000 on Windows (backslashes, CRLF, a drive letter), Quod Libet
(XSPF with file:// URIs and a title)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender.cli.main import main
from recommender.library.tracks import get_tracks
from recommender.playlists.files import (
    import_playlist_file,
    read_playlist,
    write_m3u8,
    write_playlist_file,
    write_pls,
)
from recommender.playlists.saved import find_playlist, playlist_track_ids, save_playlist
from tests.library_factory import insert_file

ALBUMS = ("Album 1", "Album 2")
SONGS = 10


@pytest.fixture
def music(store, tmp_path: Path):
    """20 tracks: the same ten titles by one artist on two albums (the second ones 30 s
    longer), and one track in a folder whose name starts with '#'. Paths need not exist."""
    root = tmp_path / "Music"
    root.mkdir()
    ids: dict[tuple[str, int], int] = {}
    for a, album in enumerate(ALBUMS):
        for n in range(1, SONGS + 1):
            path = root / "Artist A" / album / f"{n:02d} Song {n}.flac"
            ids[(album, n)] = insert_file(
                store, path, title=f"Song {n}", artist="Artist A", album=album,
                duration=180.0 + 30 * a + n,
            )  # fmt: skip
    hits = insert_file(
        store, root / "#1 Hits" / "01 Intro.flac", title="Intro", artist="B", duration=60.0
    )
    return store, root, ids, hits


def _imported(store, path: Path) -> tuple[list[int], int]:
    result = import_playlist_file(store, path)
    return playlist_track_ids(store, result.playlist_id), len(result.not_found)


def test_m3u8_round_trip_keeps_a_folder_whose_name_starts_with_hash(music):
    store, root, ids, hits = music
    chosen = [hits, ids[("Album 1", 1)]]
    tracks = get_tracks(store, chosen)
    out = root / "mix.m3u8"
    write_m3u8([tracks[t] for t in chosen], out, name="Mix")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert "./#1 Hits/01 Intro.flac" in lines  # a line starting with '#' is a comment
    assert _imported(store, out) == (chosen, 0)


def test_mpv_style_plain_list_with_dot_slash_hash_entries_and_a_playlist_name(music):
    store, root, ids, hits = music
    (root / "mpv.m3u").write_text(
        "#PLAYLIST:Late night\n./#1 Hits/01 Intro.flac\nArtist A/Album 2/03 Song 3.flac\n"
    )
    result = import_playlist_file(store, root / "mpv.m3u")
    assert result.name == "Late night"
    assert find_playlist(store, "Late night").id == result.playlist_id
    assert playlist_track_ids(store, result.playlist_id) == [hits, ids[("Album 2", 3)]]


def test_foobar2000_windows_playlist_resolves_every_entry_by_path(music):
    """Relative backslash paths in other letter case, CRLF, cp1252; and the same list with
    absolute C:\\ paths of the machine it was made on."""
    store, root, ids, _hits = music
    want = [ids[(album, n)] for album in ALBUMS for n in range(1, SONGS + 1)]
    relative = [
        f"#EXTINF:{180 + 30 * a + n},Artist A - Song {n}\r\nartist a\\{album.upper()}\\"
        f"{n:02d} song {n}.FLAC"
        for a, album in enumerate(ALBUMS)
        for n in range(1, SONGS + 1)
    ]
    (root / "foobar.m3u").write_bytes(("#EXTM3U\r\n" + "\r\n".join(relative) + "\r\n").encode())
    assert _imported(store, root / "foobar.m3u") == (want, 0)

    absolute = [
        f"C:\\Users\\me\\Music\\Artist A\\{album}\\{n:02d} Song {n}.flac"
        for album in ALBUMS
        for n in range(1, SONGS + 1)
    ]
    (root / "abs.m3u8").write_bytes("\r\n".join(absolute).encode("utf-8-sig"))
    assert _imported(store, root / "abs.m3u8") == (want, 0)


def test_name_fallback_takes_the_album_and_duration_into_account(music):
    """#EXTINF entries whose files are gone: the same-named song of the other album (30 s
    longer) is not taken; a length no track has is reported, not guessed."""
    store, root, ids, _hits = music
    lines = ["#EXTM3U"]
    for n in range(1, SONGS + 1):
        lines += [f"#EXTINF:{210 + n},Artist A - Song {n}", f"gone/{n:02d}.flac"]  # Album 2
    lines += ["#EXTINF:999,Artist A - Song 1", "gone/x.flac"]
    lines += ["#EXTINF:181,Artist A - Song 1", "#EXTALB:Album 2", "gone/y.flac"]
    (root / "moved.m3u8").write_text("\n".join(lines) + "\n")
    got, missing = _imported(store, root / "moved.m3u8")
    assert got == [ids[("Album 2", n)] for n in range(1, SONGS + 1)]
    assert missing == 2  # wrong length; Album 2 named but Album 1's length


VLC_XSPF = """<?xml version="1.0" encoding="UTF-8"?>
<playlist xmlns="http://xspf.org/ns/0/" xmlns:vlc="http://www.videolan.org/vlc/playlist/ns/0/"
          version="1">
  <title>Playlist</title>
  <trackList xml:base="{base}">
{tracks}
  </trackList>
</playlist>
"""


def test_vlc_xspf_relative_locations_with_xml_base_and_percent_escapes(music, tmp_path):
    store, root, ids, hits = music
    tracks = "\n".join(
        f"    <track><location>{album.replace(' ', '%20')}/{n:02d}%20Song%20{n}.flac"
        f"</location><duration>{(180 + 30 * a + n) * 1000}</duration></track>"
        for a, album in enumerate(ALBUMS)
        for n in range(1, SONGS + 1)
    )
    lists = tmp_path / "Lists"
    lists.mkdir()
    base = (root / "Artist A").as_uri() + "/"
    (lists / "vlc.xspf").write_text(VLC_XSPF.format(base=base, tracks=tracks))
    want = [ids[(album, n)] for album in ALBUMS for n in range(1, SONGS + 1)]
    assert _imported(store, lists / "vlc.xspf") == (want, 0)

    # no xml:base: relative to the playlist file itself
    plain = VLC_XSPF.replace(' xml:base="{base}"', "").format(
        tracks="    <track><location>../Music/%231%20Hits/01%20Intro.flac</location></track>"
    )
    (lists / "rel.xspf").write_text(plain)
    assert _imported(store, lists / "rel.xspf") == ([hits], 0)


def test_quod_libet_xspf_is_named_by_its_title_and_matches_album_when_files_moved(music):
    store, root, ids, _hits = music
    (root / "ql.xspf").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<playlist version="1" xmlns="http://xspf.org/ns/0/"><title>Sunday</title><trackList>'
        f"<track><location>{(root / 'Artist A' / 'Album 1' / '02 Song 2.flac').as_uri()}"
        "</location><title>Song 2</title><creator>Artist A</creator></track>"
        "<track><location>file:///elsewhere/05.flac</location><title>Song 5</title>"
        "<creator>Artist A</creator><album>Album 2</album></track>"
        "</trackList></playlist>\n"
    )
    result = import_playlist_file(store, root / "ql.xspf")
    assert result.name == "Sunday" and result.not_found == []
    assert playlist_track_ids(store, result.playlist_id) == [
        ids[("Album 1", 2)],
        ids[("Album 2", 5)],
    ]


def test_pls_is_written_as_winamp_and_vlc_read_it_and_comes_back(music):
    store, root, ids, hits = music
    chosen = [ids[("Album 2", 4)], hits]
    tracks = get_tracks(store, chosen)
    write_pls([tracks[t] for t in chosen], root / "out.pls")
    text = (root / "out.pls").read_text()
    assert text.splitlines()[0] == "[playlist]"
    assert "File1=Artist A/Album 2/04 Song 4.flac" in text
    assert "Title1=Artist A - Song 4" in text and "Length1=214" in text
    assert "NumberOfEntries=2" in text and "Version=2" in text
    assert _imported(store, root / "out.pls") == (chosen, 0)


def test_a_written_xspf_names_the_playlist_on_import(music):
    store, root, ids, _hits = music
    chosen = [ids[("Album 1", 7)]]
    write_playlist_file(list(get_tracks(store, chosen).values()), root / "x.xspf", name="Road")
    assert read_playlist(root / "x.xspf").name == "Road"
    assert import_playlist_file(store, root / "x.xspf").name == "Road"
    assert import_playlist_file(store, root / "x.xspf").name == "Road (2)"
    assert import_playlist_file(store, root / "x.xspf", name="Mine").name == "Mine"


def test_cli_exports_a_saved_playlist_in_each_format(data_dir, music, capsys):
    store, root, ids, hits = music
    chosen = [hits, ids[("Album 1", 3)], ids[("Album 2", 9)]]
    save_playlist(store, "Trip", chosen)
    common = ["--data-dir", str(data_dir)]
    for suffix in (".m3u8", ".pls", ".xspf"):
        out = root / f"trip{suffix}"
        assert main(["playlist", "export", "Trip", "--out", str(out), *common]) == 0
        assert "3 tracks" in capsys.readouterr().out
        assert main(["playlist", "import", str(out), "--json", *common]) == 0
        answer = json.loads(capsys.readouterr().out)
        assert answer["found"] == 3 and answer["not_found"] == []
        assert playlist_track_ids(store, answer["playlist_id"]) == chosen
    assert main(["playlist", "export", "Trip", "--out", str(root / "t.txt"), *common]) == 2
    assert "use a .m3u8, .pls or .xspf" in capsys.readouterr().err
    assert main(["playlist", "export", "Nope", "--out", str(root / "t.pls"), *common]) != 0
    assert 'no playlist "Nope"' in capsys.readouterr().err
