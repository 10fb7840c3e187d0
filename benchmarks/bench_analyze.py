"""Analysis throughput on generated 3-5 minute tracks, split into decode / front end / model.

Run: python benchmarks/bench_analyze.py [--tracks 60] [--runs 3] [--format mix]
          [--files DIR [--convert]]   (real music instead of generated, never committed)
Generated files are cached in bench-out/ (ignored by git); `mix` cycles Ogg Vorbis, Opus, MP3
and FLAC. With `--files`, the tracks are real 3 to 5 minute files under DIR (for example the
training cache's `corpus/`), taken in turn from each album folder so that one soundtrack's
encoder settings do not decide the result; `--convert` re-encodes every second one of them to
Opus, MP3 or FLAC (cached in bench-out/) so that the real music covers the formats of `mix`.
Prints per-format stage medians from one process (decode, log-mel front end, model:
the model's share stays visible whatever model ships), beside the same stages through the plain
float64 reference front end, then end-to-end tracks/s of `embed_tracks` on all cores (a fresh
store per run, worker start-up included) beside the floor the one-process stages allow.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from recommender.core.threads import cores_given, set_thread_budget

set_thread_budget()  # as `tonearm analyze` does, before numpy's pools start

from recommender.library.store import open_store  # noqa: E402
from recommender.sound import frontend  # noqa: E402
from recommender.sound.analyze import embed_tracks  # noqa: E402
from recommender.sound.model import MODEL_PATH, SoundModel  # noqa: E402

MIX = ("ogg", "opus", "mp3", "flac")
SUBTYPES = {"opus": ("OGG", "OPUS"), "mp3": ("MP3", "MPEG_LAYER_III")}

RATE = 44100
OUT = Path(__file__).resolve().parents[1] / "bench-out" / "analyze"


def _music_like(seconds: float, seed: int) -> np.ndarray:
    """Chords, a bass line, hi-hat noise and a beat: enough texture for real decoder work."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    out = np.zeros(n, np.float32)
    beat_s = 60 / rng.uniform(70, 160)
    for k, hz in enumerate(rng.choice([110, 131, 147, 165, 196, 220], size=3)):
        out += (0.1 / (k + 1)) * np.sin(2 * np.pi * hz * t * (1 + 0.01 * np.sin(t / beat_s)))
    hats = rng.normal(size=n).astype(np.float32) * 0.05
    hats *= (np.mod(t, beat_s / 2) < 0.03).astype(np.float32)
    kick = np.sin(2 * np.pi * 55 * t) * np.exp(-np.mod(t, beat_s) * 20)
    return np.stack([out + hats + 0.3 * kick, out + 0.8 * hats + 0.3 * kick], axis=1)


def generate(count: int, fmt: str) -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        suffix = MIX[i % len(MIX)] if fmt == "mix" else fmt
        path = OUT / f"track{i:03d}.{suffix}"
        if not path.exists():
            seconds = 180 + (i * 37) % 120  # 3 to 5 minutes
            audio = _music_like(seconds, i).astype(np.float32)
            rate = RATE
            if suffix == "opus":  # Opus is always 48 kHz inside
                audio, rate = soxr.resample(audio, RATE, 48000).astype(np.float32), 48000
            kind, subtype = SUBTYPES.get(suffix, (None, None))
            # libsndfile's Vorbis encoder crashes on one huge write; feed it in blocks.
            with sf.SoundFile(str(path), "w", rate, 2, format=kind, subtype=subtype) as out:
                for start in range(0, len(audio), 65536):
                    out.write(audio[start : start + 65536])
        paths.append(path)
    return paths


