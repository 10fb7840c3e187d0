"""`tonearm --self-test`: prove an install works end to end on a machine without a screen.

It builds a throwaway library of generated audio (tones and noise in several formats, tagged
with mutagen), then scans, analyses with the shipped sound model, records a few plays,
recommends, finds similar tracks and writes a playlist, timing each step. Analysis runs in
worker processes on purpose: that is what breaks first in a frozen bundle. The user's own
library is never touched. Exit status 0 only when no step failed.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from recommender import __version__

if TYPE_CHECKING:
    from recommender.library.store import Store
    from recommender.sound.model import SoundModel

OK, FAILED, SKIPPED = "ok", "FAILED", "skipped"
TRACK_S = 7.0  # long enough for two analysis patches
SAMPLE_RATE_HZ = 22050
# (artist, sound): three artists that sound unlike each other; formats are mixed across them.
ARTISTS = (("Low Sines", "sine"), ("Noise Band", "noise"), ("Chords", "chord"))
FORMAT_CYCLE = (".flac", ".ogg", ".opus", ".mp3")
TRACKS_PER_ARTIST = 4
ANALYSIS_WORKERS = 2
ANALYSIS_CHUNK_TRACKS = 3  # several chunks, so the worker pool really runs


class SkipStep(Exception):
    """A step that cannot run here (no Qt, no model); reported as skipped, not failed."""


@dataclass
class SelfTestState:
    """What the steps share: the temporary folders, the store and what earlier steps made."""

    root: Path
    model_path: Path | None
    verbose: bool = False
    music_dir: Path = field(init=False)
    data_dir: Path = field(init=False)
    files: list[Path] = field(default_factory=list)
    store: Store | None = None
    model: SoundModel | None = None
    analysed: bool = False

    def library(self) -> Store:
        """The store the scan step opened (a later step cannot run without it)."""
        if self.store is None:
            raise RuntimeError("needs the library from the scan step")
        return self.store

    def __post_init__(self) -> None:
        self.music_dir = self.root / "Music"
        self.data_dir = self.root / "data"


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[SelfTestState], str]  # returns a one-line detail; raises to fail


@dataclass(frozen=True)
class StepResult:
    name: str
    status: str
    seconds: float
    detail: str


def _signal(kind: str, index: int, seconds: float):
    import numpy as np

    t = np.arange(int(seconds * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    rng = np.random.default_rng(index)
    if kind == "sine":
        x = 0.4 * np.sin(2 * np.pi * (110 + 20 * index) * t)
    elif kind == "noise":
        x = 0.3 * rng.standard_normal(t.size) * (0.5 + 0.5 * np.sin(2 * np.pi * 2 * t) ** 2)
    else:
        x = np.sum(
            [0.15 * np.sin(2 * np.pi * f * t) for f in (880 + 30 * index, 1100, 1320)], axis=0
        )
    return (x + 0.005 * rng.standard_normal(t.size)).astype("float32")


def write_tagged(path: Path, samples, *, artist: str, title: str, album: str, number: int) -> None:
    """Write `samples` in the format of `path`'s suffix, then tag it with mutagen."""
    import mutagen
    import soundfile as sf

    fmt, subtype, rate = {
        ".flac": ("FLAC", "PCM_16", SAMPLE_RATE_HZ),
        ".ogg": ("OGG", "VORBIS", SAMPLE_RATE_HZ),
        ".opus": ("OGG", "OPUS", 48000),
        ".mp3": ("MP3", "MPEG_LAYER_III", SAMPLE_RATE_HZ),
        ".wav": ("WAV", "PCM_16", SAMPLE_RATE_HZ),
    }[path.suffix]
    if rate != SAMPLE_RATE_HZ:
        import soxr

        samples = soxr.resample(samples, SAMPLE_RATE_HZ, rate)
    sf.write(path, samples, rate, format=fmt, subtype=subtype)
    tagged = mutagen.File(path, easy=True)
    if tagged is None:
        raise RuntimeError(f"mutagen cannot open the {path.suffix} file it was given")
    if tagged.tags is None:
        tagged.add_tags()
    tagged["artist"], tagged["title"], tagged["album"] = artist, title, album
    tagged["tracknumber"] = str(number)
    tagged.save()


