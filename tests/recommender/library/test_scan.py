"""Scanning generated libraries: what a user sees in counts, tags, guesses and errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from recommender.history.plays import record_play
from recommender.library.scan import scan_folders
from recommender.library.store import open_store
from recommender.library.tracks import find_tracks
from tests.audio_factory import ALL_EXTENSIONS, make_bad_files, make_track, write_audio


def _by_title(store) -> dict:
    return {t.title: t for t in find_tracks(store, include_missing=True)}


def test_every_format_is_indexed_with_its_tags(store, music_dir: Path):
    for i, ext in enumerate(ALL_EXTENSIONS):
        make_track(
            music_dir, f"Artist/Album/{i:02d}{ext}", codec_ext=ext, title=f"Song {ext}",
            artist="The Band", album="First Album", tracknumber=f"{i + 1}/12",
            date="2003-05-01", genre="Rock",
        )  # fmt: skip
    summary = scan_folders(store, [str(music_dir)])
    assert summary.added == len(ALL_EXTENSIONS)
    assert summary.errors == 0
    tracks = _by_title(store)
    assert set(tracks) == {f"Song {ext}" for ext in ALL_EXTENSIONS}
    for i, ext in enumerate(ALL_EXTENSIONS):
        t = tracks[f"Song {ext}"]
        assert (t.artist, t.album, t.year, t.genre) == ("The Band", "First Album", 2003, "Rock")
        assert (t.tracknumber, t.tracktotal) == (i + 1, 12)
        assert t.duration == pytest.approx(1.0, abs=0.1)
        assert t.guessed == ""


def test_multi_value_tags_and_album_artist(store, music_dir: Path):
    make_track(music_dir, "a.flac", title="Duet", artist=["Ann", "Bob"], albumartist="Various")
    make_track(music_dir, "b.m4a", title="Solo", artist="Cid", albumartist="Cid & Co")
    scan_folders(store, [str(music_dir)])
    tracks = _by_title(store)
    assert tracks["Duet"].artist == "Ann; Bob"
    assert tracks["Duet"].albumartist == "Various"
    assert tracks["Solo"].albumartist == "Cid & Co"


def test_untagged_files_get_guessed_fields_from_names_and_folders(store, music_dir: Path):
    write_audio(music_dir / "Boards of Canada" / "Geogaddi" / "03 - Julie and Candy.flac")
    write_audio(music_dir / "loose" / "Air - La Femme d'Argent.ogg")
    scan_folders(store, [str(music_dir)])
    tracks = _by_title(store)
    julie = tracks["Julie and Candy"]
    assert (julie.artist, julie.album) == ("Boards of Canada", "Geogaddi")
    assert set(julie.guessed.split(",")) == {"title", "artist", "album"}
    femme = tracks["La Femme d'Argent"]
    assert femme.artist == "Air"
    assert femme.album == "loose"


def test_broken_files_are_reported_once_and_never_stop_the_scan(store, music_dir: Path):
    bad = make_bad_files(music_dir / "bad")
    make_track(music_dir, "good.ogg", title="Good")
    summary = scan_folders(store, [str(music_dir)])
    assert summary.added == 1
    assert summary.errors == len(bad)
    reasons = {Path(e.path).name: e.reason for e in summary.new_errors}
    assert reasons["empty.mp3"] == "empty file (0 bytes)"
    assert "truncated" in reasons["cut.mp3"]
    assert set(reasons) == {p.name for p in bad.values()}
    stored = dict(store.conn.execute("SELECT path, reason FROM scan_errors"))
    assert {Path(p).name for p in stored} == set(reasons)
    again = scan_folders(store, [str(music_dir)])
    assert again.errors == 0 and again.new_errors == []
    assert again.known_errors == len(bad)


def test_flac_named_ogg_is_indexed_by_content(store, music_dir: Path):
    write_audio(music_dir / "really flac.ogg", codec_ext=".flac")
    scan_folders(store, [str(music_dir)])
    (track,) = find_tracks(store)
    assert track.format == "flac"


def test_absurdly_large_tag_is_capped(store, music_dir: Path):
    make_track(music_dir, "big.flac", title="x" * 200_000, artist="A")
    scan_folders(store, [str(music_dir)])
    (track,) = find_tracks(store)
    assert 0 < len(track.title) <= 1000


def test_unchanged_rescan_opens_nothing_and_changes_are_reread(store, music_dir: Path):
    a = make_track(music_dir, "a.flac", title="A")
    make_track(music_dir, "b.flac", title="B")
    scan_folders(store, [str(music_dir)])
    summary = scan_folders(store, [str(music_dir)])
    assert (summary.added, summary.updated, summary.unchanged) == (0, 0, 2)
    make_track(music_dir, "a.flac", title="A2")
    os.utime(a, (1_000_000_000, 1_000_000_000))
    make_track(music_dir, "c.flac", title="C")
    summary = scan_folders(store, [str(music_dir)])
    assert (summary.added, summary.updated, summary.unchanged) == (1, 1, 1)
    assert set(_by_title(store)) == {"A2", "B", "C"}


def test_vanished_file_is_marked_missing_and_keeps_its_plays(store, music_dir: Path):
    a = make_track(music_dir, "a.flac", title="A", artist="X")
    scan_folders(store, [str(music_dir)])
    track_id = _by_title(store)["A"].id
    record_play(store, track_id, 200, duration=210)
    hidden = music_dir.parent / "elsewhere.flac"
    shutil.move(a, hidden)
    summary = scan_folders(store, [str(music_dir)])
    assert summary.missing == 1
    assert find_tracks(store) == []
    shutil.move(hidden, a)
    summary = scan_folders(store, [str(music_dir)])
    assert summary.returned == 1
    (track,) = find_tracks(store)
    assert track.id == track_id
    plays = store.conn.execute("SELECT count(*) FROM plays WHERE track_id = ?", (track_id,))
    assert plays.fetchone()[0] == 1


def test_moved_file_keeps_its_history(store, music_dir: Path):
    old = make_track(music_dir, "old/a.flac", title="Wanderer", artist="Dion", album="Runaround")
    scan_folders(store, [str(music_dir)])
    track_id = _by_title(store)["Wanderer"].id
    record_play(store, track_id, 100, duration=150)
    new = music_dir / "new" / "home" / "renamed.flac"
    new.parent.mkdir(parents=True)
    shutil.move(old, new)
    summary = scan_folders(store, [str(music_dir)])
    assert (summary.moved, summary.added, summary.missing) == (1, 0, 0)
    (track,) = find_tracks(store, include_missing=True)
    assert track.id == track_id and track.path == str(new)
    plays = store.conn.execute("SELECT track_id FROM plays").fetchall()
    assert plays == [(track_id,)]


def test_symlinks_give_one_row_per_real_file_and_loops_end(store, music_dir: Path, tmp_path):
    outside = tmp_path / "outside"
    make_track(outside, "linked.flac", title="Linked")
    make_track(music_dir, "real/song.flac", title="Real")
    os.symlink(outside, music_dir / "link-to-outside")
    os.symlink(music_dir / "real", music_dir / "second-link-to-real")
    os.symlink(music_dir, music_dir / "real" / "loop")
    os.symlink(music_dir / "real" / "song.flac", music_dir / "song-link.flac")
    summary = scan_folders(store, [str(music_dir)])
    assert summary.added == 2
    assert sorted(_by_title(store)) == ["Linked", "Real"]


def test_hidden_and_non_audio_files_are_skipped(store, music_dir: Path):
    make_track(music_dir, ".hidden/secret.flac", title="Secret")
    make_track(music_dir, ".dotfile.flac", title="Dot")
    (music_dir / "cover.jpg").write_bytes(b"\xff\xd8 not really")
    (music_dir / "notes.txt").write_text("hi")
    make_track(music_dir, "visible.flac", title="Visible")
    summary = scan_folders(store, [str(music_dir)])
    assert summary.added == 1 and summary.errors == 0


def test_non_utf8_file_name_survives_the_round_trip(store, music_dir: Path):
    raw = os.fsencode(str(music_dir)) + b"/caf\xe9 latin1.flac"
    tmp = write_audio(music_dir / "tmp.flac")
    os.rename(os.fsencode(str(tmp)), raw)
    summary = scan_folders(store, [str(music_dir)])
    assert summary.added == 1
    (track,) = find_tracks(store)
    assert os.fsencode(track.path) == raw
    assert os.path.exists(track.path)
    assert scan_folders(store, [str(music_dir)]).unchanged == 1


def test_unreadable_folder_is_reported_not_fatal(store, music_dir: Path, monkeypatch):
    make_track(music_dir, "locked/a.flac", title="Locked")
    make_track(music_dir, "open/b.flac", title="Open")
    real_scandir = os.scandir
    locked = str(music_dir / "locked")

    def scandir(path):  # root ignores chmod, so refuse the way the OS would for a user
        if str(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr("recommender.library.walk.os.scandir", scandir)
    summary = scan_folders(store, [str(music_dir)])
    assert summary.added == 1
    assert [(e.path, e.reason) for e in summary.new_errors] == [(locked, "permission denied")]


def test_parallel_reading_gives_the_same_library(
    store, music_dir: Path, data_dir: Path, monkeypatch
):
    monkeypatch.setattr("recommender.library.scan.IN_PROCESS_MAX_FILES", 10)
    for i in range(260):
        make_track(music_dir, f"d{i % 7}/t{i:03d}.wav", title=f"T{i}", artist=f"A{i % 5}")
    summary = scan_folders(store, [str(music_dir)], workers=3)
    assert summary.added == 260 and summary.readers == 3
    tracks = find_tracks(store)
    assert len({t.title for t in tracks}) == 260
    assert {t.artist_key for t in tracks} == {f"a{i}" for i in range(5)}  # keys from workers


def test_progress_callback_sees_counts(store, music_dir: Path):
    for i in range(3):
        make_track(music_dir, f"t{i}.flac", title=f"T{i}")
    seen = []

    def report(p) -> None:
        seen.append((p.phase, p.done, p.total))

    scan_folders(store, [str(music_dir)], progress=report)
    assert ("reading tags", 3, 3) in seen


def test_cancelled_scan_keeps_what_it_wrote_and_next_scan_completes(data_dir, music_dir):
    for i in range(1200):
        make_track(music_dir, f"t{i:04d}.wav", title=f"T{i}")
    calls = {"n": 0}

    def cancel_after_first_batch() -> bool:
        calls["n"] += 1
        return calls["n"] >= 2

    with open_store(data_dir) as store:
        summary = scan_folders(store, [str(music_dir)], cancel=cancel_after_first_batch, workers=1)
        assert summary.cancelled
        written = store.conn.execute("SELECT count(*) FROM tracks").fetchone()[0]
        assert 0 < written < 1200
    with open_store(data_dir) as store:
        summary = scan_folders(store, [str(music_dir)], workers=1)
        assert summary.added == 1200 - written
        assert store.conn.execute("SELECT count(*) FROM tracks").fetchone()[0] == 1200
