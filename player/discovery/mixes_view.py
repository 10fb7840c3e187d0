"""The "Mixes" tab: the library grouped by sound and listening history, one tile per mix.

Mixes come from `discovery.library_mixes` on the taste worker; clicking a tile plays the mix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from player.widgets.formatting import count_of
from player.widgets.headings import VIEW_TITLE_SCALE, heading_label
from player.workers.taste_worker import TasteWorker
from recommender.discovery.library_mixes import MixTile, library_mixes

if TYPE_CHECKING:
    from player.workers.context import ViewContext

PLAY_CONTEXT = "mix"
COLUMNS = 3
TILE_HEIGHT_PX = 120
NAME_LINES = 2


def tile_colour(index: int) -> QColor:
    """Distinct, calm hues (golden-angle steps) with white text readable on them."""
    return QColor.fromHsv(int(index * 137.5) % 360, 120, 150)


class MixTileButton(QPushButton):
    """A coloured tile: the mix's name, its size and its top artists."""

    def __init__(self, mix: MixTile, index: int, parent=None) -> None:
        super().__init__(parent)
        self.mix = mix
        colour = tile_colour(index)
        self.setMinimumHeight(TILE_HEIGHT_PX)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"Play “{mix.name}” ({count_of(len(mix.track_ids), 'track')})")
        self.setStyleSheet(
            f"QPushButton {{ background: {colour.name()}; border: none; border-radius: 8px; }}"
            f"QPushButton:hover {{ background: {colour.lighter(115).name()}; }}"
        )
        self.name_label = QLabel(mix.name)
        font = QFont(self.name_label.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.name_label.setFont(font)
        artists = ", ".join(mix.top_artists) or "various artists"
        self._detail = f"{count_of(mix.size, 'track')} · {artists}"
        self.detail_label = QLabel(self._detail)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addWidget(self.name_label)
        layout.addStretch(1)
        layout.addWidget(self.detail_label)
        for label in (self.name_label, self.detail_label):
            label.setStyleSheet("color: white; background: transparent;")
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            # elided to the tile's width (resizeEvent): the text never widens the grid
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def resizeEvent(self, event) -> None:
        """Elide to the tile's width: a long name keeps two whole lines and ends in "…" (it
        used to wrap past the fixed height, cut at the top and bottom); the tooltip has it all."""
        super().resizeEvent(event)
        margins = self.layout().contentsMargins()
        width = max(10, self.width() - margins.left() - margins.right())
        name = elide_lines(self.mix.name, self.name_label.fontMetrics(), width, NAME_LINES)
        self.name_label.setText(name)
        detail = elide_lines(self._detail, self.detail_label.fontMetrics(), width, 1)
        self.detail_label.setText(detail)


def elide_lines(text: str, metrics: QFontMetrics, width: int, lines: int) -> str:
    """`text` wrapped at word boundaries into at most `lines` lines of `width` px, the last
    elided with "…" when the text does not fit."""
    words, out = text.split(), []
    while words and len(out) < lines - 1:
        line = words.pop(0)
        while words and metrics.horizontalAdvance(f"{line} {words[0]}") <= width:
            line += " " + words.pop(0)
        if metrics.horizontalAdvance(line) > width:  # one word longer than the line
            line = metrics.elidedText(line, Qt.TextElideMode.ElideRight, width)
        out.append(line)
    if words:
        out.append(metrics.elidedText(" ".join(words), Qt.TextElideMode.ElideRight, width))
    return "\n".join(out)


class MixesView(QWidget):
    """Tiles of the library's mixes; built on first show and on Refresh."""

    loaded = Signal(list)  # MixTile list shown

    def __init__(self, ctx: ViewContext, worker: TasteWorker, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.worker = worker
        self.tiles: list[MixTileButton] = []
        self._shown_once = False
        heading = heading_label("Mixes", VIEW_TITLE_SCALE)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setSpacing(10)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.grid_host)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addWidget(scroll, 1)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.refresh()

    def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        self.note.setText("Grouping your library…")
        self.worker.submit(
            lambda store, w: library_mixes(store, w.model(store)),
            on_done=self._show,
            on_error=self._failed,
        )

    def _failed(self, message: str) -> None:
        self.refresh_button.setEnabled(True)
        self.note.setText(f"Could not make mixes: {message}")

    def _show(self, mixes: list[MixTile]) -> None:
        self.refresh_button.setEnabled(True)
        for tile in self.tiles:
            self.grid.removeWidget(tile)
            tile.deleteLater()
        self.tiles = []
        for i, mix in enumerate(mixes):
            tile = MixTileButton(mix, i)
            tile.clicked.connect(lambda _c=False, m=mix: self.play(m))
            self.grid.addWidget(tile, i // COLUMNS, i % COLUMNS)
            self.tiles.append(tile)
        self.grid.setRowStretch(len(mixes) // COLUMNS + 1, 1)
        self.note.setText(
            "Groups of tracks that sound alike and are played together. Click one to play it."
            if mixes
            else "No mixes yet: play some music, or let the sound analysis run."
        )
        self.loaded.emit(mixes)

    def play(self, mix: MixTile) -> None:
        self.ctx.play_tracks(list(mix.track_ids), 0, context=PLAY_CONTEXT)
        self.ctx.show_message(f"Playing the mix “{mix.name}”", 4000)


def install_mixes(ctx: ViewContext) -> MixesView:
    view = MixesView(ctx, ctx.taste)
    ctx.add_view(view, "Mixes")
    return view
