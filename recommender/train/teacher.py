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

It writes ``DIR/teacher-musicnn-<model>-<part>.npz``: for each track, the start times (s) of its
3-second windows and the teacher's outputs for each window. By default (``--windows 6``) the
windows are the six excerpts analysis listens to, decoded with seeking: musicnn from six windows
over the middle of a track loses only 0.005 mAP against every window (issue 15), at a fraction
of the cost; ``--windows 0`` takes back-to-back windows over the whole track. ``--part real``
covers every track of the manifest (train, validation and test: the evaluation reports the
teacher's own score on the held-out splits; only the training split's outputs train anything).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from recommender.sound import frontend
from recommender.train.dataset import (
    HELDOUT_SOUNDTRACKS,
    teacher_statistics,
    track_target,
    unit_rows,
)
from recommender.train.manifest import read_manifest
from recommender.train.synth_midi import read_synthetic

TEACHER_MODEL = "MSD_musicnn"
TEACHER_MODELS = ("MSD_musicnn", "MTT_musicnn")
N_WINDOWS = frontend.N_EXCERPTS
WINDOW_HOP_S = 3.0  # musicnn takes about 0.1 s a window on 2 cores: non-overlapping windows
LAYERS = ("taggram", "penultimate", "mean_pool", "max_pool")


def teacher_file(
    cache: Path, model: str = TEACHER_MODEL, part: str = "real", windows: int = N_WINDOWS
) -> Path:
    """Where ``python -m recommender.train.teacher`` writes a model's outputs for a part."""
    spread = f"-w{windows}" if windows else ""
    return cache / f"teacher-musicnn-{model}-{part}{spread}.npz"


def score_teacher(cache: Path, layer: str, model: str = TEACHER_MODEL) -> dict | None:
    """The teacher's own held-out mAP and P@10 (a reference row: it never ships).

    Standardises with the real training tracks' statistics and pools every window of each
    track (more than the six excerpts our CNN is scored on).
    """
    from recommender.train.metrics import cosine_distances, ranking_metrics

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