def real_files(folder: Path, count: int, min_s: float = 180, max_s: float = 300) -> list[Path]:
    """Up to ``count`` audio files of ``min_s`` to ``max_s`` under ``folder``, round robin over
    their parent folders (albums), in name order within each."""
    by_album: dict[Path, list[Path]] = {}
    for p in sorted(folder.rglob("*")):
        if p.suffix.lower() not in {".ogg", ".opus", ".mp3", ".flac"}:
            continue
        try:
            info = sf.info(str(p))
        except (sf.LibsndfileError, RuntimeError):
            continue
        if min_s <= info.frames / info.samplerate <= max_s:
            by_album.setdefault(p.parent, []).append(p)
    queues = list(by_album.values())
    picked: list[Path] = []
    while queues and len(picked) < count:
        picked += [q.pop(0) for q in queues][: count - len(picked)]
        queues = [q for q in queues if q]
    return picked


def converted(paths: list[Path]) -> list[Path]:
    """Every second file re-encoded in turn to Opus, MP3 and FLAC (cached), the rest as they are."""
    out_dir = OUT.parent / "analyze-real"
    out_dir.mkdir(parents=True, exist_ok=True)
    result = []
    for i, path in enumerate(paths):
        suffix = ("opus", "mp3", "flac")[(i // 2) % 3] if i % 2 else None
        if suffix is None:
            result.append(path)
            continue
        target = out_dir / f"{i:03d}-{path.stem}.{suffix}"
        if not target.exists():
            audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
            if suffix == "opus" and rate != 48000:  # Opus is always 48 kHz inside
                audio, rate = soxr.resample(audio, rate, 48000).astype(np.float32), 48000
            kind, subtype = SUBTYPES.get(suffix, (None, None))
            with sf.SoundFile(
                str(target), "w", rate, audio.shape[1], format=kind, subtype=subtype
            ) as f:
                for start in range(0, len(audio), 65536):
                    f.write(audio[start : start + 65536])
        result.append(target)
    return result


def _reference_excerpts(path: Path, n_excerpts: int) -> np.ndarray:
    """The front end as it was (libsndfile for all, mean over channels, one soxr call and one
    float64 numpy FFT per excerpt): the baseline for the decode and front-end stages."""
    info = sf.info(str(path))
    excerpts = []
    with sf.SoundFile(str(path)) as f:
        n = int(np.ceil(frontend.PATCH_S * f.samplerate))
        for start_s in frontend.excerpt_starts_s(info.frames / info.samplerate, n_excerpts):
            f.seek(int(start_s * f.samplerate))
            mono = f.read(n, dtype="float32", always_2d=True).mean(axis=1)
            excerpts.append(soxr.resample(mono, f.samplerate, frontend.SAMPLE_RATE_HZ, "HQ"))
    return excerpts


def _reference_features(excerpts: list[np.ndarray]) -> np.ndarray:
    window = np.hanning(frontend.N_FFT + 1)[:-1]
    patches = []
    for audio in excerpts:
        frames = np.lib.stride_tricks.sliding_window_view(
            frontend._fit_patch(audio.astype(np.float32)), frontend.N_FFT
        )[:: frontend.HOP]
        power = (np.abs(np.fft.rfft(frames * window, axis=1)) ** 2).astype(np.float32)
        patches.append(np.log(power @ frontend.mel_filterbank().T + frontend.LOG_FLOOR).T)
    return np.stack(patches).astype(np.float32)


def stage_split(paths: list[Path], model: SoundModel, reference: bool = False) -> dict:
    """Per format: median wall and CPU ms per track of decode, front end and model."""
    times: dict[str, dict[str, list[tuple[float, float]]]] = {}
    decode_fn = _reference_excerpts if reference else frontend.decode_excerpts
    features_fn = _reference_features if reference else frontend.patches_from_excerpts
    clocks = (time.perf_counter, time.process_time)  # CPU time says more on a loaded machine
    for path in paths:
        marks = [tuple(c() for c in clocks)]
        excerpts = decode_fn(path, n_excerpts=model.excerpts)
        marks.append(tuple(c() for c in clocks))
        patches = features_fn(excerpts)
        marks.append(tuple(c() for c in clocks))
        model.track_vector(patches)  # the CNN, pooling and the timbre head, if any
        marks.append(tuple(c() for c in clocks))
        for key in (path.suffix.lstrip("."), "all"):
            row = times.setdefault(key, {"decode": [], "front end": [], "model": []})
            for stage, a, b in zip(row, marks, marks[1:], strict=False):
                row[stage].append((b[0] - a[0], b[1] - a[1]))
    return {
        fmt: {
            stage: tuple(statistics.median(t[i] for t in v) * 1000 for i in (0, 1))
            for stage, v in row.items()
        }
        for fmt, row in times.items()
    }


def end_to_end(paths: list[Path], workers: int, model_path: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp)) as store:
        now = time.time()
        with store.transaction() as conn:
            conn.executemany(
                "INSERT INTO tracks(path, size, mtime, added_at, updated_at) VALUES (?,?,?,?,?)",
                [(str(p), p.stat().st_size, now, now, now) for p in paths],
            )
        summary = embed_tracks(store, model_path, workers=workers)
        assert summary.embedded == len(paths), summary.errors
        return summary.rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tracks", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--format", default="mix", choices=["mix", "ogg", "flac", "mp3", "opus"])
    parser.add_argument("--files", type=Path, help="real music: audio files under this folder")
    parser.add_argument(
        "--convert", action="store_true", help="with --files: re-encode half to Opus, MP3, FLAC"
    )
    parser.add_argument("--workers", type=int, default=cores_given())
    parser.add_argument("--model", type=Path, default=MODEL_PATH, help="the model to time")
    parser.add_argument(
        "--compare", type=Path, help="another model (say the one before) timed end to end too"
    )
    args = parser.parse_args()
    if args.files:
        paths = real_files(args.files, args.tracks)
        albums = len({p.parent for p in paths})
        if args.convert:
            paths = converted(paths)
        minutes = sum(sf.info(str(p)).duration for p in paths) / 60 / max(len(paths), 1)
        what = (
            f"{len(paths)} real 3-5 min files ({albums} albums, mean {minutes:.1f} min) "
            f"from {args.files}{', half re-encoded' if args.convert else ''}"
        )
    else:
        paths = generate(args.tracks, args.format)
        what = f"{len(paths)} generated {args.format} tracks of 3-5 min"
    model = SoundModel(args.model, threads=1)
    stage_split(paths[:4], model)  # warm caches and lazy imports
    split = stage_split(paths, model)
    before = stage_split(paths, model, reference=True)
    print(
        f"{what}, model {model.version} ({model.excerpts} excerpts a track), "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print("| format | stage (1 process) | ms/track (CPU ms) | baseline: reference front end |")
    print("| --- | --- | ---: | ---: |")
    for fmt in [f for f in split if f != "all"] + ["all"]:
        row = split[fmt]
        rows = [*row.items(), ("total", tuple(sum(v[i] for v in row.values()) for i in (0, 1)))]
        for stage, (wall, cpu) in rows:
            base_rows = before[fmt]
            base = (
                base_rows[stage]
                if stage in base_rows
                else tuple(sum(v[i] for v in base_rows.values()) for i in (0, 1))
            )
            print(f"| {fmt} | {stage} | {wall:.1f} ({cpu:.1f}) | {base[0]:.1f} ({base[1]:.1f}) |")
    floor = args.workers * 1000 / sum(v[0] for v in split["all"].values())
    others = [args.compare] if args.compare else []
    for model_path in [args.model, *others]:
        rates = [end_to_end(paths, args.workers, model_path) for _ in range(args.runs)]
        timed = SoundModel(model_path, threads=1)
        print(
            f"| all | end to end, {timed.version} ({timed.excerpts} excerpts), {args.workers} "
            f"workers, tracks/s | "
            f"{statistics.median(rates):.1f} (runs {', '.join(f'{r:.1f}' for r in rates)}) | "
            + (
                f"{floor:.1f} (floor: {args.workers} x the 1-process total) |"
                if timed.version == model.version
                else "|"
            )
        )
    print(f"target: >= 25 tracks/s end to end on 2 cores; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
