"""Fetch the Debian music packages we may train on and unpack their music into a cache folder.

Run as ``python -m recommender.train.fetch_data --cache DIR``. Nothing here is committed: the
packages are downloaded with ``apt-get download`` (no root needed) and only their music is
unpacked (``dpkg-deb --fsys-tarfile`` piped to ``tar``). Music hidden in zips (``.pk3`` for
Nexuiz and UFO:AI, 0 A.D.'s ``public.zip``) is extracted, tracker modules (``.xm``, ``.it``,
``.mod``, ``.s3m``) are rendered to 16 kHz WAV with Debian's ``openmpt123`` and MIDI files with
``fluidsynth``, symlinked or byte-identical copies are dropped, and a ``manifest.tsv`` (path,
soundtrack, duration_s) is written. Each soundtrack also gets ``corpus/<package>/``, a folder of
symlinks that ``python -m recommender.evaluate sound --corpus`` reads as one album.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import soundfile as sf

from recommender.train.manifest import MANIFEST_NAME, ManifestRow

# The only Debian packages we fetch (issue 15). Every other Debian music package is reserved for
# judging the model by people we never see: we neither train on them nor fetch them.
ALLOWED_PACKAGES: tuple[str, ...] = (
    "wesnoth-1.16-music",
    "ufoai-music",
    "nexuiz-music",
    "singularity-music",
    "hyperrogue-music",
    "planetblupi-music-ogg",
    "drascula-music",
    "extremetuxracer-data",
    "widelands-data",
    "supertuxkart-data",
    "colobot-common-sounds",
    "unknown-horizons",
    "redeclipse-data",
    "trackballs-data",
    "pushover-data",
    "megaglest-data",
    "warmux-data",
    "wizznic-data",
    "openclonk-data",
    "davegnukem-data",
    "fillets-ng-data",
    "enigma-data",
    "asc-music",
    "freecol",
    "freedink-data",
    "lordsawar-data",
    "adonthell-data",
    "ardentryst",
    "frozen-bubble-data",
    "btanks-data",
    "freeorion-data",
    "noiz2sa-data",
    "hex-a-hop-data",
    "lincity-ng-data",
    "amoebax-data",
    "gigalomania-data",
    "powermanga-data",
    "pathological",
    "pekka-kana-2-data",
    "rafkill-data",
    "0ad-data",
)
TRAINING_PACKAGES = ALLOWED_PACKAGES  # the name older callers use
AUDIO_SUFFIXES = (".ogg", ".oga", ".opus", ".flac", ".wav", ".mp3")
TRACKER_SUFFIXES = (".xm", ".it", ".mod", ".s3m")
MIDI_SUFFIXES = (".mid", ".midi")
ARCHIVE_SUFFIXES = (".pk3", ".zip")
MUSIC_SUFFIXES = AUDIO_SUFFIXES  # what a manifest row points at (rendered files are WAV)
# Game data mixes music with sound effects, voices and ambience. A file is music when its path
# says so ("music" in a folder or file name), when the whole package is music, when it is a
# tracker module or MIDI file (games use them only for music), or by a per-package rule below.
EXTRA_MUSIC_PATHS = {
    "pushover-data": "/themes/",
    "adonthell-data": "/audio/at-demo",
    "frozen-bubble-data": "zik.",
    "btanks-data": "/tunes/",
    "freeorion-data": "/sound/artificial_intelligence",
    "noiz2sa-data": "/sounds/stg",
}
MIN_DURATION_S = 10.0  # jingles and stingers say little about a soundtrack's sound
MAX_RENDER_S = 600  # a tracker module that loops for ever is cut here
RENDER_RATE_HZ = 16000  # the rate our front end and the teacher work at


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


def is_music(package: str, member: str) -> bool:
    """Whether a file of ``package`` at ``member`` (a path inside it) is music, not effects."""
    lower = member.lower()
    if package.endswith("-music") or "music" in lower:
        return True
    if lower.endswith(TRACKER_SUFFIXES + MIDI_SUFFIXES):
        return True
    extra = EXTRA_MUSIC_PATHS.get(package)
    return extra is not None and extra in lower


def _unpack(deb: Path, dest: Path) -> None:
    """Only the audio, modules and archives of a package (some hold gigabytes of other data)."""
    if dest.exists():
        return
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    suffixes = AUDIO_SUFFIXES + TRACKER_SUFFIXES + MIDI_SUFFIXES + ARCHIVE_SUFFIXES
    patterns = [f"*{s}" for s in suffixes]
    dpkg = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    tar = subprocess.run(
        ["tar", "-x", "-C", str(partial), "--wildcards", "--ignore-case", *patterns],
        stdin=dpkg.stdout,
        capture_output=True,
    )
    if dpkg.stdout is not None:
        dpkg.stdout.close()
    if dpkg.wait() != 0:
        raise RuntimeError(f"dpkg-deb cannot read {deb.name}")
    err = tar.stderr.decode(errors="replace")
    # tar exits 2 when a pattern matched nothing, which is normal here
    if tar.returncode not in (0, 2) or (tar.returncode == 2 and "Not found" not in err):
        raise RuntimeError(f"tar failed on {deb.name}: {err.strip()}")
    partial.rename(dest)


def _extract_archives(package: str, root: Path) -> None:
    """Nexuiz and UFO:AI keep their music in .pk3 files, 0 A.D. in public.zip: plain zips."""
    for archive in [*root.rglob("*.pk3"), *root.rglob("*.zip")]:
        out = archive.with_name(archive.name + ".d")
        if out.exists():
            continue
        try:
            with zipfile.ZipFile(archive) as zf:
                for name in zf.namelist():
                    if name.lower().endswith(AUDIO_SUFFIXES) and is_music(package, name):
                        zf.extract(name, out)
        except zipfile.BadZipFile:
            print(f"warning: {archive} is not a zip; skipped", file=sys.stderr)
        out.mkdir(exist_ok=True)


def _render_one(source: Path, out: Path) -> Path | None:
    """Tracker module or MIDI file to 16 kHz mono WAV; None (with a warning) if it fails."""
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial.wav")
    if source.suffix.lower() in MIDI_SUFFIXES:
        from recommender.train.synth_midi import SOUNDFONT, render

        try:
            render(source, partial, SOUNDFONT)
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"warning: cannot render {source.name}: {exc}", file=sys.stderr)
            return None
    else:
        command = [
            "openmpt123",
            "--batch",
            "--quiet",
            "--force",
            "--samplerate",
            str(RENDER_RATE_HZ),
            "--channels",
            "1",
            "--end-time",
            str(MAX_RENDER_S),
            "-o",
            str(partial),
            str(source),
        ]
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0 or not partial.exists():
            print(f"warning: cannot render {source.name}: {proc.stderr.strip()}", file=sys.stderr)
            return None
    partial.rename(out)
    return out


def _render_modules(root: Path, rendered: Path, sources: list[Path]) -> dict[Path, Path]:
    """Render every module and MIDI file (two at a time); source -> rendered WAV."""
    if sources and shutil.which("openmpt123") is None:
        needs = [s for s in sources if s.suffix.lower() in TRACKER_SUFFIXES]
        if needs:
            print(
                f"warning: {len(needs)} tracker modules skipped: install Debian's openmpt123",
                file=sys.stderr,
            )
            sources = [s for s in sources if s not in needs]
    targets = [rendered / (str(s.relative_to(root)) + ".wav") for s in sources]
    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(_render_one, sources, targets))
    return {s: o for s, o in zip(sources, outs, strict=True) if o is not None}


def _music_files(package: str, root: Path) -> list[Path]:
    """Real music files under root, skipping symlinks (drascula's language folders)."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix.lower() in AUDIO_SUFFIXES + TRACKER_SUFFIXES + MIDI_SUFFIXES
        and p.is_file()
        and not p.is_symlink()
        and is_music(package, str(p.relative_to(root)))
    )


