"""Teacher targets for distillation: musicnn's view of every training track, computed once.

musicnn (Pons & Serra, ISC licence) is a music tagging CNN trained on the Million Song Dataset;
its weights ship inside its PyPI wheel. It is used only as a teacher while training: its
per-moment outputs become soft similarity targets for our CNN (see `contrastive.teacher_kl`),
and nothing of it ships. It needs TensorFlow 1.x-style layers, so this script runs in its own
environment (the `train` extra does not pull TensorFlow)::

    python3.11 -m venv teacher-env
    teacher-env/bin/pip install tensorflow-cpu==2.15.1 "numpy<2" librosa soundfile
    teacher-env/bin/pip install --no-deps musicnn==0.1.0
    teacher-env/bin/python -m recommender.train.teacher --cache DIR

It writes ``DIR/teacher-musicnn-<model>-train.npz``: for each training track, the start times (s) of
back-to-back 3-second windows and the teacher's outputs for each window.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from recommender.train.dataset import (
    HELDOUT_SOUNDTRACKS,
    teacher_statistics,
    track_target,
    unit_rows,
)
from recommender.train.fetch_data import read_manifest
from recommender.train.synth_midi import read_synthetic

TEACHER_MODEL = "MSD_musicnn"
WINDOW_HOP_S = 3.0  # musicnn takes about 0.1 s a window on 2 cores: non-overlapping windows
LAYERS = ("taggram", "penultimate", "mean_pool", "max_pool")


def teacher_file(cache: Path, model: str = TEACHER_MODEL, part: str = "train") -> Path:
    return cache / f"teacher-musicnn-{model}-{part}.npz"


def score_teacher(cache: Path, layer: str, model: str = TEACHER_MODEL) -> dict | None:
    """The teacher's own held-out mAP and P@10 (a reference row: it never ships).

    Standardises with the real training tracks' statistics and pools every window of each
    track (more than the six excerpts our CNN is scored on).
    """
    from recommender.evaluate.sound import cosine_distances, ranking_metrics

    held_out = teacher_file(cache, model, "held-out")
    if not held_out.exists():
        return None
    with np.load(teacher_file(cache, model)) as train:
        n = len(train["paths"])
        mean, std = teacher_statistics([train[f"{layer}{i}"].astype(np.float32) for i in range(n)])
    with np.load(held_out) as saved:
        vectors = np.stack(
            [
                track_target(unit_rows(saved[f"{layer}{i}"].astype(np.float32), mean, std))[0]
                for i in range(len(saved["paths"]))
            ]
        )
        groups = [str(p).split("/")[1] for p in saved["paths"]]
    mean_ap, p10, queries = ranking_metrics(cosine_distances(vectors), groups)
    return {"model": model, "layer": layer, "mAP": mean_ap, "P@10": p10, "queries": queries}


def _log_mel(path: Path):
    """musicnn's own front end (16 kHz, 512-point FFT, hop 256, 96 mels, log10(1 + 10^4 x))."""
    import librosa
    from musicnn import configuration as config

    audio, sr = librosa.load(str(path), sr=config.SR)
    mel = librosa.feature.melspectrogram(
        y=audio, sr=sr, hop_length=config.FFT_HOP, n_fft=config.FFT_SIZE, n_mels=config.N_MELS
    ).T
    return np.log10(10000 * mel.astype(np.float16) + 1).astype(np.float32)


