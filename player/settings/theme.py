"""The light/dark theme: the desktop's colour-scheme hint, or Fusion with its own palette."""

from __future__ import annotations


def apply_theme(theme: str) -> None:
    """ "system" follows the desktop's light/dark setting; "light"/"dark" force one.

    Where the platform can switch (Windows, macOS, GNOME/KDE portals) the color-scheme hint does
    it; elsewhere (plain X11, Xvfb) a forced choice uses the Fusion style with its own palette.
    """
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QStyleFactory

    app = QApplication.instance()
    if app is None:
        return
    hints = QGuiApplication.styleHints()
    scheme = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}.get(
        theme, Qt.ColorScheme.Unknown
    )
    if hasattr(hints, "setColorScheme"):  # Qt 6.8+
        hints.setColorScheme(scheme)
    if theme == "system":
        if app.property("tonearm_forced_theme"):
            app.setPalette(app.style().standardPalette())
            app.setProperty("tonearm_forced_theme", False)
        return
    if hints.colorScheme() == scheme and not app.property("tonearm_forced_theme"):
        return  # the platform switched by itself
    fusion = QStyleFactory.create("Fusion")
    app.setStyle(fusion)
    app.setPalette(_dark_palette() if theme == "dark" else fusion.standardPalette())
    app.setProperty("tonearm_forced_theme", True)


def _dark_palette():
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    role = QPalette.ColorRole
    colours = {
        role.Window: "#2b2b2b", role.WindowText: "#e6e6e6", role.Base: "#1f1f1f",
        role.AlternateBase: "#262626", role.ToolTipBase: "#333333", role.ToolTipText: "#e6e6e6",
        role.Text: "#e6e6e6", role.Button: "#353535", role.ButtonText: "#e6e6e6",
        role.BrightText: "#ff5555", role.Highlight: "#2f7bd6", role.HighlightedText: "#ffffff",
        role.Link: "#6fb3ff", role.PlaceholderText: "#8a8a8a", role.Mid: "#444444",
        role.Dark: "#1a1a1a", role.Light: "#4a4a4a", role.Midlight: "#3a3a3a",
    }  # fmt: skip
    for r, colour in colours.items():
        palette.setColor(r, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.Text, role.WindowText, role.ButtonText):
        palette.setColor(disabled, r, QColor("#7a7a7a"))
    return palette
