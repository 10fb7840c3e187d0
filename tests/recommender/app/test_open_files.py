"""Files opened from outside the library: known ones keep their track, new ones are scanned in
without touching the rest of the library, folders stand for their audio files."""

from __future__ import annotations

from pathlib import Path

from recommender.app.open_files import open_files
from recommender.library.scan import scan_folders
from tests.audio_factory import make_track


def test_a_known_file_keeps_its_track_and_a_new_one_is_added(store, music_dir: Path, tmp_path):
    known = make_track(music_dir, "Artist/Album/01 known.ogg", title="Known")
    scan_folders(store, [str(music_dir)])
    (known_id,) = store.conn.execute("SELECT id FROM tracks").fetchone()
    outside = make_track(tmp_path / "Downloads", "new.flac", title="New", artist="Somebody")
    opened = open_files(store, [str(outside), str(known)], library_folders=[str(music_dir)])
    assert opened.added == 1 and opened.problems == []
    assert opened.track_ids[1] == known_id
    title, artist = store.conn.execute(
        "SELECT title, artist FROM tracks WHERE id = ?", (opened.track_ids[0],)
    ).fetchone()
    assert (title, artist) == ("New", "Somebody")
    assert store.conn.execute("SELECT count(*) FROM tracks WHERE missing = 1").fetchone() == (0,)


def test_a_file_under_a_library_folder_gets_album_guessed_from_its_folder(store, music_dir):
    path = make_track(music_dir, "Band/Record/02 untagged.ogg")
    opened = open_files(store, [str(path)], library_folders=[str(music_dir)])
    album, artist = store.conn.execute(
        "SELECT album, artist FROM tracks WHERE id = ?", (opened.track_ids[0],)
    ).fetchone()
    assert (album, artist) == ("Record", "Band")


def test_folders_expand_and_bad_paths_are_reported(store, tmp_path: Path):
    folder = tmp_path / "Album"
    make_track(folder, "02 b.ogg", title="B")
    make_track(folder, "01 a.ogg", title="A")
    (tmp_path / "notes.txt").write_text("hi")
    opened = open_files(
        store, [str(folder), str(tmp_path / "gone.ogg"), str(tmp_path / "notes.txt")]
    )
    titles = [
        store.conn.execute("SELECT title FROM tracks WHERE id = ?", (i,)).fetchone()[0]
        for i in opened.track_ids
    ]
    assert titles == ["A", "B"]
    assert opened.problems == ["gone.ogg: no such file", "notes.txt: not an audio file"]


def test_an_unreadable_audio_file_is_a_problem_not_a_track(store, tmp_path: Path):
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"\x00" * 3000)
    opened = open_files(store, [str(bad)])
    assert opened.track_ids == [] and len(opened.problems) == 1
    assert opened.problems[0].startswith("broken.mp3: ")


def test_a_playlist_file_opens_as_its_entries_in_order(store, music_dir: Path, tmp_path):
    """What the desktop file's playlist MIME types promise: `tonearm list.m3u` plays its
    tracks, new files scanned in, library tracks found by a Windows path, the rest reported."""
    make_track(music_dir, "Artist/Album/01 known.ogg", title="Known", artist="Artist")
    scan_folders(store, [str(music_dir)])
    (known_id,) = store.conn.execute("SELECT id FROM tracks").fetchone()
    new = make_track(tmp_path / "Downloads", "new.ogg", title="New")
    playlist = music_dir / "mix.m3u"
    text = f"#EXTM3U\r\n{new}\r\nARTIST\\album\\01 KNOWN.ogg\r\ngone.ogg\r\n"
    playlist.write_bytes(text.encode())
    opened = open_files(store, [str(playlist)], library_folders=[str(music_dir)])
    assert len(opened.track_ids) == 2 and opened.track_ids[1] == known_id
    assert opened.added == 1
    assert opened.problems == ["mix.m3u: 1 of 3 entries not found"]
