"""QMediaPlayer and QAudioOutput made by C++, not by Python, to keep playback from deadlocking.

An object that Python constructs is a shiboken subclass whose virtual methods first ask Python
for an override, and that needs the GIL. Qt's FFmpeg backend destroys its audio renderer on a
worker thread; `~QObject` then calls `disconnectNotify` on the player or audio output that the
renderer was connected to while holding Qt's connection lock, so that thread waits for the GIL.
If the GUI thread is meanwhile inside `QMediaPlayer.play()` (which PySide calls holding the GIL)
and needs the same lock, neither moves: the window freezes at a track change (seen with
PySide6 6.12 under py-spy). Objects created by QML's C++ code have no Python overrides, so no
Qt thread ever waits for Python. Where QtQml is missing, the plain constructors are used.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QObject, QUrl
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

log = logging.getLogger(__name__)

_PLAYER_QML = b"import QtMultimedia\nMediaPlayer {}\n"
_OUTPUT_QML = b"import QtMultimedia\nAudioOutput {}\n"
_FACTORY_NAME = "tonearm_media_factory"


class _QmlFactory(QObject):
    """One QML engine and its two components, a child of the application (so one per app)."""

    def __init__(self, parent: QObject) -> None:
        from PySide6.QtQml import QQmlComponent, QQmlEngine

        super().__init__(parent)
        self.setObjectName(_FACTORY_NAME)
        self.engine = QQmlEngine(self)
        self.components = {}
        for key, source in (("player", _PLAYER_QML), ("output", _OUTPUT_QML)):
            component = QQmlComponent(self.engine, self)
            component.setData(source, QUrl())
            if component.isError():
                raise RuntimeError(component.errorString())
            self.components[key] = component

    def create(self, key: str, parent: QObject) -> QObject:
        component = self.components[key]
        obj = component.create()
        if obj is None:
            raise RuntimeError(component.errorString())
        obj.setParent(parent)  # Qt owns it from here, like the plain constructors' parent
        return obj


def _factory() -> _QmlFactory | None:
    app = QCoreApplication.instance()
    if app is None:
        return None
    found = app.findChild(_QmlFactory, _FACTORY_NAME)
    if found is not None:
        return found
    if app.property("tonearm_qml_media_failed"):
        return None
    try:
        return _QmlFactory(app)
    except (ImportError, RuntimeError) as exc:
        log.warning("QML media objects unavailable (%s); using plain QMediaPlayer", exc)
        app.setProperty("tonearm_qml_media_failed", True)
        return None


def make_player_and_output(parent: QObject) -> tuple[QMediaPlayer, QAudioOutput]:
    """A player wired to its own audio output, both children of `parent`."""
    factory = _factory()
    if factory is not None:
        try:
            player = factory.create("player", parent)
            output = factory.create("output", parent)
        except RuntimeError as exc:
            log.warning("QML media objects failed (%s); using plain QMediaPlayer", exc)
        else:
            player.setAudioOutput(output)
            return player, output
    player = QMediaPlayer(parent)
    output = QAudioOutput(parent)
    player.setAudioOutput(output)
    return player, output


def is_python_subclass(obj: QObject) -> bool:
    """True when Python made the object (its virtuals consult Python: the deadlock above)."""
    import shiboken6

    return shiboken6.createdByPython(obj)


def no_audio_device() -> bool:
    """True where the system lists no audio output: Qt then plays on silently (it only logs
    "No audio device detected"), so the window must say so. A static query, on the GUI thread."""
    from PySide6.QtMultimedia import QMediaDevices

    return not QMediaDevices.audioOutputs()
