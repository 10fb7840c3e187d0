"""The queue beside the library: what is still to come, then the next tracks of the list.

The queue part holds what the listener lined up (drag to reorder, drop tracks in, double-click
to play); played tracks leave it. Under it, "Next from …" shows the next few tracks of the list
that carries on after the queue (a radio, a playlist, the library): the panel reads top to
bottom in the order Next will play. Removing one of those tells the play order, and a radio
counts it as a skip.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from player.playback.play_order import PlayOrder
from player.widgets.formatting import TRACK_IDS_MIME, format_duration
from recommender.library.columns import LibraryColumns
from recommender.library.tracks import UNKNOWN_ARTIST

QUEUE_ROWS_MIME = "application/x-tonearm-queue-rows"
AHEAD_SHOWN = 8
"""How many of the list's next tracks the panel shows under the queue."""
LIST_TITLES = {
    "library": "Next from the library",
    "radio": "Next on the radio",
    "similar": "Next from More like this",
    "history": "Next from the history",
}


def list_title(context: str) -> str:
    """The heading over the list's next tracks for a play context ("playlist:3", "radio"…)."""
    if context.startswith("playlist"):
        return "Next from the playlist"
    return LIST_TITLES.get(context, "Next from the list")


def track_label(columns: LibraryColumns | None, track_id: int) -> str:
    """ "Artist – Title  (3:07)" from the loaded columns (no SQL)."""
    row = columns.row_of(track_id) if columns is not None else None
    if columns is None or row is None:
        return f"Track {track_id}"
    text = f"{columns.artist[row] or UNKNOWN_ARTIST} – {columns.title[row]}"
    return f"{text}  ({format_duration(float(columns.duration[row]))})"


class QueueModel(QAbstractListModel):
    """A view of `PlayOrder.queue` (what is still to come); labels from the loaded columns."""

    changed = Signal()  # the queue's content or order changed: persist it

    def __init__(self, order: PlayOrder, parent=None) -> None:
        super().__init__(parent)
        self.order = order
        self.columns: LibraryColumns | None = None
        self._shown: list[int] = list(order.queue)
        self._editing = False
        order.listeners.append(self.refresh)

    def set_columns(self, columns: LibraryColumns) -> None:
        self.beginResetModel()
        self.columns = columns
        self._shown = list(self.order.queue)
        self.endResetModel()

    def refresh(self) -> None:
        """Follow the play order (a queued track started and left the queue); a repaint keeps
        the user's selection when nothing moved."""
        if self._editing:
            return
        if self._shown != self.order.queue:
            self.beginResetModel()
            self._shown = list(self.order.queue)
            self.endResetModel()
            self.changed.emit()
        elif self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, 0))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._shown)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0):
        if not index.isValid() or index.row() >= len(self._shown):
            return None
        tid = self._shown[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return track_label(self.columns, tid)
        if role == Qt.ItemDataRole.UserRole:
            return tid
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index) | Qt.ItemFlag.ItemIsDropEnabled
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:
        return [QUEUE_ROWS_MIME, TRACK_IDS_MIME]

    def mimeData(self, indexes) -> QMimeData:
        rows = sorted({i.row() for i in indexes})
        mime = QMimeData()
        mime.setData(QUEUE_ROWS_MIME, ",".join(map(str, rows)).encode())
        return mime

    def dropMimeData(self, data: QMimeData, action, row: int, column: int, parent) -> bool:
        if row < 0:
            row = parent.row() if parent.isValid() else len(self.order.queue)
        if data.hasFormat(QUEUE_ROWS_MIME):
            rows = [int(r) for r in bytes(data.data(QUEUE_ROWS_MIME)).decode().split(",") if r]
            self.move_rows(rows, row)
            return True
        if data.hasFormat(TRACK_IDS_MIME):
            ids = [int(t) for t in bytes(data.data(TRACK_IDS_MIME)).decode().split(",") if t]
            self.insert(row, ids)
            return True
        return False

    def removeRows(self, row: int, count: int, parent=QModelIndex()) -> bool:  # noqa: B008
        # Qt calls this after an internal move; our move already happened in dropMimeData.
        return False

    # --- edits ----------------------------------------------------------------------------
    def insert(self, at: int, track_ids: list[int]) -> None:
        if not track_ids:
            return
        at = max(0, min(at, len(self.order.queue)))
        self.beginInsertRows(QModelIndex(), at, at + len(track_ids) - 1)
        self._edit(lambda: self.order.insert(at, track_ids))
        self.endInsertRows()
        self.changed.emit()

    def remove(self, rows: list[int]) -> None:
        if not rows:
            return
        self.beginResetModel()
        self._edit(lambda: self.order.remove(rows))
        self.endResetModel()
        self.changed.emit()

    def move_rows(self, rows: list[int], to: int) -> int:
        self.beginResetModel()
        start = self._edit(lambda: self.order.move(rows, to))
        self.endResetModel()
        self.changed.emit()
        return start

    def clear(self) -> None:
        self.beginResetModel()
        self._edit(self.order.clear)
        self.endResetModel()
        self.changed.emit()

    def _edit(self, change):
        """Run an edit of the order between our own begin/end calls (no nested reset)."""
        self._editing = True
        try:
            return change()
        finally:
            self._editing = False
            self._shown = list(self.order.queue)


