"""The window icon comes from the shipped PNGs, at every size."""

from __future__ import annotations

from player.shell.app import _app_icon
from recommender.core.resource_paths import ICON_SIZES_PX


def test_app_icon_has_every_rendered_size(qapp) -> None:
    icon = _app_icon()
    assert not icon.isNull()
    sizes = {s.width() for s in icon.availableSizes()}
    assert sizes == set(ICON_SIZES_PX)