def _log_mel(path: Path | None, audio: np.ndarray | None = None):
    """musicnn's own front end (16 kHz, 512-point FFT, hop 256, 96 mels, log10(1 + 10^4 x))."""
    import librosa
    from musicnn import configuration as config

    if audio is None:
        audio, _ = librosa.load(str(path), sr=config.SR)
    mel = librosa.feature.melspectrogram(
        y=audio,
        sr=config.SR,
        hop_length=config.FFT_HOP,
        n_fft=config.FFT_SIZE,
        n_mels=config.N_MELS,
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
        self.graph = tf.Graph()  # one per teacher, so two can share a process
        with self.graph.as_default(), tf.name_scope("model"):
            self.x = tf.compat.v1.placeholder(tf.float32, [None, self.n_frames, config.N_MELS])
            self.training = tf.compat.v1.placeholder(tf.bool)
            out = models.define_model(self.x, self.training, model, len(labels))
            logits, mean_pool, max_pool, penultimate = out[0], out[6], out[7], out[8]
            self.outputs = [tf.nn.sigmoid(logits), penultimate, mean_pool, max_pool]
            saver = tf.compat.v1.train.Saver()
        session_config = tf.compat.v1.ConfigProto(
            intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1
        )
        self.session = tf.compat.v1.Session(graph=self.graph, config=session_config)
        saver.restore(self.session, str(Path(musicnn.__file__).parent / model) + "/")

    def windows(self, path: Path, n_windows: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Start times (s) and outputs of every back-to-back window (``n_windows=0``) or of
        ``n_windows`` windows spread over the middle as analysis spreads its excerpts."""
        if n_windows:
            times, batch = self.excerpt_windows(path, n_windows)
            return times, self.run(batch)
        mel = _log_mel(path)
        if len(mel) < self.n_frames:  # loop short tracks to one window, as musicnn trained
            mel = np.tile(mel, (self.n_frames // max(len(mel), 1) + 1, 1))
        starts = np.arange(0, len(mel) - self.n_frames + 1, self.hop_frames)
        batch = np.stack([mel[s : s + self.n_frames] for s in starts])
        return starts * self.config.FFT_HOP / self.config.SR, self.run(batch)

    def excerpt_windows(self, path: Path, n_windows: int) -> tuple[np.ndarray, np.ndarray]:
        window_samples = (self.n_frames - 1) * self.config.FFT_HOP
        info = frontend.probe(path)
        starts = frontend.excerpt_starts_s(info.duration_s, n_windows)
        excerpts = frontend.read_excerpts(path, starts, window_samples / self.config.SR + 0.01)
        mels = []
        for audio in excerpts:
            reps = int(np.ceil(window_samples / max(len(audio), 1)))
            audio = np.tile(audio, reps)[:window_samples]  # loops a short track
            mels.append(_log_mel(None, audio)[: self.n_frames])
        return np.array(starts), np.stack(mels)

    def run(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        parts: list[list[np.ndarray]] = [[] for _ in LAYERS]
        for i in range(0, len(batch), 64):
            feed = {self.x: batch[i : i + 64], self.training: False}
            for part, value in zip(parts, self.session.run(self.outputs, feed), strict=True):
                part.append(value)
        stacked = [np.concatenate(p).astype(np.float16) for p in parts]
        return dict(zip(LAYERS, stacked, strict=True))


def _previous_outputs(path: Path) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]:
    if not path.exists():
        return {}
    with np.load(path) as saved:
        return {
            str(p): (saved[f"t{i}"], {n: saved[f"{n}{i}"] for n in LAYERS})
            for i, p in enumerate(saved["paths"])
        }


def _save(out: Path, paths: list[str], saved: dict[str, np.ndarray]) -> None:
    arrays: dict[str, Any] = {"paths": np.array(paths), **saved}
    np.savez(out, **arrays)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m recommender.train.teacher",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--cache", type=Path, required=True, help="folder from fetch_data")
    parser.add_argument(
        "--model", nargs="+", default=list(TEACHER_MODELS), help="musicnn models to run"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--part",
        choices=["real", "train", "held-out", "synthetic"],
        default="real",
        help="every track of the manifest, the training or held-out soundtracks, or the"
        " rendered MIDI of synth_midi",
    )
    parser.add_argument(
        "--windows",
        type=int,
        default=N_WINDOWS,
        help="windows a track, spread over its middle (0: back-to-back over all of it)",
    )
    parser.add_argument(
        "--score", metavar="LAYER", help="only print the teacher's held-out score for LAYER"
    )
    args = parser.parse_args(argv)
    cache = args.cache.resolve()
    if args.score:
        print(score_teacher(cache, args.score, args.model[0]))
        return 0
    if args.part == "synthetic":
        rows = read_synthetic(cache)
    elif args.part == "real":
        from recommender.train.split import SPLIT_ORDER, split_of

        # held-out splits first, so the evaluation's teacher rows are ready early
        rows = sorted(read_manifest(cache), key=lambda r: SPLIT_ORDER.index(split_of(r.soundtrack)))
    else:
        held_out = set(HELDOUT_SOUNDTRACKS)
        wanted = args.part == "held-out"
        rows = [r for r in read_manifest(cache) if (r.soundtrack in held_out) == wanted]
    outs = [teacher_file(cache, m, args.part, args.windows) for m in args.model]
    teachers = [Teacher(m, args.threads) for m in args.model]
    done = [_previous_outputs(out) for out in outs]
    arrays: list[dict[str, np.ndarray]] = [{} for _ in teachers]
    paths: list[str] = []
    started = time.perf_counter()
    for i, row in enumerate(rows):
        try:
            results = []
            batch = None
            for teacher, previous in zip(teachers, done, strict=True):
                if row.path in previous:  # an earlier run's outputs: same teacher, same audio
                    results.append(previous[row.path])
                    continue
                if args.windows == 0:
                    results.append(teacher.windows(cache / row.path, 0))
                    continue
                if batch is None:  # both teachers hear the same windows, decoded once
                    batch = teacher.excerpt_windows(cache / row.path, args.windows)
                results.append((batch[0], teacher.run(batch[1])))
        except frontend.AnalysisError as exc:
            print(f"skipping {row.path}: {exc}", flush=True)
            continue
        k = len(paths)
        for saved, (times, outputs) in zip(arrays, results, strict=True):
            saved[f"t{k}"] = times
            for name, value in outputs.items():
                saved[f"{name}{k}"] = value
        paths.append(row.path)
        elapsed = time.perf_counter() - started
        windows = len(results[0][0])
        print(f"{i + 1:>4}  {windows:>4} windows  {elapsed:6.0f} s  {row.path}", flush=True)
        if len(paths) % 50 == 0:  # an interrupted run resumes from here
            for out, saved in zip(outs, arrays, strict=True):
                _save(out, paths, saved)
    for out, saved in zip(outs, arrays, strict=True):
        _save(out, paths, saved)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
