"""The History tab: recent plays with skip marks, plays per day, top artists and top tracks.

One job reads everything the tab shows (small aggregate queries over the plays index) and
runs again whenever a play is recorded, so the tab is current the moment a track ends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QToolTip,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from player.widgets.formatting import format_duration, format_when
from player.widgets.headings import heading_label
from player.widgets.track_menu import build_track_menu
from recommender.history.plays import RecentPlay, recent_plays
from recommender.history.stats import (
    DayCount,
    TopArtist,
    TopTrack,
    period_start,
    plays_per_day,
    top_artists,
    top_tracks,
)
from recommender.library.store import Store
from recommender.library.tracks import artist_name

if TYPE_CHECKING:
    from player.workers.context import ViewContext

RECENT_PLAYS = 200
TOP_N = 10
PERIODS = (("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90), ("Last year", 365))
DEFAULT_DAYS = 30
REFRESH_DELAY_MS = 150
"""Coalesce plays recorded in a burst (a quick run of skips) into one re-read."""
SKIP_MARK = "↷ skipped"
PLAY_CONTEXT = "history"


@dataclass(frozen=True)
class HistorySnapshot:
    recent: list[RecentPlay]
    days: list[DayCount]
    artists: list[TopArtist]
    tracks: list[TopTrack]


def read_history(store: Store, days: int, now: float | None = None) -> HistorySnapshot:
    """Everything the tab shows for the last `days` days (runs in a job)."""
    since = period_start(days, now)
    return HistorySnapshot(
        recent_plays(store, RECENT_PLAYS),
        plays_per_day(store, days, now),
        top_artists(store, TOP_N, since),
        top_tracks(store, TOP_N, since),
    )


class PlaysChart(QWidget):
    """Plays per day as bars (skips stacked on top in a paler shade), painted in one go."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.days: list[DayCount] = []
        self.setMinimumHeight(150)
        self.setMouseTracking(True)

    def set_days(self, days: list[DayCount]) -> None:
        self.days = list(days)
        self.update()

    def _plot_rect(self) -> QRectF:
        fm = self.fontMetrics()
        return QRectF(self.rect()).adjusted(
            fm.horizontalAdvance("0000") + 8, 8, -6, -fm.height() - 6
        )

    def bar_at(self, x: float) -> int | None:
        plot = self._plot_rect()
        if not self.days or not plot.left() <= x < plot.right():
            return None
        return min(len(self.days) - 1, int((x - plot.left()) / plot.width() * len(self.days)))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        accent = palette.color(QPalette.ColorRole.Highlight)
        pale = QColor(accent)
        pale.setAlpha(90)
        plot = self._plot_rect()
        top = max((d.plays for d in self.days), default=0)
        grid = QColor(text)
        grid.setAlpha(40)
        painter.setPen(grid)
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.setPen(text)
        fm = self.fontMetrics()
        if not self.days or top == 0:
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No plays in this period yet")
            return
        label_rect = QRectF(0, plot.top() - 2, plot.left() - 6, fm.height())
        painter.drawText(label_rect, Qt.AlignmentFlag.AlignRight, str(top))
        painter.drawText(
            QRectF(0, plot.bottom() - fm.height(), plot.left() - 6, fm.height()),
            Qt.AlignmentFlag.AlignRight,
            "0",
        )
        step = plot.width() / len(self.days)
        gap = 1.0 if step > 3 else 0.0
        painter.setPen(Qt.PenStyle.NoPen)
        for i, day in enumerate(self.days):
            x = plot.left() + i * step
            full = plot.height() * day.plays / top
            kept = plot.height() * (day.plays - day.skips) / top
            painter.setBrush(QBrush(accent))
            painter.drawRect(QRectF(x, plot.bottom() - kept, max(1.0, step - gap), kept))
            if day.skips:
                painter.setBrush(QBrush(pale))
                painter.drawRect(QRectF(x, plot.bottom() - full, max(1.0, step - gap), full - kept))
        painter.setPen(text)
        first, last = self.days[0].day, self.days[-1].day
        y = plot.bottom() + 4
        painter.drawText(QPointF(plot.left(), y + fm.ascent()), first.strftime("%d %b"))
        right = last.strftime("%d %b")
        painter.drawText(
            QPointF(plot.right() - fm.horizontalAdvance(right), y + fm.ascent()), right
        )

    def mouseMoveEvent(self, event) -> None:
        i = self.bar_at(event.position().x())
        if i is None:
            QToolTip.hideText()
            return
        d = self.days[i]
        tip = f"{d.day:%a %d %b}: {d.plays} plays"
        if d.skips:
            tip += f" ({d.skips} skipped)"
        if d.seconds:
            tip += f", {format_duration(d.seconds)} listened"
        QToolTip.showText(event.globalPosition().toPoint(), tip, self)


def _tree(headers: list[str]) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setAlternatingRowColors(True)
    tree.setUniformRowHeights(True)
    tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
    return tree