def step_generate(state: SelfTestState) -> str:
    state.music_dir.mkdir(parents=True)
    counts: dict[str, int] = {}
    for a, (artist, kind) in enumerate(ARTISTS):
        for i in range(TRACKS_PER_ARTIST):
            ext = FORMAT_CYCLE[(a + i) % len(FORMAT_CYCLE)]
            path = state.music_dir / artist / f"{i + 1:02d} {kind} {i + 1}{ext}"
            path.parent.mkdir(exist_ok=True)
            title = f"{kind.title()} {i + 1}"
            write_tagged(
                path, _signal(kind, 10 * a + i, TRACK_S), artist=artist, title=title,
                album=f"{artist} Album", number=i + 1,
            )  # fmt: skip
            state.files.append(path)
            counts[ext] = counts.get(ext, 0) + 1
    return f"{len(state.files)} files: " + ", ".join(f"{n} {e}" for e, n in sorted(counts.items()))


def step_scan(state: SelfTestState) -> str:
    from recommender.app.library_update import update_library
    from recommender.library.store import open_store
    from recommender.library.tracks import distinct_artists

    state.store = store = open_store(state.data_dir)
    summary = update_library(store, [str(state.music_dir)], workers=1)
    if summary.added != len(state.files) or summary.errors:
        raise RuntimeError(f"expected {len(state.files)} new files: {summary.describe()}")
    artists = distinct_artists(store)
    if artists != {artist for artist, _ in ARTISTS}:
        raise RuntimeError(f"tags not read back: artists {sorted(map(str, artists))}")
    return f"{summary.added} added, tags read back"


def step_model(state: SelfTestState) -> str:
    from recommender.sound.model import MODEL_PATH, SoundModel

    state.model = model = SoundModel(state.model_path or MODEL_PATH)
    return f"{model.version}, {model.track_dim}-d, {model.path}"


def step_analyze(state: SelfTestState) -> str:
    from recommender.sound.analyze import embed_tracks

    if state.model is None:
        raise SkipStep("needs the sound model")
    summary = embed_tracks(
        state.library(), state.model, workers=ANALYSIS_WORKERS, chunk_tracks=ANALYSIS_CHUNK_TRACKS
    )
    if summary.failed or summary.embedded != len(state.files):
        reasons = "; ".join(r for _, r in summary.errors[:3])
        raise RuntimeError(f"embedded {summary.embedded}, failed {summary.failed}: {reasons}")
    state.analysed = True
    return f"{summary.embedded} tracks in {ANALYSIS_WORKERS} worker processes"


def step_history(state: SelfTestState) -> str:
    from recommender.history.plays import record_play
    from recommender.library.tracks import tracks_by_artist

    started = time.time() - 3600

    def ids_of(artist: str) -> list[int]:
        return [t.id for t in tracks_by_artist(state.library(), artist)]

    liked, skipped = ids_of(ARTISTS[0][0]), ids_of(ARTISTS[1][0])
    for n, track_id in enumerate(liked * 2):
        record_play(state.library(), track_id, TRACK_S, started_at=started + n * TRACK_S)
    for n, track_id in enumerate(skipped):
        record_play(state.library(), track_id, 1.0, started_at=started + 600 + n * 5)
    return f"{2 * len(liked)} plays of {ARTISTS[0][0]}, {len(skipped)} skips of {ARTISTS[1][0]}"


def step_recommend(state: SelfTestState) -> str:
    from recommender.discovery.recommend import recommend

    picks = recommend(state.library(), n=5)
    if not picks:
        raise RuntimeError("no recommendations from a library with plays")
    top = picks[0]
    reason = f" ({top.reasons[0]})" if top.reasons else ""
    return f"{len(picks)} picks; first: {top.artist} - {top.title}{reason}"


def step_similar(state: SelfTestState) -> str:
    from recommender.sound.similarity import load_index

    if not state.analysed:
        raise SkipStep("needs analysed tracks")
    index = load_index(state.library())
    seed = int(index.ids[0])
    neighbours = index.similar(seed, n=3)
    if not neighbours:
        raise RuntimeError("no similar tracks found")
    first = neighbours[0]
    return f"{len(neighbours)} for track {seed}; nearest {first.track_id} ({first.score:.2f})"


