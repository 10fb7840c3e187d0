"""The "More like this" side panel: a track's sound neighbours, playable from the list.

Neighbours come from the sound index (`recommender.sound.similarity`) on the taste worker. Where
there is nothing to compare yet (no model, no embeddings, or this track not analysed) the panel
says so instead of showing an empty list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from player.widgets.headings import heading_label
from player.workers.taste_worker import TasteWorker
from recommender.core.errors import NotFoundError
from recommender.library.store import Store
from recommender.library.tracks import Track, artist_and_title, artist_name, get_track, get_tracks
from recommender.sound.coverage import sound_coverage
from recommender.sound.similarity import Neighbour

if TYPE_CHECKING:
    from player.workers.context import ViewContext

NEIGHBOURS = 25
MAX_PER_ARTIST = 3
PLAY_CONTEXT = "similar"


@dataclass
class Similar:
    """What the panel shows: the seed, its neighbours (with the index's Neighbour: cosine and
    calibrated closeness), or a note why not."""

    seed: Track
    neighbours: list[tuple[Track, Neighbour]] = field(default_factory=list)
    note: str = ""


def find_similar(store: Store, worker: TasteWorker, track_id: int) -> Similar:
    """On the taste worker: neighbours by sound, or the reason there are none."""
    seed = get_track(store, track_id)
    try:
        index = worker.similarity_index(store)
    except NotFoundError:
        return Similar(seed, note=sound_coverage(store).note)
    try:
        found = index.similar(track_id, NEIGHBOURS, max_per_artist=MAX_PER_ARTIST)
    except NotFoundError:
        return Similar(
            seed,
            note=f"“{seed.display_title}” has not been analysed yet, so there is nothing to "
            "compare it with. " + sound_coverage(store).note,
        )
    tracks = get_tracks(store, [n.track_id for n in found])
    return Similar(seed, [(tracks[n.track_id], n) for n in found if n.track_id in tracks])


class SimilarPanel(QWidget):
    """Shown beside the queue when asked; double-click or Play to play from a row."""

    shown = Signal(object)  # Similar

    def __init__(self, ctx: ViewContext, worker: TasteWorker, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.worker = worker
        self.result: Similar | None = None
        self._token = 0
        heading = heading_label("More like this")
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Close this panel")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(close)
        self.seed_label = QLabel()
        self.seed_label.setWordWrap(True)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.hide()
        self.list = QTreeWidget()
        self.list.setColumnCount(2)
        self.list.setHeaderLabels(["Track", "Closeness"])
        self.list.headerItem().setToolTip(
            1, "How alike they sound: the share of your library's track pairs that are closer"
        )
        self.list.setRootIsDecorated(False)
        self.list.setAlternatingRowColors(True)
        self.list.setUniformRowHeights(True)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.list.itemDoubleClicked.connect(
            lambda item, _col: self.play_row(self.list.indexOfTopLevelItem(item))
        )
        self.play_button = QPushButton("Play all")
        self.play_button.clicked.connect(lambda: self.play_row(0))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(self.seed_label)
        layout.addWidget(self.note)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.play_button)
        self.setMinimumWidth(240)

    def show_for(self, track_id: int) -> None:
        """Open the panel on a track; the neighbours arrive from the worker."""
        self._token += 1
        token = self._token
        self.list.clear()
        self.note.hide()
        self.play_button.setEnabled(False)
        self.seed_label.setText("Looking for tracks that sound alike…")
        self.show()
        self.worker.submit(
            lambda store, w: find_similar(store, w, track_id),
            on_done=lambda result: self._show(token, result),
            on_error=lambda m: self._failed(token, m),
        )

    def _failed(self, token: int, message: str) -> None:
        if token == self._token:
            self.seed_label.setText("")
            self.note.setText(f"Could not look for similar tracks: {message}")
            self.note.show()

    def _show(self, token: int, result: Similar) -> None:
        if token != self._token:
            return  # asked about another track since
        self.result = result
        seed = result.seed
        by = artist_name(seed.artist, seed.albumartist)
        self.seed_label.setText(f"Sounds like <b>{_esc(seed.display_title)}</b> by {_esc(by)}")
        self.note.setText(result.note)
        self.note.setVisible(bool(result.note))
        for track, neighbour in result.neighbours:
            item = QTreeWidgetItem([artist_and_title(track), neighbour.closeness])
            item.setData(0, Qt.ItemDataRole.UserRole, track.id)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(0, f"{track.album or ''}\ncosine {neighbour.score:.3f}".strip())
            item.setToolTip(
                1,
                f"Closer than {neighbour.percentile:.1f} % of the pairs in your library"
                f" (cosine {neighbour.score:.3f})",
            )
            self.list.addTopLevelItem(item)
        self.play_button.setEnabled(bool(result.neighbours))
        self.shown.emit(result)

    def track_ids(self) -> list[int]:
        items = (self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount()))
        return [item.data(0, Qt.ItemDataRole.UserRole) for item in items]

    def play_row(self, row: int) -> None:
        ids = self.track_ids()
        if 0 <= row < len(ids):
            self.ctx.play_tracks(ids, row, context=PLAY_CONTEXT)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
