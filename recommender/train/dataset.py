"""Training data: full-track log-mels computed once, then random patch crops drawn from them."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender.sound import frontend
from recommender.train.manifest import ManifestRow

# Whole soundtracks kept out of training, judged by `python -m recommender.evaluate sound`.
HELDOUT_SOUNDTRACKS: tuple[str, ...] = (
    "hyperrogue-music",
    "singularity-music",
    "planetblupi-music-ogg",
)
MIN_TRAIN_FRAMES = frontend.PATCH_FRAMES * 3  # a track needs room for two distinct crops


@dataclass
class TrainingSet:
    """Log-mels of the training tracks (float16 to halve memory) and their soundtrack labels."""

    mels: list[np.ndarray]
    soundtracks: list[int]
    soundtrack_names: list[str]
    paths: list[str]
    # Per track, when distilling: teacher window start frames (in our hop) and unit targets.
    teacher_starts: list[np.ndarray] | None = None
    teacher_targets: list[np.ndarray] | None = None

    @property
    def hours(self) -> float:
        frames = sum(m.shape[1] for m in self.mels)
        return frames * frontend.HOP / frontend.SAMPLE_RATE_HZ / 3600


def _front_end_key() -> str:
    params = [
        frontend.SAMPLE_RATE_HZ,
        frontend.N_FFT,
        frontend.HOP,
        frontend.N_MELS,
        frontend.FMIN_HZ,
        frontend.FMAX_HZ,
        frontend.LOG_FLOOR,
    ]
    return hashlib.sha1(json.dumps(params).encode()).hexdigest()[:10]


def _mel_of(path: str) -> np.ndarray:
    return frontend.full_track_log_mel(Path(path)).astype(np.float16)


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
        loud = mel.astype(np.float32).max() > np.log(frontend.LOG_FLOOR) + 3
        if mel.shape[1] >= MIN_TRAIN_FRAMES and loud:
            kept.mels.append(mel)
            kept.soundtracks.append(names.index(row.soundtrack))
            kept.paths.append(row.path)
    return kept


def teacher_statistics(outputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension mean and spread of the teacher over all windows of ``outputs``.

    Standardising with them keeps a few loud teacher units from deciding every similarity.
    """
    everything = np.concatenate(outputs)
    return everything.mean(axis=0), everything.std(axis=0) + 1e-3


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / (np.linalg.norm(rows, axis=1, keepdims=True) + 1e-12)


def unit_rows(outputs: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Standardised teacher windows, each made unit length."""
    return _unit((outputs - mean) / std)


def track_target(unit: np.ndarray) -> np.ndarray:
    """A track's pooled teacher vector (1, D) from its unit windows."""
    return _unit(unit.mean(axis=0, keepdims=True))


def attach_teacher(
    data: TrainingSet, teacher_npzs: list[Path], layer: str, target: str = "track"
) -> None:
    """Give every track the teacher's ``layer`` outputs as unit targets for its crops.

    Window starts are converted to our frames, so a student crop can start where its teacher
    window starts. With ``target="track"`` every crop's target is the track's pooled teacher
    vector: one 3-second window says little about a track (the teacher itself scores 0.66
    held-out mAP from one window a track, 0.80 from six), and the CNN is judged on whole
    tracks. ``target="window"`` keeps each window's own output.
    """
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for teacher_npz in teacher_npzs:
        with np.load(teacher_npz) as saved:
            for i, p in enumerate(saved["paths"]):
                found[str(p)] = (saved[f"t{i}"], saved[f"{layer}{i}"].astype(np.float32))
    missing = [p for p in data.paths if p not in found]
    if missing:
        names = ", ".join(str(n) for n in teacher_npzs)
        raise ValueError(f"{names} has no teacher outputs for {missing[0]}")
    times = [found[p][0] for p in data.paths]
    outputs = [found[p][1] for p in data.paths]
    mean, std = teacher_statistics(outputs)
    data.teacher_starts, data.teacher_targets = [], []
    for mel, t, out in zip(data.mels, times, outputs, strict=True):
        last = mel.shape[1] - frontend.PATCH_FRAMES
        starts = np.round(t * frontend.SAMPLE_RATE_HZ / frontend.HOP).astype(int)
        keep = starts <= last
        unit = unit_rows(out, mean, std)
        if target == "track":
            unit = np.broadcast_to(track_target(unit), unit.shape)
        data.teacher_starts.append(starts[keep])
        data.teacher_targets.append(unit[keep].astype(np.float32))


def attach_track_targets(data: TrainingSet, vectors: dict[str, np.ndarray], cache: Path) -> None:
    """Give every track one target, its teacher track vector (``vectors`` is keyed by absolute
    path, as `recommender.evaluate.sound.teacher_track_vectors` returns them); crops may then
    start anywhere in the track."""
    missing = [p for p in data.paths if str(cache / p) not in vectors]
    if missing:
        raise ValueError(f"no teacher outputs for {missing[0]}: run recommender.train.teacher")
    data.teacher_starts = [np.zeros(1, int) for _ in data.paths]
    data.teacher_targets = [vectors[str(cache / p)][None, :].astype(np.float32) for p in data.paths]


@dataclass
class PairBatch:
    """Two crops of each of N tracks; teacher targets for both when distilling."""

    a: np.ndarray
    b: np.ndarray
    soundtracks: np.ndarray
    teacher_a: np.ndarray | None = None
    teacher_b: np.ndarray | None = None


def sample_pairs(data: TrainingSet, n_tracks: int, rng: np.random.Generator) -> PairBatch:
    """Two crops from each of ``n_tracks`` distinct tracks.

    The crops come from independent random positions, so a positive pair is two moments of
    one piece of music, not two augmentations of one moment (as in COLA and CLMR). When a
    teacher is attached, crops start where teacher windows start, so each has a target.
    """
    picks = rng.choice(len(data.mels), size=min(n_tracks, len(data.mels)), replace=False)
    views: tuple[list, list] = ([], [])
    targets: tuple[list, list] = ([], [])
    for i in picks:
        mel = data.mels[i]
        last = mel.shape[1] - frontend.PATCH_FRAMES
        for crops, wanted in zip(views, targets, strict=True):
            if data.teacher_starts is None or data.teacher_targets is None:
                start = int(rng.integers(0, last + 1))
            elif len(data.teacher_targets[i]) == 1:  # one track-wide target: crop anywhere
                start = int(rng.integers(0, last + 1))
                wanted.append(data.teacher_targets[i][0])
            else:
                w = int(rng.integers(0, len(data.teacher_starts[i])))
                start = int(data.teacher_starts[i][w])
                wanted.append(data.teacher_targets[i][w])
            crops.append(mel[:, start : start + frontend.PATCH_FRAMES])
    labels = np.array([data.soundtracks[i] for i in picks])
    a, b = (np.stack(v).astype(np.float32) for v in views)
    if data.teacher_starts is None:
        return PairBatch(a, b, labels)
    return PairBatch(a, b, labels, np.stack(targets[0]), np.stack(targets[1]))
