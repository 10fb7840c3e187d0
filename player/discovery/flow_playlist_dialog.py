"""Make a playlist from a track: pick a length, preview the flow, then save it.

The list comes from `recommender.discovery.flow.generate_playlist` on the taste worker and is
saved through `recommender.playlists.edit` on the writer thread (`ctx.writer`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QSpinBox,
    QVBoxLayout,
)

from player.widgets.formatting import count_of, format_duration
from player.workers.taste_worker import TasteWorker
from recommender.core.errors import TonearmError
from recommender.discovery.flow import artist_cap, generate_playlist
from recommender.library.tracks import Track, artist_and_title, get_track, get_tracks
from recommender.playlists.edit import append_to_playlist, create_playlist

if TYPE_CHECKING:
    from player.workers.context import ViewContext

DEFAULT_LENGTH = 25
MAX_LENGTH = 200
PREVIEW_DELAY_MS = 250
MODE_LABELS = {"flow": "Flow around the seeds", "path": "Path from the first seed to the last"}
ONE_SEED_ORDER_NOTE = (
    "One track flows around itself; select two or more tracks (Ctrl+click) for a path "
    "from the first to the last."
)


def flow_tracks(store, worker: TasteWorker, seeds: list[int], length: int, mode: str) -> list:
    """On the taste worker: the playlist's tracks in order."""
    model = worker.model(store)
    rows = generate_playlist(model, model.rows(seeds).tolist(), length, mode=mode)
    ids = [int(model.track_ids[r]) for r in rows]
    tracks = get_tracks(store, ids)
    return [tracks[t] for t in ids if t in tracks]


class FlowPlaylistDialog(QDialog):
    """Length, mode and name; the preview updates as they change; Save keeps the playlist."""

    previewed = Signal(list)  # track ids shown
    saved = Signal(int)  # playlist id

    def __init__(self, ctx: ViewContext, worker: TasteWorker, seeds: list[int]) -> None:
        super().__init__(ctx.window)
        self.ctx = ctx
        self.worker = worker
        self.seeds = list(dict.fromkeys(seeds))
        self.tracks: list[Track] = []
        self._token = 0
        self.setWindowTitle("Make a playlist")
        try:
            first = get_track(ctx.store, self.seeds[0]).display_title
        except TonearmError:
            first = "these tracks"
        self.name = QLineEdit(f"Flow from {first}")
        self.length = QSpinBox()
        self.length.setRange(max(2, len(self.seeds)), MAX_LENGTH)
        self.length.setValue(max(DEFAULT_LENGTH, len(self.seeds)))
        self.length.setSuffix(" tracks")
        self.mode = QComboBox()
        for key, label in MODE_LABELS.items():
            self.mode.addItem(label, key)
        self.mode.setEnabled(len(self.seeds) > 1)  # a path needs two ends
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Length:", self.length)
        form.addRow("Order:", self.mode)
        self.mode_note = QLabel(ONE_SEED_ORDER_NOTE)
        self.mode_note.setWordWrap(True)
        self.mode_note.setEnabled(False)  # the palette's quiet grey: a note, not a control
        if len(self.seeds) < 2:
            self.mode.setToolTip(ONE_SEED_ORDER_NOTE)
            form.addRow("", self.mode_note)
        else:
            self.mode_note.hide()
        self.summary = QLabel("Preparing the preview…")
        self.summary.setWordWrap(True)  # "fewer than asked: …" would widen the dialog
        self.preview_list = QListWidget()
        self.preview_list.setAlternatingRowColors(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.addButton(
            "Save playlist", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.play_button = buttons.addButton("Play", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.setEnabled(False)
        self.play_button.setEnabled(False)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.play_button.clicked.connect(self._play)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.preview_list, 1)
        layout.addWidget(buttons)
        self.resize(520, 560)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(PREVIEW_DELAY_MS)
        self.timer.timeout.connect(self.preview)
        self.length.valueChanged.connect(lambda _v: self.timer.start())
        self.mode.currentIndexChanged.connect(lambda _i: self.timer.start())
        self.name.textChanged.connect(self._update_buttons)
        self.preview()

    def preview(self) -> None:
        self._token += 1
        token, seeds = self._token, self.seeds
        length, mode = self.length.value(), self.mode.currentData() if len(seeds) > 1 else "flow"
        self.save_button.setEnabled(False)
        self.worker.submit(
            lambda store, w: flow_tracks(store, w, seeds, length, mode),
            on_done=lambda tracks: self._previewed(token, tracks),
            on_error=lambda m: self.summary.setText(f"Could not make the playlist: {m}"),
        )

    def _previewed(self, token: int, tracks: list[Track]) -> None:
        if token != self._token:
            return
        self.tracks = tracks
        self.preview_list.clear()
        seeds = set(self.seeds)
        for i, t in enumerate(tracks, 1):
            mark = "  ★" if t.id in seeds else ""
            self.preview_list.addItem(f"{i:2d}. {artist_and_title(t)}{mark}")
        total = sum(t.duration or 0 for t in tracks)
        text = f"{count_of(len(tracks), 'track')}, {format_duration(total)} (★ your seed)"
        if len(tracks) < self.length.value():
            text += (
                f"; fewer than asked: at most {artist_cap(self.length.value())} tracks by one "
                "artist, and not enough artists near it"
            )
        self.summary.setText(text)
        self._update_buttons()
        self.previewed.emit([t.id for t in tracks])

    def _update_buttons(self, *_args) -> None:
        self.save_button.setEnabled(bool(self.tracks) and bool(self.name.text().strip()))
        self.play_button.setEnabled(bool(self.tracks))

    def _play(self) -> None:
        self.ctx.play_tracks([t.id for t in self.tracks], 0, context="playlist")

    def save(self) -> None:
        name, ids = self.name.text().strip(), [t.id for t in self.tracks]
        if not name or not ids:
            return

        def write(store, _job) -> int:
            playlist_id = create_playlist(store, name)
            append_to_playlist(store, playlist_id, ids)
            return playlist_id

        self.save_button.setEnabled(False)
        self.ctx.writer.start(
            write,
            data_dir=self.ctx.data_dir,
            on_done=self._saved,
            on_error=lambda m: self.ctx.show_message(f"Could not save the playlist: {m}"),
        )

    def _saved(self, playlist_id: int) -> None:
        self.ctx.events.playlist_changed(playlist_id)
        self.ctx.show_message(f"Saved the playlist “{self.name.text().strip()}”", 5000)
        self.saved.emit(playlist_id)
        self.accept()
