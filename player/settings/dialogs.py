"""The app's dialogs: first-run welcome, settings, and track properties."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from player.widgets.formatting import format_duration
from recommender.core.settings import Settings
from recommender.library.replaygain import REPLAYGAIN_MODES
from recommender.library.tracks import Track

THEMES: tuple[tuple[str, str], ...] = (
    ("system", "Follow the system"),
    ("light", "Light"),
    ("dark", "Dark"),
)


class FolderList(QWidget):
    """A short list of folders with Add and Remove (a handful of items: a list widget is fine)."""

    def __init__(self, folders: list[str], parent=None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.addItems(folders)
        add = QPushButton("Add folder…")
        remove = QPushButton("Remove")
        add.clicked.connect(self._add)
        remove.clicked.connect(self._remove)
        buttons = QVBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

    def folders(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def add_folder(self, folder: str) -> None:
        if folder and folder not in self.folders():
            self.list.addItem(folder)

    def _add(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a music folder")
        self.add_folder(folder)

    def _remove(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))


class WelcomeDialog(QDialog):
    """First run: say what Tonearm does and pick the music folders to scan."""

    def __init__(self, default_folder: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Tonearm")
        intro = QLabel(
            "<h2>Welcome to Tonearm</h2>"
            "<p>Pick the folders that hold your music. Tonearm indexes them in the background "
            "and keeps watching them for new files.</p>"
            "<p>Everything stays on this computer: your plays, your library and what Tonearm "
            "learns from them.</p>"
        )
        intro.setWordWrap(True)
        found = os.path.isdir(default_folder)
        self.folders = FolderList([default_folder] if found else [])
        hint = QLabel(
            ""
            if found
            else f"There is no Music folder at {default_folder}: add the folders "
            "that hold your music."
        )
        hint.setWordWrap(True)
        hint.setVisible(not found)
        buttons = QDialogButtonBox()
        self.scan_button = buttons.addButton(
            "Scan these folders", QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton("Not now", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(QLabel("Music folders:"))
        layout.addWidget(self.folders, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.resize(560, 380)
        model = self.folders.list.model()
        for signal in (model.rowsInserted, model.rowsRemoved):
            signal.connect(self._update_scan_button)
        self._update_scan_button()

    def _update_scan_button(self, *args) -> None:
        self.scan_button.setEnabled(self.folders.list.count() > 0)


@dataclass
class SettingsResult:
    settings: Settings
    rescan: bool


class SettingsDialog(QDialog):
    """Library folders, analysis, ReplayGain and theme. Saved by the window on OK."""

    def __init__(self, settings: Settings, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._settings = settings
        self.rescan_requested = False

        library = QGroupBox("Library")
        self.folders = FolderList(list(settings.library_folders))
        rescan = QPushButton("Rescan now")
        rescan.clicked.connect(self._rescan)
        lib_layout = QVBoxLayout(library)
        lib_layout.addWidget(self.folders)
        lib_layout.addWidget(rescan, 0, Qt.AlignmentFlag.AlignLeft)

        analysis = QGroupBox("Analysis")
        self.analysis = QCheckBox("Analyse the sound of new tracks in the background")
        self.analysis.setChecked(settings.analysis_enabled)
        QVBoxLayout(analysis).addWidget(self.analysis)

        playback = QGroupBox("Playback")
        self.rg_mode = QComboBox()
        for mode in REPLAYGAIN_MODES:
            self.rg_mode.addItem(
                {"off": "Off", "track": "Track gain", "album": "Album gain"}[mode], mode
            )
        self.rg_mode.setCurrentIndex(max(0, self.rg_mode.findData(settings.replaygain_mode)))
        self.preamp = QDoubleSpinBox()
        self.preamp.setRange(-15.0, 15.0)
        self.preamp.setSingleStep(0.5)
        self.preamp.setSuffix(" dB")
        self.preamp.setValue(settings.replaygain_preamp_db)
        form = QFormLayout(playback)
        form.addRow("ReplayGain:", self.rg_mode)
        form.addRow("Preamp:", self.preamp)

        look = QGroupBox("Appearance")
        self.theme = QComboBox()
        for key, label in THEMES:
            self.theme.addItem(label, key)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))
        QFormLayout(look).addRow("Theme:", self.theme)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for box in (library, analysis, playback, look):
            layout.addWidget(box)
        layout.addWidget(buttons)
        self._layout = layout
        self._appliers: list[Callable[[Settings], None]] = []
        self.resize(560, 520)

    def add_section(self, box: QGroupBox, apply: Callable[[Settings], None]) -> None:
        """A feature's own section (before the buttons); `apply(settings)` runs on OK."""
        self._layout.insertWidget(self._layout.count() - 1, box)
        self._appliers.append(apply)

    def _rescan(self) -> None:
        self.rescan_requested = True
        self.accept()

    def result_settings(self) -> SettingsResult:
        s = self._settings
        old_folders = list(s.library_folders)
        s.library_folders = self.folders.folders()
        s.analysis_enabled = self.analysis.isChecked()
        s.replaygain_mode = self.rg_mode.currentData()
        s.replaygain_preamp_db = float(self.preamp.value())
        s.theme = self.theme.currentData()
        for apply in self._appliers:
            apply(s)
        return SettingsResult(s, self.rescan_requested or s.library_folders != old_folders)


