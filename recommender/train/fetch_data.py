"""Fetch the Debian music packages we train on and unpack their music into a cache folder.

Run as ``python -m recommender.train.fetch_data --cache DIR``. Nothing here is committed: the
packages are downloaded with ``apt-get download`` (no root needed), unpacked with ``dpkg -x``,
music hidden in ``.pk3`` zips is extracted, symlinked or byte-identical copies are dropped, and a
``manifest.tsv`` (path, soundtrack, duration_s) is written.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

TRAINING_PACKAGES: tuple[str, ...] = (
    "wesnoth-1.16-music",
    "ufoai-music",
    "nexuiz-music",
    "singularity-music",
    "hyperrogue-music",
    "planetblupi-music-ogg",
    "drascula-music",
    "extremetuxracer-data",
)
# Debian's other music packages are reserved for judging the model by people we never see:
# this script neither trains on them nor fetches them for our own evaluation.
MUSIC_SUFFIXES = (".ogg", ".oga", ".opus", ".flac", ".wav", ".mp3")
MIN_DURATION_S = 10.0  # jingles and stingers say little about a soundtrack's sound
MANIFEST_NAME = "manifest.tsv"


@dataclass(frozen=True)
class ManifestRow:
    path: str
    soundtrack: str
    duration_s: float


def _download(package: str, debs: Path) -> Path | None:
    existing = sorted(debs.glob(f"{package}_*.deb"))
    if existing:
        return existing[-1]
    for attempt in range(2):
        proc = subprocess.run(
            ["apt-get", "download", package], cwd=debs, capture_output=True, text=True
        )
        if proc.returncode == 0:
            found = sorted(debs.glob(f"{package}_*.deb"))
            return found[-1] if found else None
        if attempt == 0:
            subprocess.run(["apt-get", "update"], capture_output=True)
    print(f"warning: could not download {package}: {proc.stderr.strip()}", file=sys.stderr)
    return None


def _unpack(deb: Path, dest: Path) -> None:
    if not dest.exists():
        dest.mkdir(parents=True)
        subprocess.run(["dpkg", "-x", str(deb), str(dest)], check=True)


def _extract_pk3s(root: Path) -> None:
    """Nexuiz and UFO:AI keep their music inside .pk3 files, which are plain zips."""
    for pk3 in root.rglob("*.pk3"):
        out = pk3.with_suffix(".pk3.d")
        if out.exists():
            continue
        with zipfile.ZipFile(pk3) as zf:
            for name in zf.namelist():
                if name.lower().endswith(MUSIC_SUFFIXES):
                    zf.extract(name, out)


def _music_files(root: Path) -> list[Path]:
    """Real music files under root, skipping symlinks (drascula's language folders)."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix.lower() in MUSIC_SUFFIXES and p.is_file() and not p.is_symlink()
    )


def _digest(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def _link_into_corpus(folder: Path, path: Path, index: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / f"{index:03d}_{path.name}"
    if not link.is_symlink():
        link.symlink_to(path)


def fetch(cache: Path, packages: tuple[str, ...] = TRAINING_PACKAGES) -> list[ManifestRow]:
    """Download, unpack and index packages; returns the manifest rows.

    Each package also gets a folder of symlinks under ``corpus/<package>/``, so the cache can be
    handed to ``python -m recommender.evaluate sound --corpus`` with one folder per soundtrack.
    """
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    rows: list[ManifestRow] = []
    seen: set[str] = set()
    for package in packages:
        deb = _download(package, debs)
        if deb is None:
            continue
        root = cache / "unpacked" / package
        _unpack(deb, root)
        _extract_pk3s(root)
        kept = 0
        for path in _music_files(root):
            digest = _digest(path)
            if digest in seen:
                continue
            seen.add(digest)
            try:
                duration_s = sf.info(str(path)).duration
            except (RuntimeError, sf.LibsndfileError) as exc:
                print(f"warning: skipping {path}: {exc}", file=sys.stderr)
                continue
            if duration_s < MIN_DURATION_S:
                continue
            rows.append(ManifestRow(str(path.relative_to(cache)), package, round(duration_s, 2)))
            _link_into_corpus(cache / "corpus" / package, path, kept)
            kept += 1
        print(f"{package}: {kept} tracks")
    with open(cache / MANIFEST_NAME, "w", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t")
        writer.writerow(["path", "soundtrack", "duration_s"])
        for row in rows:
            writer.writerow([row.path, row.soundtrack, row.duration_s])
    return rows


def read_manifest(cache: Path, name: str = MANIFEST_NAME) -> list[ManifestRow]:
    """Rows of the manifest written by ``fetch`` (or another named one); paths are relative to
    ``cache``."""
    with open(cache / name, newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        return [ManifestRow(r["path"], r["soundtrack"], float(r["duration_s"])) for r in reader]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, required=True, help="folder for packages and music")
    args = parser.parse_args(argv)
    rows = fetch(args.cache.resolve(), TRAINING_PACKAGES)
    hours = sum(r.duration_s for r in rows) / 3600
    print(f"{len(rows)} tracks, {hours:.1f} h of music, manifest in {args.cache / MANIFEST_NAME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
