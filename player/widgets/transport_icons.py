"""Play/pause/previous/next icons drawn in the palette's text colour, so they suit dark themes.

The style's standard media icons are fixed dark pixmaps that vanish on a dark palette.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap, QPolygonF

ICON_PX = 64


def transport_icon(kind: str, colour: QColor) -> QIcon:
    """kind: "play", "pause", "previous", "next" or "volume"."""
    pixmap = QPixmap(ICON_PX, ICON_PX)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(colour)
    s = ICON_PX
    if kind == "play":
        p.drawPolygon(QPolygonF([QPointF(s * 0.28, s * 0.18), QPointF(s * 0.82, s * 0.5),
                                 QPointF(s * 0.28, s * 0.82)]))  # fmt: skip
    elif kind == "volume":  # a speaker and two sound waves
        corners = ((0.12, 0.38), (0.3, 0.38), (0.52, 0.18), (0.52, 0.82), (0.3, 0.62), (0.12, 0.62))
        p.drawPolygon(QPolygonF([QPointF(s * x, s * y) for x, y in corners]))
        pen = QPen(colour, s * 0.07, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for r in (0.16, 0.3):
            box = QRectF(s * (0.52 - r), s * (0.5 - r), s * 2 * r, s * 2 * r)
            p.drawArc(box, -45 * 16, 90 * 16)
    elif kind == "pause":
        p.drawRoundedRect(QRectF(s * 0.25, s * 0.2, s * 0.17, s * 0.6), 3, 3)
        p.drawRoundedRect(QRectF(s * 0.58, s * 0.2, s * 0.17, s * 0.6), 3, 3)
    else:
        forward = kind == "next"

        def x(v: float) -> float:
            return s * v if forward else s * (1 - v)

        p.drawPolygon(QPolygonF([QPointF(x(0.2), s * 0.22), QPointF(x(0.68), s * 0.5),
                                 QPointF(x(0.2), s * 0.78)]))  # fmt: skip
        left = min(x(0.68), x(0.8))
        p.drawRect(QRectF(left, s * 0.22, s * 0.12, s * 0.56))
    p.end()
    return QIcon(pixmap)
