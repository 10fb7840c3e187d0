"""The queue beside the library: drag to reorder, drop tracks in, double-click to play."""

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
from PySide6.QtGui import QFont, QKeySequence, QShortcut
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

QUEUE_ROWS_MIME = "application/x-tonearm-queue-rows"


class QueueModel(QAbstractListModel):
    """A view of `PlayOrder.queue`; titles come from the loaded library columns (no SQL)."""

    changed = Signal()  # the queue's content or order changed: persist it

    def __init__(self, order: PlayOrder, parent=None) -> None:
        super().__init__(parent)
        self.order = order
        self.columns: LibraryColumns | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    def set_columns(self, columns: LibraryColumns) -> None:
        self.beginResetModel()
        self.columns = columns
        self.endResetModel()

    def refresh(self) -> None:
        """Repaint (the playing entry moved); keeps the user's selection."""
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, 0))

    def label(self, track_id: int) -> tuple[str, str]:
        cols = self.columns
        row = cols.row_of(track_id) if cols is not None else None
        if cols is None or row is None:
            return f"Track {track_id}", ""
        artist = cols.artist[row]
        text = f"{artist} – {cols.title[row]}" if artist else cols.title[row]
        return text, format_duration(float(cols.duration[row]))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.order.queue)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0):
        if not index.isValid() or index.row() >= len(self.order.queue):
            return None
        tid = self.order.queue[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            text, length = self.label(tid)
            return f"{text}  ({length})" if length else text
        if role == Qt.ItemDataRole.FontRole and index.row() == self.order.queue_index:
            return self._bold if self.order.source == "queue" else None
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
        self.order.insert(at, track_ids)
        self.endInsertRows()
        self.changed.emit()

    def remove(self, rows: list[int]) -> None:
        if not rows:
            return
        self.beginResetModel()
        self.order.remove(rows)
        self.endResetModel()
        self.changed.emit()

    def move_rows(self, rows: list[int], to: int) -> int:
        self.beginResetModel()
        start = self.order.move(rows, to)
        self.endResetModel()
        self.changed.emit()
        return start

    def clear(self) -> None:
        self.beginResetModel()
        self.order.clear()
        self.endResetModel()
        self.changed.emit()


class QueuePanel(QWidget):
    playRequested = Signal(int)  # queue row

    def __init__(self, model: QueueModel, parent=None) -> None:
        super().__init__(parent)
        self.model = model
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
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            sc = QShortcut(QKeySequence(key), self.list)
            sc.setContext(Qt.ShortcutContext.WidgetShortcut)
            sc.activated.connect(self._play_current)
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.remove_selected)

        title = QLabel("Queue")
        bold = title.font()
        bold.setBold(True)
        title.setFont(bold)
        self.count = QLabel()
        remove = QPushButton("Remove")
        remove.clicked.connect(self.remove_selected)
        clear = QPushButton("Clear")
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
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            signal.connect(self._update_count)
        self._update_count()

    def selected_rows(self) -> list[int]:
        return sorted(i.row() for i in self.list.selectionModel().selectedRows())

    def remove_selected(self) -> None:
        self.model.remove(self.selected_rows())

    def _play_current(self) -> None:
        idx = self.list.currentIndex()
        if idx.isValid():
            self.playRequested.emit(idx.row())

    def _update_count(self, *args) -> None:
        n = len(self.model.order.queue)
        self.count.setText(f"{n} track{'s' if n != 1 else ''}" if n else "empty")

    def _menu(self, pos) -> None:
        rows = self.selected_rows()
        if rows and self.context_menu_for is not None:
            self.context_menu_for(rows, self.list.viewport().mapToGlobal(pos))