def step_playlist(state: SelfTestState) -> str:
    from recommender.discovery.flow import generate_playlist
    from recommender.discovery.taste_model import load_taste_model
    from recommender.playlists.files import read_playlist_file, write_playlist_file

    model = load_taste_model(state.library())
    rows = generate_playlist(model, [0], 6)
    by_row = model.tracks(rows, state.library())
    tracks = [by_row[r] for r in rows if r in by_row]
    out = state.root / "self-test.m3u8"
    write_playlist_file(tracks, out, name="self-test")
    entries = read_playlist_file(out)
    if len(entries) != len(tracks) or not tracks:
        raise RuntimeError(f"wrote {len(tracks)} tracks, read back {len(entries)}")
    return f"{len(tracks)} tracks -> {out.name}, read back"


CORE_STEPS: tuple[Step, ...] = (
    Step("generate", step_generate),
    Step("scan", step_scan),
    Step("model", step_model),
    Step("analyze", step_analyze),
    Step("history", step_history),
    Step("recommend", step_recommend),
    Step("similar", step_similar),
    Step("playlist", step_playlist),
)


def run_steps(
    state: SelfTestState,
    steps: Sequence[Step],
    report: Callable[[StepResult], None] = lambda r: None,
) -> list[StepResult]:
    """Run every step in order; a failure is recorded and the rest still run where they can."""
    results = []
    for step in steps:
        started = time.perf_counter()
        try:
            status, detail = OK, step.run(state)
        except SkipStep as exc:
            status, detail = SKIPPED, str(exc)
        except Exception as exc:  # the report must name every failure, not stop at the first
            status, detail = FAILED, f"{type(exc).__name__}: {exc}"
            if state.verbose:
                traceback.print_exc()
        result = StepResult(step.name, status, time.perf_counter() - started, detail)
        results.append(result)
        report(result)
    return results


def format_result(result: StepResult) -> str:
    return f"  {result.status:<8} {result.name:<12} {result.seconds:6.2f} s  {result.detail}"


def where_running() -> str:
    if getattr(sys, "frozen", False):
        return f"bundle {Path(sys.executable).parent}"
    return f"interpreter {sys.executable}"


def run_self_test(
    *,
    model_path: Path | None = None,
    extra_steps: Sequence[Step] = (),
    verbose: bool = False,
    out: Callable[[str], None] = print,
) -> list[StepResult]:
    """Run the core steps then `extra_steps` (the GUI adds a playback check) in a temp folder."""
    out(
        f"Tonearm {__version__} self-test ({where_running()}; Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()})"
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tonearm-self-test-") as tmp:
        state = SelfTestState(Path(tmp), model_path, verbose)
        try:
            results = run_steps(state, (*CORE_STEPS, *extra_steps), lambda r: out(format_result(r)))
        finally:
            if state.store is not None:
                state.store.close()
    failed = [r.name for r in results if r.status == FAILED]
    total_s = time.perf_counter() - started
    counts = ", ".join(
        f"{sum(r.status == s for r in results)} {s.lower()}" for s in (OK, FAILED, SKIPPED)
    )
    verdict = "FAILED (" + ", ".join(failed) + ")" if failed else "passed"
    out(f"self-test {verdict}: {counts} in {total_s:.1f} s")
    return results


def main(argv: Sequence[str] | None = None, extra_steps: Sequence[Step] = ()) -> int:
    parser = argparse.ArgumentParser(
        prog="tonearm --self-test",
        description="Check this install end to end on generated audio (no screen needed).",
    )
    parser.add_argument("--model", type=Path, help="ONNX sound model (default: the shipped one)")
    parser.add_argument("-v", "--verbose", action="store_true", help="tracebacks for failures")
    args = parser.parse_args(argv)
    results = run_self_test(model_path=args.model, extra_steps=extra_steps, verbose=args.verbose)
    return 1 if any(r.status == FAILED for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
