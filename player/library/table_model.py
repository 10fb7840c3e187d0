"""The library table model: columns from `LibraryColumns`, a numpy array of visible rows.

`data()` only indexes arrays and formats one value, so scrolling 100,000 rows costs nothing;
filtering and sorting rebuild the `view` index array from the columns, never from SQL.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from player.widgets.formatting import TRACK_IDS_MIME, format_duration, format_when
from recommender.history.plays import Play
from recommender.library.columns import LibraryColumns, LibraryFilter, browser_mask
from recommender.library.fields import TABLE_COLUMNS
from recommender.library.tracks import artist_name

COLUMNS: tuple[tuple[str, str], ...] = tuple((c.key, c.label) for c in TABLE_COLUMNS)
COLUMN_KEYS = tuple(k for k, _ in COLUMNS)
COLUMN_KINDS = tuple(c.kind for c in TABLE_COLUMNS)
DEFAULT_HIDDEN: frozenset[str] = frozenset(c.key for c in TABLE_COLUMNS if c.hidden)
_RIGHT_KINDS = frozenset({"year", "int", "duration", "count"})
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_EMPTY_IDS = np.zeros(0, dtype=np.int64)


class LibraryModel(QAbstractTableModel):
    """Rows are positions in `view`, an index array into the loaded columns."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.columns: LibraryColumns | None = None
        self._filter: LibraryFilter | None = None
        self.view = _EMPTY_IDS
        self._order: np.ndarray | None = None  # all rows in the current sort order
        self._query_mask: np.ndarray | None = None
        self._browse_mask: np.ndarray | None = None
        self.sort_key: str | None = None
        self.sort_descending = False
        self.query = ""
        self.playing_id: int | None = None
        self.unplayable: set[int] = set()
        self._now = time.time()
        self._bold = QFont()
        self._bold.setBold(True)
        self._italic = QFont()
        self._italic.setItalic(True)
        self._grey = QColor(150, 150, 150)

    # --- loading, filtering, sorting ----------------------------------------------------
    def set_columns(self, columns: LibraryColumns) -> None:
        """Swap in freshly loaded columns, keeping the query, browser choice and sort."""
        self.beginResetModel()
        self.columns = columns
        self._filter = LibraryFilter(columns)
        self._order = None
        self._now = time.time()
        try:
            self._query_mask = self._filter.mask(self.query)
        except Exception:
            self._query_mask = None
        self._browse_mask = None
        self._rebuild()
        self.endResetModel()

    def set_query(self, query: str) -> None:
        """Filter by the search syntax; a bad year range raises UsageError, rows unchanged."""
        if self._filter is None:
            self.query = query
            return
        mask = self._filter.mask(query)
        self.query = query
        self._query_mask = mask
        self._reset_view()

    def set_browse(self, key: str | None, value: str | None) -> None:
        """Limit to one artist, album or genre from the browser (None: everything)."""
        if self.columns is None:
            return
        self._browse_mask = (
            None if not key or value is None else browser_mask(self.columns, key, value)
        )
        self._reset_view()

    @property
    def browsing(self) -> bool:
        """True while the browser limits the rows to one artist, album or genre."""
        return self._browse_mask is not None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sort_key = COLUMN_KEYS[column]
        self.sort_descending = order == Qt.SortOrder.DescendingOrder
        self._order = None
        if self.columns is not None:
            self.layoutAboutToBeChanged.emit()
            self._rebuild()
            self.layoutChanged.emit()

    def _reset_view(self) -> None:
        self.beginResetModel()
        self._rebuild()
        self.endResetModel()

    def _rebuild(self) -> None:
        cols = self.columns
        if cols is None:
            self.view = _EMPTY_IDS
            return
        if self._order is None:
            n = len(cols)
            if self.sort_key is None:
                self._order = np.arange(n, dtype=np.int64)
            else:
                ranks = cols.rank(self.sort_key)
                order = np.empty(n, dtype=np.int64)
                order[ranks] = np.arange(n)
                self._order = order[::-1].copy() if self.sort_descending else order
        mask = self._query_mask
        if self._browse_mask is not None:
            mask = self._browse_mask if mask is None else mask & self._browse_mask
        self.view = self._order if mask is None else self._order[mask[self._order]]

    # --- lookups for the window -----------------------------------------------------------
    def track_id(self, row: int) -> int:
        assert self.columns is not None
        return int(self.columns.ids[self.view[row]])

    def track_ids(self, rows: list[int]) -> list[int]:
        return [self.track_id(r) for r in rows]

    def visible_ids(self) -> np.ndarray:
        if self.columns is None:
            return _EMPTY_IDS
        return self.columns.ids[self.view]

    def row_of_track(self, track_id: int) -> int | None:
        if self.columns is None:
            return None
        base = self.columns.row_of(track_id)
        if base is None:
            return None
        hits = np.flatnonzero(self.view == base)
        return int(hits[0]) if hits.size else None

    def stats_changed(self) -> None:
        """Play counts arrived (or changed): repaint, and re-sort if sorted by them."""
        if self.sort_key in ("plays", "skips", "last_played"):
            self.layoutAboutToBeChanged.emit()
            self._order = None
            self._rebuild()
            self.layoutChanged.emit()
        elif self.rowCount():
            self.dataChanged.emit(
                self.index(0, 0), self.index(self.rowCount() - 1, len(COLUMNS) - 1)
            )

    def plays_recorded(self, plays: Iterable[Play]) -> None:
        """New plays: count them in the loaded columns and repaint their rows (no reset)."""
        cols = self.columns
        if cols is None:
            return
        for play in plays:
            ended_at = play.started_at + play.seconds_played
            if cols.count_listen(play.track_id, skipped=play.skipped, ended_at=ended_at) is None:
                continue
            view_row = self.row_of_track(play.track_id)
            if view_row is not None:
                self.dataChanged.emit(
                    self.index(view_row, 0), self.index(view_row, len(COLUMNS) - 1)
                )

    def set_playing(self, track_id: int | None) -> None:
        old, self.playing_id = self.playing_id, track_id
        for tid in (old, track_id):
            row = self.row_of_track(tid) if tid is not None else None
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def mark_unplayable(self, track_id: int) -> None:
        self.unplayable.add(track_id)
        row = self.row_of_track(track_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    # --- Qt model interface ---------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.view)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0):
        cols = self.columns
        if cols is None or not index.isValid():
            return None
        row = int(self.view[index.row()])
        if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.ToolTipRole:
            return self._display(
                cols, COLUMN_KEYS[index.column()], COLUMN_KINDS[index.column()], row
            )
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if COLUMN_KINDS[index.column()] in _RIGHT_KINDS else None
        if role == Qt.ItemDataRole.FontRole:
            tid = int(cols.ids[row])
            if tid == self.playing_id:
                return self._bold
            if tid in self.unplayable:
                return self._italic
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if self.unplayable and int(cols.ids[row]) in self.unplayable:
                return self._grey
            return None
        return None

    def _display(self, cols: LibraryColumns, key: str, kind: str, row: int) -> str:
        """One cell's text, by the column's declared kind (`fields.TABLE_COLUMNS`)."""
        value = getattr(cols, key)[row]
        if key == "artist":
            return artist_name(value, cols.albumartist[row])
        if kind in ("text", "path"):
            return value
        if kind == "duration":
            return format_duration(float(value))
        if kind == "time":
            return format_when(float(value), self._now)
        number = int(value)
        return str(number) if number else ""

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return [TRACK_IDS_MIME]

    def mimeData(self, indexes) -> QMimeData:
        rows = sorted({i.row() for i in indexes})
        mime = QMimeData()
        mime.setData(TRACK_IDS_MIME, ",".join(str(t) for t in self.track_ids(rows)).encode())
        return mime
