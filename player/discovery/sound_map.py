"""The Sound map tab: every analysed track as a dot, placed by its sound (PCA, from the core).

One widget paints every point: the dots are drawn once per size and colouring into a cached
pixmap, one `drawPoints` call per colour batch (no widget or item per point), and a paint only
copies that pixmap and adds the hover ring, the selection and the rubber band. Pointer hits go
through `discovery.sound_map.PointGrid`, which looks at a few grid cells, not every point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QByteArray, QDataStream, QIODevice, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QStackedWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from player.widgets.formatting import count_of
from recommender.discovery.sound_map import PointGrid, SoundMap, load_sound_map

if TYPE_CHECKING:
    from player.workers.context import ViewContext

PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#86bcb6", "#d37295", "#8cd17d",
)  # fmt: skip
OTHER_COLOUR = "#9a9a9a"
MARGIN_PX = 16
HIT_RADIUS_PX = 6.0
DRAG_START_PX = 4
ROUND_DOTS_MAX = 6000
"""Up to this many points, dots are antialiased circles; beyond, aliased 3-px squares, which
cost a fraction as much per point (see benchmarks/bench_sound_map.py)."""
ROUND_DOT_PX = 5.0
SQUARE_DOT_PX = 3.0
LEGEND_WIDTH_PX = 280
RADIO_TRACKS = 50
PLAY_CONTEXT = "sound_map"
NO_EMBEDDINGS = (
    "No tracks have been analysed yet, so there is nothing to map.\n\n"
    "The map places every track by how it sounds once sound analysis has run: switch it on "
    "in File → Settings (it needs the sound model). Tracks appear here as they are analysed."
)


def polygon_of(points: np.ndarray) -> QPolygonF:
    """A QPolygonF from an (n, 2) array without a Python object per point: the bytes of Qt's
    own serialisation (a 32-bit count, then big-endian doubles) read back through QDataStream."""
    pts = np.ascontiguousarray(points, dtype=">f8")
    data = QByteArray(np.array([len(pts)], dtype=">u4").tobytes() + pts.tobytes())
    stream = QDataStream(data, QIODevice.OpenModeFlag.ReadOnly)
    polygon = QPolygonF()
    stream >> polygon
    return polygon


class SoundMapCanvas(QWidget):
    """Points in [-1, 1]² fitted to the widget (one scale for both axes; y grows upwards)."""

    pointClicked = Signal(int)  # point index
    selectionChanged = Signal(object)  # np.ndarray of point indices (ascending)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumSize(320, 240)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.xy = np.zeros((0, 2), np.float32)
        self.labels: list[str] = []
        self.groups = np.zeros(0, np.int64)
        self.colours: list[QColor] = []
        self.legend: list[tuple[str, QColor, int]] = []
        self.grid = PointGrid(self.xy)
        self.selected = np.zeros(0, np.int64)
        self.hover: int | None = None
        self._layer: QPixmap | None = None
        self._selection_layer: QPixmap | None = None
        self._press: QPointF | None = None
        self._band: QRectF | None = None

    # --- data -----------------------------------------------------------------------------
    def set_points(self, xy: np.ndarray, labels: list[str]) -> None:
        self.xy = np.asarray(xy, dtype=np.float32)
        self.labels = labels
        self.grid = PointGrid(self.xy)
        self.groups = np.full(len(self.xy), -1, np.int64)
        self.selected = np.zeros(0, np.int64)
        self.hover = None
        self._invalidate()

    def _invalidate(self) -> None:
        self._layer = self._selection_layer = None
        self.update()

    def set_groups(self, groups: np.ndarray, names: list[str]) -> None:
        """Colour by group (-1: "other", grey); the legend lists groups with their sizes."""
        self.groups = np.asarray(groups, dtype=np.int64)
        self.colours = [QColor(PALETTE[i % len(PALETTE)]) for i in range(len(names))]
        sizes = np.bincount(self.groups[self.groups >= 0], minlength=len(names))
        self.legend = [(n, self.colours[i], int(sizes[i])) for i, n in enumerate(names)]
        others = int((self.groups < 0).sum())
        if others:
            self.legend.append(("Other", QColor(OTHER_COLOUR), others))
        self._invalidate()

    # --- geometry -------------------------------------------------------------------------
    def _scale(self) -> tuple[float, float, float]:
        w, h = self.width(), self.height()
        return (min(w, h) - 2 * MARGIN_PX) / 2.0, w / 2.0, h / 2.0

    def to_widget(self, xy: np.ndarray) -> np.ndarray:
        s, cx, cy = self._scale()
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        return np.column_stack([cx + xy[:, 0] * s, cy - xy[:, 1] * s])

    def to_data(self, x: float, y: float) -> tuple[float, float]:
        s, cx, cy = self._scale()
        s = s or 1.0
        return (x - cx) / s, (cy - y) / s

    def point_at(self, pos: QPointF) -> int | None:
        s = self._scale()[0] or 1.0
        x, y = self.to_data(pos.x(), pos.y())
        return self.grid.nearest(x, y, HIT_RADIUS_PX / s)

    def points_in(self, rect: QRectF) -> np.ndarray:
        x0, y0 = self.to_data(rect.left(), rect.top())
        x1, y1 = self.to_data(rect.right(), rect.bottom())
        return self.grid.inside(x0, y0, x1, y1)

    # --- painting -------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        self._layer = self._selection_layer = None
        super().resizeEvent(event)

    def render_layer(self, subset: np.ndarray | None = None) -> QPixmap:
        """Every dot (or those of `subset`), one drawPoints call per colour batch."""
        ratio = self.devicePixelRatioF()
        layer = QPixmap(self.size() * ratio)
        layer.setDevicePixelRatio(ratio)
        layer.fill(Qt.GlobalColor.transparent)
        painter = QPainter(layer)
        round_dots = len(self.xy) <= ROUND_DOTS_MAX  # the same dots for a subset
        rows = np.arange(len(self.xy)) if subset is None else np.asarray(subset, np.int64)
        px, groups = self.to_widget(self.xy[rows]), self.groups[rows]
        order = [-1, *range(len(self.colours))]  # grey first, so colours stay on top
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, round_dots)
        for group in order:
            points = px[groups == group]
            if not len(points):
                continue
            colour = QColor(OTHER_COLOUR) if group < 0 else self.colours[group]
            width, cap = (
                (ROUND_DOT_PX, Qt.PenCapStyle.RoundCap)
                if round_dots
                else (SQUARE_DOT_PX, Qt.PenCapStyle.SquareCap)
            )
            painter.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, cap))
            painter.drawPoints(polygon_of(points))
        painter.end()
        return layer

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        if self._layer is None or self._layer.size() != self.size() * self.devicePixelRatioF():
            self._layer = self.render_layer()
        painter.drawPixmap(0, 0, self._layer)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        text = palette.color(QPalette.ColorRole.Text)
        if len(self.selected):  # the rest fades back; the selection keeps its colours
            if self._selection_layer is None:
                self._selection_layer = self.render_layer(self.selected)
            veil = palette.color(QPalette.ColorRole.Base)
            veil.setAlpha(190)
            painter.fillRect(self.rect(), veil)
            painter.drawPixmap(0, 0, self._selection_layer)
        if self.hover is not None and self.hover < len(self.xy):
            ((x, y),) = self.to_widget(self.xy[self.hover])
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(text, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(x, y), 6, 6)
        if self._band is not None:
            fill = QColor(highlight)
            fill.setAlpha(50)
            painter.setPen(QPen(highlight, 1))
            painter.setBrush(fill)
            painter.drawRect(self._band)
        self._paint_legend(painter)

    def _paint_legend(self, painter: QPainter) -> None:
        if not self.legend:
            return
        fm = self.fontMetrics()
        line = fm.height() + 2
        box = QRectF(8, 8, LEGEND_WIDTH_PX, line * len(self.legend) + 8)
        background = QColor(self.palette().color(QPalette.ColorRole.Window))
        background.setAlpha(215)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        painter.drawRoundedRect(box, 6, 6)
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        for i, (name, colour, size) in enumerate(self.legend):
            y = box.top() + 4 + i * line
            painter.setBrush(colour)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(QRectF(box.left() + 8, y + line / 2 - 5, 10, 10))
            painter.setPen(self.palette().color(QPalette.ColorRole.Text))
            label = fm.elidedText(f"{name} ({size:,})", Qt.TextElideMode.ElideRight, 240)
            painter.drawText(QPointF(box.left() + 26, y + fm.ascent() + 1), label)

    # --- pointer --------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        if self._press is not None:
            if (pos - self._press).manhattanLength() >= DRAG_START_PX or self._band is not None:
                self._band = QRectF(self._press, pos).normalized()
                self.update()
            return
        hit = self.point_at(pos)
        if hit != self.hover:
            self.hover = hit
            self.update()
        if hit is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(event.globalPosition().toPoint(), self.labels[hit], self, QRect())

    def mouseReleaseEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            return
        band, self._press, self._band = self._band, None, None
        if band is None:
            hit = self.point_at(event.position())
            if hit is not None:
                self.pointClicked.emit(hit)
            return
        self.set_selection(self.points_in(band))

    def set_selection(self, indices: np.ndarray) -> None:
        self.selected = np.asarray(indices, dtype=np.int64)
        self._selection_layer = None
        self.update()
        self.selectionChanged.emit(self.selected)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and len(self.selected):
            self.set_selection(np.zeros(0, np.int64))
            return
        super().keyPressEvent(event)

    def leaveEvent(self, event) -> None:
        if self.hover is not None:
            self.hover = None
            self.update()
        super().leaveEvent(event)


class SoundMapView(QWidget):
    """The canvas with its colouring choice, a note when there is nothing to map, and what to do
    with a selection (play it, start a radio from it, save it as a playlist)."""

    loaded = Signal()  # a map was read and shown (possibly empty)

    def __init__(self, ctx: ViewContext, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.map: SoundMap | None = None
        self._stale = True
        self._loading = False
        self._build()
        ctx.events.embeddingsChanged.connect(lambda _change: self._library_changed())
        ctx.events.tracksChanged.connect(lambda _change: self._library_changed())

    def _build(self) -> None:
        self.colour_by = QComboBox()
        self.colour_by.addItem("Colour by mix", "mix")
        self.colour_by.addItem("Colour by genre", "genre")
        self.colour_by.currentIndexChanged.connect(lambda _i: self._apply_colours())
        self.status = QLabel()
        self.status.setWordWrap(True)  # a long line would widen the whole window
        head = QHBoxLayout()
        head.addWidget(self.status, 1)
        head.addWidget(self.colour_by)

        self.canvas = SoundMapCanvas()
        self.canvas.pointClicked.connect(self.play_point)
        self.canvas.selectionChanged.connect(self._selection_changed)
        self.note = QLabel(NO_EMBEDDINGS)
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setMargin(40)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.note)
        self.pages.addWidget(self.canvas)

        self.selection_label = QLabel()
        self.selection_label.setWordWrap(True)
        play = QPushButton("Play")
        play.clicked.connect(self.play_selection)
        radio = QPushButton("Start radio")
        radio.clicked.connect(self.radio_from_selection)
        save = QPushButton("Save as playlist…")
        save.clicked.connect(lambda: self.save_selection())
        clear = QPushButton("Clear")
        clear.clicked.connect(lambda: self.canvas.set_selection(np.zeros(0, np.int64)))
        self.selection_bar = QWidget()
        bar = QHBoxLayout(self.selection_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.selection_label, 1)
        for b in (play, radio, save, clear):
            bar.addWidget(b)
        self.selection_bar.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(head)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.selection_bar)
        self.status.setText("Drag to select; click a dot to play it")

    # --- loading --------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def _library_changed(self) -> None:
        self._stale = True
        if self.isVisible():
            self.reload()

    def reload(self) -> None:
        if self._loading:
            return
        self._loading = True
        self._stale = False
        if self.map is None:
            self.status.setText("Placing tracks by their sound…")
        # On the taste worker, from its kept model: For you, radio and mixes share it, so the
        # library's arrays are in memory once.
        self.ctx.taste.submit(
            lambda store, worker: load_sound_map(store, model=worker.model(store)),
            on_done=self._loaded,
            on_error=self._failed,
        )

    def _failed(self, message: str) -> None:
        self._loading = False
        self.status.setText(f"Could not build the map: {message}")

    def _loaded(self, sound_map: SoundMap) -> None:
        self._loading = False
        self.map = sound_map
        if not len(sound_map):
            self.pages.setCurrentWidget(self.note)
            self.status.setText("")
            self.selection_bar.hide()
        else:
            self.pages.setCurrentWidget(self.canvas)
            self.canvas.set_points(sound_map.xy, sound_map.labels)
            self._apply_colours()
            ex, ey = sound_map.explained
            self.status.setText(
                f"{count_of(len(sound_map), 'track')} placed by sound (the axes show {ex:.0%} "
                f"and {ey:.0%} of the differences). Hover for a name, click to play, "
                "drag to select."
            )
            self.selection_bar.hide()
        self.loaded.emit()
        if self._stale:
            self.reload()

    def _apply_colours(self) -> None:
        m = self.map
        if m is None or not len(m):
            return
        by_mix = self.colour_by.currentData() == "mix" and m.mix_of is not None and m.mix_names
        if by_mix:
            self.canvas.set_groups(m.mix_of, m.mix_names)
        elif m.genre_of is not None:
            self.canvas.set_groups(m.genre_of, m.genre_names)

    # --- actions --------------------------------------------------------------------------
    def track_id(self, index: int) -> int:
        assert self.map is not None
        return int(self.map.track_ids[index])

    def selected_track_ids(self) -> list[int]:
        """The selection from left to right, so a playlist of it walks across the map."""
        if self.map is None or not len(self.canvas.selected):
            return []
        sel = self.canvas.selected
        order = sel[np.argsort(self.map.xy[sel, 0], kind="stable")]
        return [int(t) for t in self.map.track_ids[order]]

    def play_point(self, index: int) -> None:
        self.ctx.play_tracks([self.track_id(index)], 0, context=PLAY_CONTEXT)

    def _selection_changed(self, selected: np.ndarray) -> None:
        n = len(selected)
        self.selection_bar.setVisible(n > 0)
        self.selection_label.setText(f"{n:,} track{'s' if n != 1 else ''} selected")

    def play_selection(self) -> None:
        ids = self.selected_track_ids()
        if ids:
            self.ctx.play_tracks(ids, 0, context=PLAY_CONTEXT)

    def radio_from_selection(self) -> None:
        """A radio seeded with the selection (`recommender.discovery.radio`), played as a list."""
        ids = self.selected_track_ids()
        if not ids:
            return

        def pick(store, worker) -> list[int]:
            from recommender.discovery.radio import Radio, RadioSeed

            seed = RadioSeed("selection", f"{len(ids)} tracks from the sound map", tuple(ids))
            radio = Radio(store, seed, model=worker.model(store))
            return [r.track.id for r in radio.next(RADIO_TRACKS) if r.track]

        def done(picked: list[int]) -> None:
            self.ctx.play_tracks(picked or ids, 0, context="radio")
            self.ctx.show_message(f"Radio from {count_of(len(ids), 'track')} on the sound map")

        self.ctx.show_message("Starting a radio from the selection…")
        self.ctx.taste.submit(pick, on_done=done, on_error=self.ctx.show_message)

    def save_selection(self, name: str | None = None) -> None:
        ids = self.selected_track_ids()
        if not ids:
            return
        if name is None:
            name, ok = QInputDialog.getText(self, "Save as playlist", "Name:", text="From the map")
            if not ok or not name.strip():
                return

        def write(store, _job) -> int:
            from recommender.playlists.saved import save_playlist

            return save_playlist(store, name, ids)

        def done(pid: int) -> None:
            self.ctx.show_message(f"Saved {count_of(len(ids), 'track')} as the playlist “{name}”")
            self.ctx.events.playlist_changed(pid)

        self.ctx.writer.start(
            write, data_dir=self.ctx.data_dir, on_done=done, on_error=self.ctx.show_message
        )


def install_sound_map(ctx: ViewContext) -> SoundMapView:
    view = SoundMapView(ctx)
    ctx.add_view(view, "Sound map")
    return view
