"""Training data: full-track log-mels computed once, then random patch crops drawn from them."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender import features
from recommender.train.fetch_data import ManifestRow

# Whole soundtracks kept out of training, judged by `python -m recommender.evaluate sound`.
HELDOUT_SOUNDTRACKS: tuple[str, ...] = (
    "hyperrogue-music",
    "singularity-music",
    "planetblupi-music-ogg",
)
MIN_TRAIN_FRAMES = features.PATCH_FRAMES * 3  # a track needs room for two distinct crops


@dataclass
class TrainingSet:
    """Log-mels of the training tracks (float16 to halve memory) and their soundtrack labels."""

    mels: list[np.ndarray]
    soundtracks: list[int]
    soundtrack_names: list[str]
    paths: list[str]

    @property
    def hours(self) -> float:
        frames = sum(m.shape[1] for m in self.mels)
        return frames * features.HOP / features.SAMPLE_RATE_HZ / 3600


def _front_end_key() -> str:
    params = [
        features.SAMPLE_RATE_HZ,
        features.N_FFT,
        features.HOP,
        features.N_MELS,
        features.FMIN_HZ,
        features.FMAX_HZ,
        features.LOG_FLOOR,
    ]
    return hashlib.sha1(json.dumps(params).encode()).hexdigest()[:10]


def _mel_of(path: str) -> np.ndarray:
    return features.full_track_log_mel(Path(path)).astype(np.float16)


def load_training_set(cache: Path, rows: list[ManifestRow], workers: int = 2) -> TrainingSet:
    """Compute (or load from ``cache``) the log-mel of every row; drop silent and short tracks."""
    rows = sorted(rows, key=lambda r: r.path)
    key = hashlib.sha1("\n".join(r.path for r in rows).encode()).hexdigest()[:10]
    stash = cache / f"train-mels-{_front_end_key()}-{key}.npz"
    if stash.exists():
        with np.load(stash) as data:
            mels = [data[f"m{i}"] for i in range(len(rows))]
    else:
        with ProcessPoolExecutor(workers) as pool:
            mels = list(pool.map(_mel_of, [str(cache / r.path) for r in rows], chunksize=4))
        np.savez(stash, **{f"m{i}": m for i, m in enumerate(mels)})
    names = sorted({r.soundtrack for r in rows})
    kept = TrainingSet([], [], names, [])
    for row, mel in zip(rows, mels, strict=True):
        loud = mel.astype(np.float32).max() > np.log(features.LOG_FLOOR) + 3
        if mel.shape[1] >= MIN_TRAIN_FRAMES and loud:
            kept.mels.append(mel)
            kept.soundtracks.append(names.index(row.soundtrack))
            kept.paths.append(row.path)
    return kept


def sample_pairs(
    data: TrainingSet, n_tracks: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two crops from each of ``n_tracks`` distinct tracks: (views_a, views_b, soundtrack ids).

    The crops come from independent random positions, so a positive pair is two moments of
    one piece of music, not two augmentations of one moment (as in COLA and CLMR).
    """
    picks = rng.choice(len(data.mels), size=min(n_tracks, len(data.mels)), replace=False)
    a, b = [], []
    for i in picks:
        mel = data.mels[i]
        last = mel.shape[1] - features.PATCH_FRAMES
        for views in (a, b):
            start = int(rng.integers(0, last + 1))
            views.append(mel[:, start : start + features.PATCH_FRAMES])
    labels = np.array([data.soundtracks[i] for i in picks])
    return np.stack(a).astype(np.float32), np.stack(b).astype(np.float32), labels
