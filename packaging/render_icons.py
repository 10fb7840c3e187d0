"""Render the app icon's PNG sizes (committed) from resources/icons/tonearm.svg.

Uses Qt's own SVG renderer, so no extra tool is needed and the icons match what Qt draws:
`python packaging/render_icons.py`. Windows .ico and macOS .icns are made from the 512 px PNG
by PyInstaller itself when Pillow is installed (see packaging/README.md).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from recommender.core.resource_paths import ICON_NAME, ICON_SIZES_PX  # noqa: E402

ICONS = REPO / "resources" / "icons"


def render(svg: Path, size_px: int):
    """The SVG drawn into a transparent size x size QImage."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size_px, size_px, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    return image


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication([])
    svg = ICONS / f"{ICON_NAME}.svg"
    for size in ICON_SIZES_PX:
        out = ICONS / f"{ICON_NAME}-{size}.png"
        render(svg, size).save(str(out), "PNG", 0)  # 0 = smallest file
        print(f"{out.relative_to(REPO)}  {out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
