"""Where Tonearm's shipped files (sound model, icons, desktop entry) are, in every install form.

The repository keeps them in `resources/`. A wheel carries the same tree as package data under
`recommender/resources/` (a symlink in the checkout, copied by setuptools), and a PyInstaller
bundle puts it in `<bundle>/_internal/resources/`. One lookup serves all three, so code never
builds paths from `__file__` and breaks in the other two.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP_ID = "io.github.tonearm.Tonearm"
ICON_NAME = "tonearm"
ICON_SIZES_PX = (16, 24, 32, 48, 64, 128, 256, 512)
PACKAGE_RESOURCES = Path(__file__).parents[1] / "resources"  # wheel installs (a symlink in git)
CHECKOUT_RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def resource_roots() -> list[Path]:
    """Candidate `resources/` folders, most specific first: bundle, package data, checkout."""
    roots: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        roots.append(Path(bundle) / "resources")
    roots.append(PACKAGE_RESOURCES.resolve())  # the checkout itself, through the symlink
    if (CHECKOUT_RESOURCES.parent / "pyproject.toml").is_file():  # not site-packages/resources
        roots.append(CHECKOUT_RESOURCES)
    return list(dict.fromkeys(roots))


def resource_path(*parts: str) -> Path:
    """The first existing `resources/<parts>`; if none exists, where it was expected first.

    Returning a path either way lets callers report "missing: <path>" instead of crashing.
    """
    candidates = [root.joinpath(*parts) for root in resource_roots()]
    for path in candidates:
        if path.exists():
            return path
    return candidates[0]


def icon_png(size_px: int) -> Path:
    """The app icon rendered at `size_px` (one of ICON_SIZES_PX)."""
    return resource_path("icons", f"{ICON_NAME}-{size_px}.png")


def icon_svg() -> Path:
    """The scalable app icon the PNGs are rendered from."""
    return resource_path("icons", f"{ICON_NAME}.svg")
