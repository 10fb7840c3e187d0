"""The dialog that defines a smart playlist: a name, a query, a sort and a limit."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from recommender.core.errors import TonearmError
from recommender.playlists.smart import (
    DEFAULT_LIMIT,
    DEFAULT_SORT,
    MAX_LIMIT,
    SMART_SORTS,
    SmartRule,
    check_rule,
)


class SmartPlaylistDialog(QDialog):
    """Checks the query as it is typed (parsing only, no SQL), so OK means a valid rule."""

    def __init__(
        self, parent: QWidget | None = None, *, name: str = "", rule: SmartRule | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Smart playlist")
        rule = rule or SmartRule("", DEFAULT_SORT, DEFAULT_LIMIT)
        self.name = QLineEdit(name)
        self.name.setPlaceholderText("e.g. Jazz I keep coming back to")
        self.query = QLineEdit(rule.query)
        self.query.setPlaceholderText("genre:jazz year:1950..1965  (empty: every track)")
        self.sort = QComboBox()
        for key, label in SMART_SORTS.items():
            self.sort.addItem(label, key)
        self.sort.setCurrentIndex(max(0, self.sort.findData(rule.sort)))
        self.limit = QSpinBox()
        self.limit.setRange(0, MAX_LIMIT)
        self.limit.setSpecialValueText("no limit")
        self.limit.setSuffix(" tracks")
        self.limit.setValue(rule.limit or 0)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c0392b;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Name:", self.name)
        form.addRow("Tracks matching:", self.query)
        form.addRow("Sorted by:", self.sort)
        form.addRow("At most:", self.limit)
        form.addRow(self.problem)
        form.addRow(self.buttons)
        self.name.textChanged.connect(self._check)
        self.query.textChanged.connect(self._check)
        self._check()
        self.resize(460, self.sizeHint().height())

    def rule(self) -> SmartRule:
        limit = self.limit.value()
        return SmartRule(self.query.text(), self.sort.currentData(), limit or None)

    def _check(self) -> None:
        problem = "" if self.name.text().strip() else "A smart playlist needs a name."
        try:
            check_rule(self.rule())
        except TonearmError as exc:
            problem = str(exc).capitalize()
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)
