"""Bring the library up to date: scan the folders, give untagged tracks the artist their folder
makes unambiguous, then match imported listens that were waiting for files the scan just found.
The CLI and the GUI's scan worker both call this."""

from __future__ import annotations

from collections.abc import Iterable

from recommender.core.progress import CancelCheck, ProgressCallback, never_cancel
from recommender.history.imports import rematch_unmatched
from recommender.library.scan import ScanSummary, scan_folders
from recommender.library.store import Store
from recommender.library.tracks import fill_missing_artists


def update_library(
    store: Store,
    folders: Iterable[str],
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck = never_cancel,
    workers: int | None = None,
) -> ScanSummary:
    summary = scan_folders(store, folders, progress=progress, cancel=cancel, workers=workers)
    if not summary.cancelled:
        fill_missing_artists(store)
        summary.rematched = rematch_unmatched(store)
    return summary
