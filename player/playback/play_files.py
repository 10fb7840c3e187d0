"""Play files named outside the library view (a second `tonearm FILE...`, MPRIS OpenUri).

Files the library lacks are scanned in first, in a job; the tracks it added reach the library
table as a `TracksChanged` event, and the files play as a list in the order given.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from player.workers.events import TracksChanged

if TYPE_CHECKING:
    from player.workers.context import ViewContext
    from recommender.app.open_files import OpenedFiles


def absolute_paths(args: Sequence[str], cwd: str | None = None) -> list[str]:
    """Command-line files as absolute paths (the running window has another working folder);
    file:// URLs from desktop files are accepted too."""
    base = cwd or os.getcwd()
    out = []
    for arg in args:
        if arg.startswith("file://"):
            arg = unquote(urlsplit(arg).path)
        out.append(os.path.normpath(os.path.join(base, os.path.expanduser(arg))))
    return out


def play_files(ctx: ViewContext, paths: Sequence[str]) -> None:
    """Bring the window forward and play `paths`; unknown files are scanned in a worker first."""
    window = ctx.window
    window.show()
    window.raise_()
    window.activateWindow()
    if not paths:
        return
    from recommender.app.open_files import open_files

    folders = list(ctx.settings.library_folders)
    wanted = list(paths)
    ctx.jobs.start(
        lambda store, job: open_files(store, wanted, library_folders=folders, cancel=job.cancelled),
        data_dir=ctx.data_dir,
        on_done=lambda opened: _play_opened(ctx, opened),
        on_error=lambda message: ctx.show_message(f"Could not open the files: {message}"),
    )


def _play_opened(ctx: ViewContext, opened: OpenedFiles) -> None:
    if opened.added:
        ctx.events.tracks_changed(TracksChanged(added=opened.added))
    if opened.problems:
        ctx.show_message("Cannot play " + "; ".join(opened.problems[:3]))
    if opened.track_ids:
        ctx.play_tracks(opened.track_ids, 0, context="library")
