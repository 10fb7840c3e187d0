"""The browser beside the library: pick an artist, album or genre to narrow the table."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QListView, QVBoxLayout, QWidget

from recommender.library.columns import BROWSER_SEP, LibraryColumns, browser_values

BROWSE_KEYS: tuple[tuple[str, str], ...] = (
    ("artist", "Artists"),
    ("album", "Albums"),
    ("genre", "Genres"),
)


class BrowserModel(QAbstractListModel):
    """Row 0 is "All"; the rest are (value, count) pairs."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.entries: list[tuple[str, int]] = []
        self.total = 0
        self.noun = "artists"

    def set_entries(self, entries: list[tuple[str, int]], total: int, noun: str) -> None:
        self.beginResetModel()
        self.entries, self.total, self.noun = entries, total, noun
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries) + 1

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0):
        if not index.isValid():
            return None
        row = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            if row == 0:
                return f"All {self.noun} ({len(self.entries):,})"
            value, count = self.entries[row - 1]
            return f"{value.replace(BROWSER_SEP, '  —  ')}  ({count})"
        if role == Qt.ItemDataRole.UserRole:
            return None if row == 0 else self.entries[row - 1][0]
        return None


class BrowserPanel(QWidget):
    browseChanged = Signal(object, object)  # key, value (None: all)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.columns: LibraryColumns | None = None
        self.kind = QComboBox()
        for key, label in BROWSE_KEYS:
            self.kind.addItem(label, key)
        self.model = BrowserModel(self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.selectionModel().currentChanged.connect(self._picked)
        self.kind.currentIndexChanged.connect(self._refill)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.kind)
        layout.addWidget(self.list, 1)

    @property
    def key(self) -> str:
        return self.kind.currentData()

    def set_columns(self, columns: LibraryColumns) -> None:
        self.columns = columns
        self._refill()

    def _refill(self, *args) -> None:
        if self.columns is None:
            return
        entries = browser_values(self.columns, self.key)
        self.model.set_entries(entries, len(self.columns), self.kind.currentText().lower())
        self.browseChanged.emit(None, None)

    def _picked(self, current: QModelIndex, _previous: QModelIndex) -> None:
        value = current.data(Qt.ItemDataRole.UserRole) if current.isValid() else None
        self.browseChanged.emit(self.key if value is not None else None, value)
