"""The features that plug into the main window through the context's extension points.

`MainWindow` is the library, queue and playback; everything else (For you, mixes, playlists,
history, the sound map, desktop integration) installs itself here through `ctx.add_view`,
`ctx.add_side_panel`, `ctx.add_track_menu_provider` and `ctx.add_settings_section`, so the
window does not grow into a god object. Each entry is `install(ctx) -> what it built` (or None
where the desktop lacks it); the order is the order of the tabs.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from player.workers.context import ViewContext

FeatureInstaller = Callable[["ViewContext"], object]
log = logging.getLogger(__name__)


def feature_installers() -> list[FeatureInstaller]:
    """Imported lazily so that a broken feature names itself instead of stopping the app."""
    return [
        lazy_feature("player.discovery.for_you_view", "install_for_you"),
        lazy_feature("player.discovery.mixes_view", "install_mixes"),
        lazy_feature("player.discovery.track_discovery", "install_track_discovery"),
        lazy_feature("player.discovery.remote_section", "install_remote_settings"),
        lazy_feature("player.playlists.playlists_view", "install_playlists"),
        lazy_feature("player.history.history_view", "install_history"),
        lazy_feature("player.discovery.sound_map", "install_sound_map"),
        lazy_feature("player.desktop.mpris", "install_mpris"),
        lazy_feature("player.desktop.tray", "install_tray"),
    ]


def lazy_feature(module: str, name: str) -> FeatureInstaller:
    """`module.name(ctx)`, imported at install time; a failure is logged and shown, not fatal."""

    def install(ctx: ViewContext) -> object:
        try:
            return getattr(importlib.import_module(module), name)(ctx)
        except Exception as exc:
            log.exception("feature %s.%s could not be installed", module, name)
            ctx.show_message(f"A feature could not start ({module}): {exc}")
            return None

    return install


def install_features(ctx: ViewContext) -> list[object]:
    """Every feature, in tab order; returns what each built (None where it is off)."""
    return [install(ctx) for install in feature_installers()]