class Teacher:
    """musicnn's graph built and restored once, run on batches of windows."""

    def __init__(self, model: str, threads: int) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import librosa
        import musicnn
        import tensorflow as tf
        from musicnn import configuration as config
        from musicnn import models

        tf.compat.v1.disable_eager_execution()
        self.config = config
        frames = librosa.time_to_frames(
            3, sr=config.SR, n_fft=config.FFT_SIZE, hop_length=config.FFT_HOP
        )
        self.n_frames = int(frames) + 1
        self.hop_frames = round(WINDOW_HOP_S * config.SR / config.FFT_HOP)
        labels = config.MSD_LABELS if "MSD" in model else config.MTT_LABELS
        tf.compat.v1.reset_default_graph()
        with tf.name_scope("model"):
            self.x = tf.compat.v1.placeholder(tf.float32, [None, self.n_frames, config.N_MELS])
            self.training = tf.compat.v1.placeholder(tf.bool)
            out = models.define_model(self.x, self.training, model, len(labels))
            logits, mean_pool, max_pool, penultimate = out[0], out[6], out[7], out[8]
        self.outputs = [tf.nn.sigmoid(logits), penultimate, mean_pool, max_pool]
        session_config = tf.compat.v1.ConfigProto(
            intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1
        )
        self.session = tf.compat.v1.Session(config=session_config)
        saver = tf.compat.v1.train.Saver()
        saver.restore(self.session, str(Path(musicnn.__file__).parent / model) + "/")

    def windows(self, path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        mel = _log_mel(path)
        if len(mel) < self.n_frames:  # loop short tracks to one window, as musicnn trained
            mel = np.tile(mel, (self.n_frames // max(len(mel), 1) + 1, 1))
        starts = np.arange(0, len(mel) - self.n_frames + 1, self.hop_frames)
        batch = np.stack([mel[s : s + self.n_frames] for s in starts])
        parts: list[list[np.ndarray]] = [[] for _ in LAYERS]
        for i in range(0, len(batch), 64):
            feed = {self.x: batch[i : i + 64], self.training: False}
            for part, value in zip(parts, self.session.run(self.outputs, feed), strict=True):
                part.append(value)
        times = starts * self.config.FFT_HOP / self.config.SR
        stacked = [np.concatenate(p).astype(np.float16) for p in parts]
        return times, dict(zip(LAYERS, stacked, strict=True))


def _previous_outputs(path: Path) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]:
    if not path.exists():
        return {}
    with np.load(path) as saved:
        return {
            str(p): (saved[f"t{i}"], {n: saved[f"{n}{i}"] for n in LAYERS})
            for i, p in enumerate(saved["paths"])
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m recommender.train.teacher",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--cache", type=Path, required=True, help="folder from fetch_data")
    parser.add_argument("--model", default=TEACHER_MODEL)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--part",
        choices=["train", "held-out", "synthetic"],
        default="train",
        help="training tracks, the held-out soundtracks (only for the teacher's reference"
        " score) or the rendered MIDI of synth_midi",
    )
    parser.add_argument(
        "--score", metavar="LAYER", help="only print the teacher's held-out score for LAYER"
    )
    args = parser.parse_args(argv)
    cache = args.cache.resolve()
    if args.score:
        print(score_teacher(cache, args.score, args.model))
        return 0
    if args.part == "synthetic":
        rows = read_synthetic(cache)
    else:
        held_out = set(HELDOUT_SOUNDTRACKS)
        wanted = args.part == "held-out"
        rows = [r for r in read_manifest(cache) if (r.soundtrack in held_out) == wanted]
    out = teacher_file(cache, args.model, args.part)
    teacher = Teacher(args.model, args.threads)
    done = _previous_outputs(out)
    arrays: dict[str, np.ndarray] = {}
    paths = []
    started = time.perf_counter()
    for i, row in enumerate(rows):
        if row.path in done:  # an earlier run's outputs for this file: same teacher, same audio
            times, outputs = done[row.path]
        else:
            times, outputs = teacher.windows(cache / row.path)
        arrays[f"t{i}"] = times
        for name, value in outputs.items():
            arrays[f"{name}{i}"] = value
        paths.append(row.path)
        elapsed = time.perf_counter() - started
        print(f"{i + 1:>4}  {len(times):>4} windows  {elapsed:6.0f} s  {row.path}", flush=True)
    arrays["paths"] = np.array(paths)
    np.savez(out, **arrays)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