def _when(epoch: float | None) -> str:
    return dt.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M") if epoch else ""


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def track_properties(track: Track) -> list[tuple[str, str]]:
    """The rows the properties dialog shows: tags first, then the file."""
    rows = [
        ("Title", track.title or ""),
        ("Artist", track.artist or ""),
        ("Album", track.album or ""),
        ("Album artist", track.albumartist or ""),
        ("Track", _of(track.tracknumber, track.tracktotal)),
        ("Disc", _of(track.discnumber, track.disctotal)),
        ("Date", track.date or (str(track.year) if track.year else "")),
        ("Genre", track.genre or ""),
        ("MusicBrainz recording", track.mb_recording_id or ""),
        ("ReplayGain (track / album)", _gain(track.rg_track_gain, track.rg_album_gain)),
        ("Guessed from file name", track.guessed.replace(",", ", ")),
        ("Path", track.path),
        ("Format", " / ".join(p for p in (track.format, track.codec) if p)),
        ("Length", format_duration(track.duration)),
        ("Bitrate", f"{track.bitrate // 1000} kbit/s" if track.bitrate else ""),
        ("Sample rate", f"{track.sample_rate} Hz" if track.sample_rate else ""),
        ("Channels", str(track.channels or "")),
        ("Size", _size(track.size)),
        ("Modified", _when(track.mtime)),
        ("Added", _when(track.added_at)),
        ("Embedded cover", "yes" if track.has_cover else "no"),
    ]
    return [(k, v) for k, v in rows if v]


def _of(n: int | None, total: int | None) -> str:
    if not n:
        return ""
    return f"{n} of {total}" if total else str(n)


def _gain(track: float | None, album: float | None) -> str:
    if track is None and album is None:
        return ""
    fmt = lambda g: "–" if g is None else f"{g:+.2f} dB"  # noqa: E731
    return f"{fmt(track)} / {fmt(album)}"


class PropertiesDialog(QDialog):
    def __init__(self, track: Track, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Properties — {track.display_title}")
        rows = track_properties(track)
        table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["Field", "Value"])
        table.verticalHeader().hide()
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, (key, value) in enumerate(rows):
            table.setItem(i, 0, QTableWidgetItem(key))
            table.setItem(i, 1, QTableWidgetItem(value))
        table.resizeColumnToContents(0)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        table.setWordWrap(True)
        table.resizeRowsToContents()
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(620, 560)
