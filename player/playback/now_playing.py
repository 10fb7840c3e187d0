"""The now-playing bar: cover, title/artist/album, transport buttons, seek and volume."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QImage, QPalette, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from player.widgets.formatting import format_duration
from player.widgets.transport_icons import transport_icon
from recommender.library.tracks import Track

COVER_PX = 72
VOLUME_ICON_PX = 16
REPEAT_LABELS = {"off": "Repeat: off", "all": "Repeat: all", "one": "Repeat: one"}


class NowPlayingBar(QWidget):
    playPauseClicked = Signal()
    nextClicked = Signal()
    previousClicked = Signal()
    seekRequested = Signal(int)  # ms
    volumeChanged = Signal(float)  # 0..1 perceptual
    shuffleToggled = Signal(bool)
    repeatChanged = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._duration_ms = 0
        self._repeat = "off"
        self._dragging = False

        self.cover = QLabel()
        self.cover.setFixedSize(COVER_PX, COVER_PX)
        self.cover.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.cover.setStyleSheet("background: palette(mid); border-radius: 4px")
        self.title = QLabel("Nothing playing")
        title_font = self.title.font()  # a font, not a style sheet: keeps following the palette
        title_font.setBold(True)
        title_font.setPointSizeF(title_font.pointSizeF() * 1.3)
        self.title.setFont(title_font)
        self.detail = QLabel("")
        for label in (self.title, self.detail):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        def button(tip: str) -> QToolButton:
            b = QToolButton()
            b.setToolTip(tip)
            b.setAutoRaise(True)
            return b

        self._state = "stopped"
        self.prev_button = button("Previous")
        self.play_button = button("Play (Space)")
        self.next_button = button("Next")
        self.volume_icon = QLabel()
        self.volume_icon.setToolTip("Volume")
        self._paint_icons()
        self.play_button.setIconSize(self.play_button.iconSize() * 1.5)
        self.shuffle_button = QToolButton()
        self.shuffle_button.setText("Shuffle")
        self.shuffle_button.setCheckable(True)
        self.repeat_button = QToolButton()
        self.repeat_button.setText(REPEAT_LABELS["off"])
        self.prev_button.clicked.connect(self.previousClicked)
        self.play_button.clicked.connect(self.playPauseClicked)
        self.next_button.clicked.connect(self.nextClicked)
        self.shuffle_button.toggled.connect(self.shuffleToggled)
        self.repeat_button.clicked.connect(self._cycle_repeat)

        self.seek = QSlider(Qt.Orientation.Horizontal)
        self.seek.setRange(0, 0)
        self.seek.sliderPressed.connect(self._press)
        self.seek.sliderReleased.connect(self._release)
        self.seek.actionTriggered.connect(self._clicked)
        self.elapsed = QLabel("0:00")
        self.remaining = QLabel("-0:00")
        for label in (self.elapsed, self.remaining):
            label.setMinimumWidth(44)
        self.remaining.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setFixedWidth(110)
        self.volume.setToolTip("Volume")
        self.volume.valueChanged.connect(lambda v: self.volumeChanged.emit(v / 100.0))

        text = QVBoxLayout()
        text.setSpacing(2)
        text.addStretch(1)
        text.addWidget(self.title)
        text.addWidget(self.detail)
        seek_row = QHBoxLayout()
        seek_row.addWidget(self.elapsed)
        seek_row.addWidget(self.seek, 1)
        seek_row.addWidget(self.remaining)
        text.addLayout(seek_row)
        text.addStretch(1)

        transport = QHBoxLayout()
        transport.setSpacing(2)
        for w in (self.prev_button, self.play_button, self.next_button):
            transport.addWidget(w)
        modes = QVBoxLayout()
        modes.addWidget(self.shuffle_button)
        modes.addWidget(self.repeat_button)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.cover)
        layout.addLayout(transport)
        layout.addLayout(text, 1)
        layout.addLayout(modes)
        layout.addWidget(self.volume_icon)
        layout.addWidget(self.volume)
        self.show_track(None)

    # --- updates from the window ----------------------------------------------------------
    def show_track(self, track: Track | None) -> None:
        if track is None:
            self.title.setText("Nothing playing")
            self.detail.setText("")
            self.set_position(0, 0)
            self.set_cover(None)
            return
        self.title.setText(track.display_title)
        parts = [p for p in (track.artist, track.album) if p]
        if track.year:
            parts.append(str(track.year))
        self.detail.setText(" — ".join(parts))
        self.setToolTip(track.path)
        if track.duration:
            self.set_position(0, int(track.duration * 1000))

    def set_cover(self, image: QImage | None) -> None:
        if image is None or image.isNull():
            icon: QIcon = self.style().standardIcon(QStyle.StandardPixmap.SP_DriveCDIcon)
            self.cover.setPixmap(icon.pixmap(COVER_PX // 2))
            return
        pixmap = QPixmap.fromImage(image).scaled(
            COVER_PX,
            COVER_PX,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        self.cover.setPixmap(pixmap)

    def set_position(self, pos_ms: int, duration_ms: int) -> None:
        if duration_ms > 0:
            self._duration_ms = duration_ms
        if self.seek.maximum() != self._duration_ms:
            self.seek.setRange(0, self._duration_ms)
        if not self._dragging:
            self.seek.setValue(pos_ms)
        self.elapsed.setText(format_duration(pos_ms / 1000))
        self.remaining.setText("-" + format_duration(max(0, self._duration_ms - pos_ms) / 1000))

    def set_state(self, state: str) -> None:
        self._state = state
        self._paint_icons()
        self.play_button.setToolTip("Pause (Space)" if state == "playing" else "Play (Space)")

    def _paint_icons(self) -> None:
        colour = self.palette().color(QPalette.ColorRole.WindowText)
        self.prev_button.setIcon(transport_icon("previous", colour))
        self.next_button.setIcon(transport_icon("next", colour))
        self.play_button.setIcon(
            transport_icon("pause" if self._state == "playing" else "play", colour)
        )
        # The style's volume icon is a fixed dark pixmap that vanished on the dark palette.
        self.volume_icon.setPixmap(transport_icon("volume", colour).pixmap(VOLUME_ICON_PX))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._paint_icons()
        super().changeEvent(event)

    def set_volume(self, volume: float) -> None:
        self.volume.setValue(round(volume * 100))

    def set_repeat(self, mode: str) -> None:
        self._repeat = mode
        self.repeat_button.setText(REPEAT_LABELS[mode])

    def _cycle_repeat(self) -> None:
        modes = list(REPEAT_LABELS)
        self.set_repeat(modes[(modes.index(self._repeat) + 1) % len(modes)])
        self.repeatChanged.emit(self._repeat)

    def _press(self) -> None:
        self._dragging = True

    def _clicked(self, action: int) -> None:
        # a click beside the handle pages; jump there instead (after the slider moved)
        if action in (
            QSlider.SliderAction.SliderPageStepAdd,
            QSlider.SliderAction.SliderPageStepSub,
        ):
            QTimer.singleShot(0, lambda: self.seekRequested.emit(self.seek.value()))

    def _release(self) -> None:
        self._dragging = False
        self.seekRequested.emit(self.seek.value())
