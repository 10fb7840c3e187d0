"""Playing real (generated) files: plays are recorded with the right seconds and skip flag,
unplayable files are skipped with a message, and the next track is pre-loaded."""

from __future__ import annotations

from pathlib import Path

from tests.audio_factory import write_audio
from tests.library_factory import insert_file


def _tone(store, music_dir: Path, name: str, seconds: float, **tags) -> int:
    path = write_audio(music_dir / f"{name}.ogg", seconds=seconds, freq=330 + len(name) * 40)
    return insert_file(store, path, duration=seconds, artist="Tester", album="Tones", **tags)


def test_stopping_early_records_a_skip_with_the_seconds_heard(qtbot, make_window, store, music_dir):
    tid = _tone(store, music_dir, "a long tone", 8.0, title="Long")
    window = make_window()
    window.play_library_row(window.model.row_of_track(tid))
    qtbot.waitUntil(lambda: window.playback.position_ms() >= 1200, timeout=10_000)
    heard_s = window.playback.position_ms() / 1000
    with qtbot.waitSignal(window.events.playsRecorded, timeout=5000) as rec:
        window.playback.stop()
    (play,) = rec.args[0].plays
    assert play.track_id == tid
    assert abs(play.seconds_played - heard_s) < 0.6
    assert play.skipped and not play.completed
    assert play.context == "library"
    row = store.conn.execute(
        "SELECT seconds_played, skipped, completed FROM plays WHERE track_id = ?", (tid,)
    ).fetchone()
    assert row[1] == 1 and row[2] == 0 and abs(row[0] - play.seconds_played) < 1e-6


def test_a_track_played_to_the_end_is_completed_and_the_next_follows(
    qtbot, make_window, store, music_dir
):
    first = _tone(store, music_dir, "a", 1.5, title="A", tracknumber=1)
    second = _tone(store, music_dir, "b", 3.0, title="B", tracknumber=2)
    window = make_window()
    window.play_library_row(window.model.row_of_track(first))
    with qtbot.waitSignal(window.events.playsRecorded, timeout=10_000) as rec:
        pass
    (play,) = rec.args[0].plays
    assert (play.track_id, play.completed, play.skipped) == (first, True, False)
    assert 1.2 <= play.seconds_played <= 1.5
    qtbot.waitUntil(lambda: window.playback.track is not None, timeout=5000)
    assert window.playback.track.id == second
    qtbot.waitUntil(lambda: window.playback.last_gap_ms is not None, timeout=5000)
    assert window.playback.last_gap_ms < 1000
    assert window.model.index(window.model.row_of_track(first), 6).data() == "1"


def test_unplayable_file_is_skipped_with_a_message(qtbot, make_window, store, music_dir):
    bad = music_dir / "broken.mp3"
    bad.write_bytes(b"\x00not audio at all" * 500)
    bad_id = insert_file(store, bad, title="Broken", artist="A", album="X", tracknumber=1)
    missing_id = insert_file(
        store, music_dir / "gone.ogg", title="Gone", artist="A", album="X", tracknumber=2
    )
    good = _tone(store, music_dir, "fine", 4.0, title="Fine")
    store.conn.execute(
        "UPDATE tracks SET albumartist = 'A', album = 'X', tracknumber = 3 WHERE id = ?", (good,)
    )
    window = make_window()
    skipped = []
    window.unplayableSkipped.connect(lambda tid, _msg: skipped.append(tid))
    window.play_library_row(window.model.row_of_track(bad_id))
    qtbot.waitUntil(
        lambda: (
            window.playback.track is not None
            and window.playback.track.id == good
            and window.playback.is_playing()
        ),
        timeout=10_000,
    )
    assert skipped == [bad_id, missing_id]
    assert "Cannot play" in window.statusBar().currentMessage()
    assert {bad_id, missing_id} <= window.model.unplayable
    window.playback.stop()
    assert (
        store.conn.execute(
            "SELECT count(*) FROM plays WHERE track_id IN (?, ?)", (bad_id, missing_id)
        ).fetchone()[0]
        == 0
    )


def test_replaygain_lowers_the_output_volume(qtbot, make_window, store, music_dir):
    loud = _tone(store, music_dir, "loud", 4.0, title="Loud", rg_track_gain=-6.0, rg_track_peak=0.5)
    window = make_window()
    window.playback.set_volume(1.0)
    window.play_library_row(window.model.row_of_track(loud))
    qtbot.waitUntil(window.playback.is_playing, timeout=10_000)
    assert abs(window.playback.output_volume() - 10 ** (-6 / 20)) < 0.01
    window.playback.set_replaygain("off", 0.0)
    assert abs(window.playback.output_volume() - 1.0) < 0.01


def test_players_are_made_by_qt_so_a_track_change_cannot_deadlock(qtbot):
    """Python-made media objects let Qt's FFmpeg threads wait on the GIL (a frozen window at a
    track change); the decks must be C++-made (see player/playback/media_objects.py)."""
    from player.playback.decks import Playback
    from player.playback.media_objects import is_python_subclass

    playback = Playback()
    for deck in playback._decks:
        assert not is_python_subclass(deck.player)
        assert not is_python_subclass(deck.output)
        assert deck.player.audioOutput() is not None