class AheadModel(QAbstractListModel):
    """The next few tracks of the list after the queue (`PlayOrder.ahead`)."""

    def __init__(self, order: PlayOrder, parent=None) -> None:
        super().__init__(parent)
        self.order = order
        self.columns: LibraryColumns | None = None
        self._shown: list[int] = order.ahead(AHEAD_SHOWN)
        order.listeners.append(self.refresh)

    def set_columns(self, columns: LibraryColumns) -> None:
        self.beginResetModel()
        self.columns = columns
        self.endResetModel()

    def refresh(self) -> None:
        ahead = self.order.ahead(AHEAD_SHOWN)
        if ahead != self._shown:
            self.beginResetModel()
            self._shown = ahead
            self.endResetModel()

    def track_ids(self) -> list[int]:
        return list(self._shown)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._shown)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0):
        if not index.isValid() or index.row() >= len(self._shown):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return track_label(self.columns, self._shown[index.row()])
        if role == Qt.ItemDataRole.UserRole:
            return self._shown[index.row()]
        return None

    def remove(self, rows: list[int]) -> list[int]:
        """Take these rows out of the list ahead (the play order tells a radio)."""
        return self.order.remove_ahead(rows)


class QueuePanel(QWidget):
    playRequested = Signal(int)  # queue row
    aheadPlayRequested = Signal(int)  # row of the list ahead (0 = the next one)

    def __init__(self, model: QueueModel, ahead: AheadModel | None = None, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self.ahead_model = ahead if ahead is not None else AheadModel(model.order, self)
        self.context_menu_for: Callable[[list[int], object], None] | None = None
        self.list = QListView()
        self.list.setModel(model)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setDragEnabled(True)
        self.list.setAcceptDrops(True)
        self.list.setDropIndicatorShown(True)
        self.list.setUniformItemSizes(True)
        self.list.setAlternatingRowColors(True)
        self.list.doubleClicked.connect(lambda idx: self.playRequested.emit(idx.row()))
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.ahead_list = QListView()
        self.ahead_list.setModel(self.ahead_model)
        self.ahead_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.ahead_list.setUniformItemSizes(True)
        self.ahead_list.setAlternatingRowColors(True)
        self.ahead_list.setToolTip("Double-click to play from here; Delete takes a track out")
        self.ahead_list.doubleClicked.connect(lambda idx: self.aheadPlayRequested.emit(idx.row()))
        for view, play in ((self.list, self._play_current), (self.ahead_list, self._play_ahead)):
            for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                sc = QShortcut(QKeySequence(key), view)
                sc.setContext(Qt.ShortcutContext.WidgetShortcut)
                sc.activated.connect(play)
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.remove_selected)
        delete_ahead = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.ahead_list)
        delete_ahead.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete_ahead.activated.connect(self.remove_selected_ahead)

        title = QLabel("Queue")
        bold = title.font()
        bold.setBold(True)
        title.setFont(bold)
        self.count = QLabel()
        self.ahead_title = QLabel(list_title("library"))
        self.ahead_title.setFont(bold)
        remove = QPushButton("Remove")
        remove.setToolTip("Take the selected tracks out of what is to come")
        remove.clicked.connect(self._remove_any)
        clear = QPushButton("Clear")
        clear.setToolTip("Empty the queue (the list under it goes on)")
        clear.clicked.connect(model.clear)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(self.count)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(remove)
        buttons.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(head)
        layout.addWidget(self.list, 2)
        layout.addWidget(self.ahead_title)
        layout.addWidget(self.ahead_list, 1)
        layout.addLayout(buttons)
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            signal.connect(self._update_count)
        self.ahead_model.modelReset.connect(self._update_ahead)
        self._update_count()
        self._update_ahead()

    def set_list_title(self, text: str) -> None:
        """The heading over the list's next tracks ("Next on the radio", …)."""
        self.ahead_title.setText(text)

    def selected_rows(self) -> list[int]:
        return sorted(i.row() for i in self.list.selectionModel().selectedRows())

    def selected_ahead_rows(self) -> list[int]:
        return sorted(i.row() for i in self.ahead_list.selectionModel().selectedRows())

    def remove_selected(self) -> None:
        self.model.remove(self.selected_rows())

    def remove_selected_ahead(self) -> None:
        self.ahead_model.remove(self.selected_ahead_rows())

    def _remove_any(self) -> None:
        self.remove_selected()
        self.remove_selected_ahead()

    def _play_current(self) -> None:
        idx = self.list.currentIndex()
        if idx.isValid():
            self.playRequested.emit(idx.row())

    def _play_ahead(self) -> None:
        idx = self.ahead_list.currentIndex()
        if idx.isValid():
            self.aheadPlayRequested.emit(idx.row())

    def _update_count(self, *args) -> None:
        n = len(self.model.order.queue)
        self.count.setText(f"{n} track{'s' if n != 1 else ''}" if n else "empty")

    def _update_ahead(self) -> None:
        shown = self.ahead_model.rowCount() > 0
        self.ahead_title.setVisible(shown)
        self.ahead_list.setVisible(shown)

    def _menu(self, pos) -> None:
        rows = self.selected_rows()
        if rows and self.context_menu_for is not None:
            self.context_menu_for(rows, self.list.viewport().mapToGlobal(pos))
