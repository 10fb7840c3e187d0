"""Help → About says what is installed and where the files are; no audio device is said once."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel

from recommender import __version__


def _about_action(window):
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    return {a.text(): a for a in menus["&Help"].actions()}["About Tonearm"]


def test_help_about_shows_versions_folders_and_the_licence(qtbot, make_window, data_dir: Path):
    from player.shell.about_dialog import AboutDialog
    from recommender.sound.model import shipped_model_version

    window = make_window()
    _about_action(window).trigger()  # one click from the menu bar
    dialog = window.findChild(AboutDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.facts is not None, timeout=5000)
    text = "\n".join(label.text() for label in dialog.findChildren(QLabel))
    assert f"Tonearm {__version__}" in text
    model = shipped_model_version()
    assert model and model in text  # the shipped model's own version
    assert str(data_dir) in text
    assert "GPL-3.0-or-later" in text
    licence = dialog.facts.licence_file
    assert licence is not None and "GNU GENERAL PUBLIC LICENSE" in licence.read_text()
    assert str(licence) in text
    dialog.close()


def test_the_model_version_is_read_without_onnxruntime(tmp_path: Path):
    from recommender.sound.model import MODEL_PATH, shipped_model_version

    assert shipped_model_version(tmp_path / "missing.onnx") is None
    fake = tmp_path / "fake.onnx"
    fake.write_bytes(b"\x00junk\x0a\x0dmodel_version\x12\x0bsound-cnn-9\x00more")
    assert shipped_model_version(fake) == "sound-cnn-9"
    if MODEL_PATH.is_file():
        assert shipped_model_version(MODEL_PATH)


def test_no_audio_device_is_said_in_the_window_once(qtbot, make_window, music_dir):
    from PySide6.QtMultimedia import QMediaDevices

    from player.shell.main_window import NO_AUDIO_DETAIL, NO_AUDIO_TEXT
    from tests.audio_factory import make_track

    assert not QMediaDevices.audioOutputs()  # offscreen here: no sound card
    window = make_window()
    qtbot.waitUntil(lambda: window.no_audio_label.isVisible(), timeout=3000)
    assert window.no_audio_label.text() == NO_AUDIO_TEXT
    assert window.statusBar().currentMessage() == NO_AUDIO_DETAIL
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    # it keeps going: a track still plays (silently) and the note is not repeated
    path = make_track(music_dir, "a.ogg", seconds=4, title="Quiet")
    from player.playback.play_files import play_files

    play_files(window.context, [str(path)])
    qtbot.waitUntil(lambda: window.playback.position_ms() > 500, timeout=10_000)
    assert not [m for m in messages if "audio device" in m]  # said once, not per track
    assert window.no_audio_label.isVisible()