def _digest(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def _link_into_corpus(folder: Path, path: Path, index: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / f"{index:03d}_{path.name}"
    if not link.is_symlink():
        link.symlink_to(path)


def fetch(cache: Path, packages: tuple[str, ...] = ALLOWED_PACKAGES) -> list[ManifestRow]:
    """Download, unpack, render and index packages; returns the manifest rows."""
    unknown = sorted(set(packages) - set(ALLOWED_PACKAGES))
    if unknown:
        raise ValueError(f"not an allowed training package: {', '.join(unknown)}")
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
        _extract_archives(package, root)
        files = []
        for path in _music_files(package, root):
            digest = _digest(path)
            if digest not in seen:
                seen.add(digest)
                files.append(path)
        modules = [p for p in files if p.suffix.lower() not in AUDIO_SUFFIXES]
        rendered = _render_modules(root, cache / "rendered" / package, modules)
        kept = 0
        for path in files:
            audio = rendered.get(path, path)
            if audio.suffix.lower() not in AUDIO_SUFFIXES:
                continue  # a module that did not render
            try:
                duration_s = sf.info(str(audio)).duration
            except (RuntimeError, sf.LibsndfileError) as exc:
                print(f"warning: skipping {audio}: {exc}", file=sys.stderr)
                continue
            if duration_s < MIN_DURATION_S:
                continue
            rows.append(ManifestRow(str(audio.relative_to(cache)), package, round(duration_s, 2)))
            _link_into_corpus(cache / "corpus" / package, audio, kept)
            kept += 1
        hours = sum(r.duration_s for r in rows if r.soundtrack == package) / 3600
        print(f"{package}: {kept} tracks, {hours:.2f} h", flush=True)
    with open(cache / MANIFEST_NAME, "w", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t")
        writer.writerow(["path", "soundtrack", "duration_s"])
        for row in rows:
            writer.writerow([row.path, row.soundtrack, row.duration_s])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, required=True, help="folder for packages and music")
    parser.add_argument(
        "--packages", nargs="+", default=list(ALLOWED_PACKAGES), help="a subset of the allowed"
    )
    args = parser.parse_args(argv)
    rows = fetch(args.cache.resolve(), tuple(args.packages))
    hours = sum(r.duration_s for r in rows) / 3600
    print(f"{len(rows)} tracks, {hours:.1f} h of music, manifest in {args.cache / MANIFEST_NAME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
