"""The null backend: playback's decisions (what follows, what is recorded, what is skipped as
unplayable) without a sound device, so tests that need no sound run anywhere."""

from __future__ import annotations

from pathlib import Path

from player.playback.decks import Playback
from player.playback.null_backend import NullMediaPlayer, media_length_ms
from player.playback.null_backend import null_player_and_output as null
from recommender.library.tracks import Track
from tests.audio_factory import write_audio


def _track(track_id: int, path: Path, seconds: float) -> Track:
    return Track(track_id, str(path), 1, 0.0, title=path.stem, duration=seconds)


def test_a_track_plays_to_its_end_then_the_next_follows(qtbot, tmp_path: Path):
    first = _track(1, write_audio(tmp_path / "a.ogg", seconds=1.0), 1.0)
    second = _track(2, write_audio(tmp_path / "b.ogg", seconds=3.0), 3.0)
    playback = Playback(backend=null)
    assert isinstance(playback.deck.player, NullMediaPlayer)  # no QMediaPlayer, no device
    queue = [(second, "library")]
    playback.next_track = lambda: queue.pop(0) if queue else None
    playback.peek_next = lambda: queue[0][0] if queue else None
    finished, states = [], []
    playback.playFinished.connect(finished.append)
    playback.stateChanged.connect(states.append)
    playback.play_track(first, "library")
    assert playback.is_playing() and states[-1] == "playing"
    with qtbot.waitSignal(playback.trackChanged, timeout=5000) as changed:
        pass
    assert changed.args[0] is second and playback.is_playing()
    (play,) = finished
    assert (play.track_id, play.completed, play.context) == (1, True, "library")
    assert 0.9 <= play.seconds_played <= 1.0
    qtbot.waitUntil(lambda: playback.last_gap_ms is not None, timeout=5000)
    qtbot.waitUntil(lambda: playback.position_ms() >= 300, timeout=5000)
    playback.toggle()
    assert not playback.is_playing() and states[-1] == "paused"
    paused_at = playback.position_ms()
    playback.seek(2000)
    assert playback.position_ms() == 2000 and paused_at < 2000
    playback.stop()
    assert finished[-1].track_id == 2 and not finished[-1].completed


def test_missing_and_broken_files_are_unplayable_and_skipped(qtbot, tmp_path: Path):
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"\x00not audio at all" * 500)
    assert media_length_ms(str(tmp_path / "gone.ogg")) == (0, "file not found")
    assert media_length_ms(str(broken))[0] == 0
    good = _track(3, write_audio(tmp_path / "fine.ogg", seconds=2.0), 2.0)
    queue = [(_track(2, tmp_path / "gone.ogg", 2.0), "library"), (good, "library")]
    playback = Playback(backend=null)
    playback.next_track = lambda: queue.pop(0) if queue else None
    skipped, finished = [], []
    playback.unplayable.connect(lambda track, message: skipped.append((track.id, message)))
    playback.playFinished.connect(finished.append)
    playback.play_track(_track(1, broken, 2.0), "library")
    assert [tid for tid, _ in skipped] == [1, 2] and skipped[1][1] == "file not found"
    assert playback.track is good and playback.is_playing()
    assert finished == []  # an unplayable file is not a play