class HistoryView(QWidget):
    refreshed = Signal()  # a snapshot was shown

    def __init__(self, ctx: ViewContext, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.snapshot: HistorySnapshot | None = None
        self._token = 0
        self._build()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(REFRESH_DELAY_MS)
        self.timer.timeout.connect(self._refresh_if_shown)
        ctx.events.playsRecorded.connect(lambda _plays: self.timer.start())
        ctx.events.tracksChanged.connect(lambda _change: self.timer.start())

    def _build(self) -> None:
        self.recent = _tree(["When", "Track", "Played", ""])
        self.recent.itemDoubleClicked.connect(self._play_item)
        self.recent.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.recent.customContextMenuRequested.connect(lambda pos: self._menu(self.recent, pos))
        _stretch(self.recent, 1)
        marks = self.recent.header()  # wide enough for a mark even when none is in view
        marks.setSectionResizeMode(3, QHeaderView.ResizeMode.Fixed)
        marks.resizeSection(3, self.fontMetrics().horizontalAdvance(SKIP_MARK) + 24)
        recent_box = QWidget()
        recent_layout = QVBoxLayout(recent_box)
        recent_layout.setContentsMargins(4, 4, 4, 4)
        recent_layout.addWidget(heading_label("Recent plays"))
        recent_layout.addWidget(self.recent, 1)

        self.period = QComboBox()
        for label, days in PERIODS:
            self.period.addItem(label, days)
        self.period.setCurrentIndex([d for _, d in PERIODS].index(DEFAULT_DAYS))
        self.period.currentIndexChanged.connect(lambda _i: self.refresh())
        self.summary = QLabel()
        self.summary.setWordWrap(True)  # the history pane may be narrow beside its splitter
        self.chart = PlaysChart()
        self.artists = _tree(["Artist", "Plays"])
        _stretch(self.artists, 0)
        self.top_tracks = _tree(["Track", "Plays"])
        _stretch(self.top_tracks, 0)
        self.top_tracks.itemDoubleClicked.connect(self._play_item)
        self.top_tracks.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.top_tracks.customContextMenuRequested.connect(
            lambda pos: self._menu(self.top_tracks, pos)
        )
        head = QHBoxLayout()
        head.addWidget(heading_label("Plays per day"))
        head.addStretch(1)
        head.addWidget(self.period)
        tops = QHBoxLayout()
        for title, tree in (("Top artists", self.artists), ("Top tracks", self.top_tracks)):
            column = QVBoxLayout()
            column.addWidget(heading_label(title))
            column.addWidget(tree, 1)
            tops.addLayout(column, 1)
        stats_box = QWidget()
        stats = QVBoxLayout(stats_box)
        stats.setContentsMargins(4, 4, 4, 4)
        stats.addLayout(head)
        stats.addWidget(self.chart)
        stats.addWidget(self.summary)
        stats.addLayout(tops, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(recent_box)
        splitter.addWidget(stats_box)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([430, 620])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def _refresh_if_shown(self) -> None:
        """A hidden tab re-reads when it is shown (at a million plays the tops take a moment)."""
        if self.isVisible():
            self.refresh()

    def days(self) -> int:
        return int(self.period.currentData())

    def refresh(self) -> None:
        self._token += 1
        token, days = self._token, self.days()
        self.ctx.jobs.start(
            lambda store, _job: read_history(store, days),
            data_dir=self.ctx.data_dir,
            on_done=lambda snap: self._show(token, snap),
            on_error=self.ctx.show_message,
        )

    def _show(self, token: int, snap: HistorySnapshot) -> None:
        if token != self._token:
            return
        self.snapshot = snap
        now = time.time()
        self.recent.clear()
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
        italic = QFont(self.font())
        italic.setItalic(True)
        for r in snap.recent:
            track = f"{artist_name(r.artist)} – {r.display_title}"
            item = QTreeWidgetItem(
                [
                    format_when(r.play.started_at, now),
                    track,
                    format_duration(r.play.seconds_played),
                    SKIP_MARK if r.play.skipped else "",
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, r.play.track_id)
            if r.play.skipped:
                for col in range(4):
                    item.setForeground(col, muted)
                    item.setFont(col, italic)
            self.recent.addTopLevelItem(item)
        self.chart.set_days(snap.days)
        plays = sum(d.plays for d in snap.days)
        skips = sum(d.skips for d in snap.days)
        hours = sum(d.seconds for d in snap.days) / 3600
        self.summary.setText(
            f"{plays:,} plays, {skips:,} skipped, {hours:,.1f} hours listened"
            if plays
            else "Nothing played in this period."
        )
        self.artists.clear()
        for a in snap.artists:
            self.artists.addTopLevelItem(QTreeWidgetItem([a.artist, str(a.plays)]))
        self.top_tracks.clear()
        for t in snap.tracks:
            label = f"{artist_name(t.artist)} – {t.title or f'Track {t.track_id}'}"
            item = QTreeWidgetItem([label, str(t.plays)])
            item.setData(0, Qt.ItemDataRole.UserRole, t.track_id)
            self.top_tracks.addTopLevelItem(item)
        self.refreshed.emit()

    def _play_item(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        tid = item.data(0, Qt.ItemDataRole.UserRole)
        if tid is not None:
            self.ctx.play_tracks([int(tid)], 0, context=PLAY_CONTEXT)

    def _menu(self, tree: QTreeWidget, pos) -> None:
        ids = [
            int(i.data(0, Qt.ItemDataRole.UserRole))
            for i in tree.selectedItems()
            if i.data(0, Qt.ItemDataRole.UserRole) is not None
        ]
        if ids:
            ids = list(dict.fromkeys(ids))
            ctx = self.ctx
            menu = build_track_menu(self, ids, ctx.track_actions(), ctx.track_menu_providers)
            menu.popup(tree.viewport().mapToGlobal(pos))


def _stretch(tree: QTreeWidget, column: int) -> None:
    """`column` takes the spare width; the others fit their contents (numbers, marks)."""
    header = tree.header()
    header.setStretchLastSection(False)
    for c in range(tree.columnCount()):
        mode = (
            QHeaderView.ResizeMode.Stretch
            if c == column
            else QHeaderView.ResizeMode.ResizeToContents
        )
        header.setSectionResizeMode(c, mode)


def install_history(ctx: ViewContext) -> HistoryView:
    view = HistoryView(ctx)
    ctx.add_view(view, "History")
    return view
