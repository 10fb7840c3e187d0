"""The training cache's manifests: one row a track (path relative to the cache, soundtrack,
duration), written by fetching and rendering, read by the split, the teacher and training."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

MANIFEST_NAME = "manifest.tsv"


@dataclass(frozen=True)
class ManifestRow:
    path: str
    soundtrack: str
    duration_s: float


def read_manifest(cache: Path, name: str = MANIFEST_NAME) -> list[ManifestRow]:
    """Rows of the manifest written by ``fetch`` (or another named one); paths are relative to
    ``cache``."""
    with open(cache / name, newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        return [ManifestRow(r["path"], r["soundtrack"], float(r["duration_s"])) for r in reader]
