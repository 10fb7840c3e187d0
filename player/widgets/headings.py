"""Bold heading labels, one look for every view's titles."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

VIEW_TITLE_SCALE = 1.4
"""A view's own title (For you, Mixes) beside the window's normal text."""


def heading_label(text: str, scale: float = 1.0) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    if scale != 1.0:
        font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)
    return label
