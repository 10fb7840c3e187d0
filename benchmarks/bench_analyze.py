"""Analysis throughput on generated 3-5 minute tracks, split into decode / features / model.

Run: python benchmarks/bench_analyze.py [--tracks 60] [--runs 3] [--format ogg]
Generated files are cached in bench-out/ (ignored by git). Prints per-track stage medians from
one process, then end-to-end tracks/s of `embed_tracks` on all cores (a fresh store per run,
worker start-up included), with the median of the runs.
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

from recommender.library.store import open_store
from recommender.sound import frontend
from recommender.sound.analyze import embed_tracks
from recommender.sound.model import MODEL_PATH, SoundModel, pool_track

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
        path = OUT / f"track{i:03d}.{fmt}"
        if not path.exists():
            seconds = 180 + (i * 37) % 120  # 3 to 5 minutes
            audio = _music_like(seconds, i).astype(np.float32)
            # libsndfile's Vorbis encoder crashes on one huge write; feed it in blocks.
            with sf.SoundFile(str(path), "w", RATE, 2) as out:
                for start in range(0, len(audio), 65536):
                    out.write(audio[start : start + 65536])
        paths.append(path)
    return paths


def stage_split(paths: list[Path], model: SoundModel) -> dict[str, float]:
    decode, feats, infer = [], [], []
    for path in paths:
        started = time.perf_counter()
        excerpts = frontend.decode_excerpts(path)
        t1 = time.perf_counter()
        patches = frontend.patches_from_excerpts(excerpts)
        t2 = time.perf_counter()
        pool_track(model.embed_patches(patches))
        t3 = time.perf_counter()
        decode.append(t1 - started)
        feats.append(t2 - t1)
        infer.append(t3 - t2)
    return {
        "decode": statistics.median(decode) * 1000,
        "features": statistics.median(feats) * 1000,
        "model": statistics.median(infer) * 1000,
    }


def end_to_end(paths: list[Path], workers: int) -> float:
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp)) as store:
        now = time.time()
        with store.transaction() as conn:
            conn.executemany(
                "INSERT INTO tracks(path, size, mtime, added_at, updated_at) VALUES (?,?,?,?,?)",
                [(str(p), p.stat().st_size, now, now, now) for p in paths],
            )
        summary = embed_tracks(store, MODEL_PATH, workers=workers)
        assert summary.embedded == len(paths), summary.errors
        return summary.rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tracks", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--format", default="ogg", choices=["ogg", "flac", "mp3", "wav", "opus"])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    paths = generate(args.tracks, args.format)
    model = SoundModel(MODEL_PATH, threads=1)
    stage_split(paths[:3], model)  # warm caches and lazy imports
    split = stage_split(paths, model)
    total = sum(split.values())
    print(f"{args.tracks} generated {args.format} tracks of 3-5 min, model {model.version}")
    print(f"{'stage (1 process)':<22}{'ms/track':>10}{'share':>8}")
    for name, ms in split.items():
        print(f"{name:<22}{ms:>10.1f}{ms / total:>8.0%}")
    print(f"{'total':<22}{total:>10.1f}   -> {1000 / total:.1f} tracks/s per core")
    rates = [end_to_end(paths, args.workers) for _ in range(args.runs)]
    print(
        f"end to end, {args.workers} workers: median {statistics.median(rates):.1f} tracks/s "
        f"(runs: {', '.join(f'{r:.1f}' for r in rates)}; target >= 10)"
    )


if __name__ == "__main__":
    main()
