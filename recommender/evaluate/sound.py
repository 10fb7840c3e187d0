"""`evaluate sound`: does the sound model put tracks of one soundtrack or album together?

For each track as a query, rank every other track of the evaluated set; tracks from the same
album (soundtrack) are the relevant ones. Reports mean average precision and precision@10, each
with a 95 % bootstrap interval over queries, overall and per album, for the sound model(s), the
musicnn teacher(s) when their outputs are cached, two MFCC baselines and random, side by side.

Two ways to run it:

- ``--cache DIR`` (the training cache of ``recommender.train.fetch_data``): scores the fixed
  test and validation splits of ``recommender.train.split`` in one run; the teachers' rows come
  from the outputs ``recommender.train.teacher`` cached there.
- ``--corpus FOLDER...``: any folders with one sub-folder per album (or ``--group-by tag``).

The MFCC baselines get the whole track (20 MFCCs): "mean + std, standardised, cosine" (each
statistic standardised over the evaluated set) and the classic Mandel & Ellis (2005) Gaussian,
full covariance, symmetrised KL. The sound model sees only the excerpts `tonearm analyze` decodes.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender.sound import frontend
from recommender.sound.model import MODEL_PATH, SoundModel
from recommender.train.metrics import (  # noqa: F401  (re-exported for callers)
    PRECISION_AT,
    QueryScores,
    cosine_distances,
    query_scores,
    ranking_metrics,
)

AUDIO_SUFFIXES = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".mp4", ".aac", ".wma", ".aiff"}
)
N_MFCC = 20
RANDOM_SEEDS = 10
BOOTSTRAP_SAMPLES = 2000
MFCC_BASELINE = "MFCC mean+std, standardised, cosine"
MFCC_KL_BASELINE = "MFCC mean+cov, sym. KL"


@dataclass(frozen=True)
class CorpusTrack:
    path: Path
    group: str


def corpus_tracks(folders: list[Path], group_by: str = "folder") -> list[CorpusTrack]:
    """Audio files under ``folders``; the group is the first sub-folder (or the album tag)."""
    out = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in AUDIO_SUFFIXES or not path.is_file():
                continue
            if group_by == "tag":
                group = _album_tag(path)
            else:
                parts = path.relative_to(folder).parts
                group = f"{folder.name}/{parts[0]}" if len(parts) > 1 else ""
            if group:
                out.append(CorpusTrack(path, group))
    return out


def _album_tag(path: Path) -> str:
    import mutagen

    try:
        tags = mutagen.File(str(path), easy=True)
    except Exception:  # an unreadable tag just leaves the file out of the ground truth
        return ""
    if not tags or not tags.get("album"):
        return ""
    return f"{tags.get('albumartist', tags.get('artist', ['']))[0]}/{tags['album'][0]}"


def bootstrap_interval(
    values: np.ndarray, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0
) -> tuple[float, float]:
    """95 % percentile bootstrap interval of the mean of ``values`` (queries resampled)."""
    values = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(samples, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def summarise(scores: QueryScores) -> dict:
    """mAP and P@10 with bootstrap intervals, overall and per album."""
    per_group = {}
    owners = np.array(scores.groups)
    for group in sorted(set(scores.groups)):
        mask = owners == group
        per_group[group] = {
            "mAP": float(scores.ap[mask].mean()),
            "P@10": float(scores.p10[mask].mean()),
            "queries": int(mask.sum()),
        }
    return {
        "mAP": float(scores.ap.mean()),
        "mAP_95": bootstrap_interval(scores.ap),
        "P@10": float(scores.p10.mean()),
        "P@10_95": bootstrap_interval(scores.p10),
        "per_group": per_group,
    }


def cnn_vectors(paths: list[Path], model: SoundModel) -> np.ndarray:
    return np.stack([model.track_vector(model.track_patches(p)) for p in paths])


def mfcc_statistics(path: Path) -> np.ndarray:
    """The whole track's 20 MFCCs summarised as mean (20), std (20) and covariance (400)."""
    import librosa

    info = frontend.probe(path)
    audio = frontend.read_excerpts(path, [0.0], info.duration_s + 1.0)[0]
    if audio.shape[0] < frontend.N_FFT:
        raise frontend.AnalysisError("decoded no audio")
    mfcc = librosa.feature.mfcc(y=audio, sr=frontend.SAMPLE_RATE_HZ, n_mfcc=N_MFCC)
    cov = np.cov(mfcc) + np.eye(N_MFCC) * 1e-3
    return np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1), cov.ravel()]).astype(np.float64)


def mfcc_gaussian(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of the whole track's MFCCs."""
    stats = mfcc_statistics(path)
    return stats[:N_MFCC], stats[2 * N_MFCC :].reshape(N_MFCC, N_MFCC)


def symmetric_kl(means: np.ndarray, covs: np.ndarray) -> np.ndarray:
    """Pairwise symmetrised KL divergence between Gaussians (a proper choice for mean+cov)."""
    inv = np.linalg.inv(covs)
    d = means.shape[1]
    trace = np.einsum("aij,bji->ab", inv, covs)  # tr(S_a^-1 S_b)
    diff = means[:, None, :] - means[None, :, :]
    inv_sum = inv[:, None] + inv[None, :]
    maha = np.einsum("abi,abij,abj->ab", diff, inv_sum, diff)
    return 0.5 * (trace + trace.T + maha) - d


def mfcc_distances(stats: np.ndarray) -> dict[str, np.ndarray]:
    """Both MFCC baselines' distance matrices from rows of `mfcc_statistics`."""
    mean_std = stats[:, : 2 * N_MFCC]
    z = (mean_std - mean_std.mean(axis=0)) / (mean_std.std(axis=0) + 1e-9)
    z /= np.linalg.norm(z, axis=1, keepdims=True) + 1e-12
    means = stats[:, :N_MFCC]
    covs = stats[:, 2 * N_MFCC :].reshape(-1, N_MFCC, N_MFCC)
    return {MFCC_BASELINE: cosine_distances(z), MFCC_KL_BASELINE: symmetric_kl(means, covs)}


def random_scores(groups: list[str]) -> QueryScores:
    """Each query's AP and P@10 averaged over RANDOM_SEEDS random rankings."""
    runs = []
    for seed in range(RANDOM_SEEDS):
        noise = np.random.default_rng(seed).random((len(groups), len(groups)))
        runs.append(query_scores(noise, groups))
    return QueryScores(
        np.mean([r.ap for r in runs], axis=0),
        np.mean([r.p10 for r in runs], axis=0),
        runs[0].groups,
    )


def paired_difference(a: QueryScores, b: QueryScores) -> dict:
    """mAP of ``a`` minus ``b`` on the same queries, with a paired bootstrap interval."""
    diff = a.ap - b.ap
    return {"mAP": float(diff.mean()), "mAP_95": bootstrap_interval(diff)}


def evaluate(
    tracks: list[CorpusTrack],
    model: SoundModel | list[SoundModel],
    teachers: dict[str, dict[str, np.ndarray]] | None = None,
    mfcc_cache: dict[str, np.ndarray] | None = None,
) -> dict:
    """Embed, rank and score the tracks with every method.

    ``teachers`` maps a row name to {path: track vector}; a track a teacher has no vector for
    is left out of every method, so all rows rank the same tracks. ``mfcc_cache`` (path to
    `mfcc_statistics`) is read and filled so a second run skips the whole-track decoding.
    """
    models = model if isinstance(model, list) else [model]
    teachers = teachers or {}
    kept: list[CorpusTrack] = []
    vectors: list[list[np.ndarray]] = [[] for _ in models]
    stats, skipped = [], []
    started = time.perf_counter()
    for track in tracks:
        key = str(track.path)
        lacking = [name for name, found in teachers.items() if key not in found]
        if lacking:
            skipped.append(f"{track.path}: no cached outputs of {', '.join(lacking)}")
            continue
        try:
            # each model hears its own number of excerpts; decode each count once
            patches = {
                n: frontend.track_patches(track.path, n_excerpts=n)
                for n in {m.excerpts for m in models}
            }
            if mfcc_cache is not None and key in mfcc_cache:
                track_stats = mfcc_cache[key]
            else:
                track_stats = mfcc_statistics(track.path)
                if mfcc_cache is not None:
                    mfcc_cache[key] = track_stats
        except frontend.AnalysisError as exc:
            skipped.append(f"{track.path}: {exc}")
            continue
        for found, m in zip(vectors, models, strict=True):
            found.append(m.track_vector(patches[m.excerpts]))
        stats.append(track_stats)
        kept.append(track)
    seconds = time.perf_counter() - started
    groups = [t.group for t in kept]
    scores: dict[str, QueryScores] = {}
    for found, m in zip(vectors, models, strict=True):
        scores[f"sound CNN ({m.version})"] = query_scores(cosine_distances(np.stack(found)), groups)
    for name, by_path in teachers.items():
        matrix = np.stack([by_path[str(t.path)] for t in kept])
        scores[name] = query_scores(cosine_distances(matrix), groups)
    for name, distances in mfcc_distances(np.stack(stats)).items():
        scores[name] = query_scores(distances, groups)
    scores[f"random (mean of {RANDOM_SEEDS})"] = random_scores(groups)
    sizes: dict[str, int] = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    student = scores[f"sound CNN ({models[0].version})"]
    heard = {
        m.version: sorted(set(groups) & m.trained_on) for m in models if set(groups) & m.trained_on
    }
    differences = {
        f"{next(iter(scores))} - {MFCC_BASELINE}": paired_difference(student, scores[MFCC_BASELINE])
    }
    for name in teachers:
        differences[f"{next(iter(scores))} - {name}"] = paired_difference(student, scores[name])
    return {
        "tracks": len(groups),
        "queries": len(student.ap),
        "groups": sizes,
        "skipped": skipped,
        "seconds": round(seconds, 1),
        "methods": {name: summarise(s) for name, s in scores.items()},
        "differences": differences,
        "trained_on_these": heard,
    }


def teacher_track_vectors(cache: Path, train_paths: set[str]) -> dict[str, dict[str, np.ndarray]]:
    """Row name -> {absolute path: track vector} for each musicnn teacher cached in ``cache``.

    Each window is standardised per dimension with the training split's statistics and made
    unit length before the mean (issue 15: 0.547 against 0.515 for a plain mean); the two
    teachers together are their unit vectors side by side.
    """
    from recommender.train.dataset import teacher_statistics, track_target, unit_rows
    from recommender.train.teacher import TEACHER_MODELS, teacher_file

    found: dict[str, dict[str, np.ndarray]] = {}
    for model in TEACHER_MODELS:
        path = teacher_file(cache, model, "real")
        if not path.exists():
            continue
        with np.load(path) as saved:
            outputs = {
                str(p): saved[f"penultimate{i}"].astype(np.float32)
                for i, p in enumerate(saved["paths"])
            }
        basis = [o for p, o in outputs.items() if p in train_paths] or list(outputs.values())
        mean, std = teacher_statistics(basis)
        found[f"musicnn {model} (teacher)"] = {
            str(cache / p): track_target(unit_rows(o, mean, std))[0] for p, o in outputs.items()
        }
    if len(found) == 2:
        first, second = found.values()
        found["musicnn MSD + MTT (teachers)"] = {
            p: np.concatenate([v, second[p]]) / np.sqrt(2) for p, v in first.items() if p in second
        }
    return found


def cache_reports(cache: Path, models: list[SoundModel], splits: list[str]) -> dict[str, dict]:
    """Reports for the training cache's fixed splits (``recommender.train.split``)."""
    from recommender.train.manifest import read_manifest
    from recommender.train.split import split_of

    rows = read_manifest(cache)
    train_paths = {r.path for r in rows if split_of(r.soundtrack) == "train"}
    teachers = teacher_track_vectors(cache, train_paths)
    stash = cache / "eval-mfcc.npz"
    mfcc_cache: dict[str, np.ndarray] = {}
    if stash.exists():
        with np.load(stash) as saved:
            mfcc_cache = dict(zip(saved["paths"].tolist(), saved["stats"], strict=True))
    reports = {}
    for split in splits:
        tracks = [
            CorpusTrack(cache / r.path, r.soundtrack)
            for r in rows
            if split_of(r.soundtrack) == split
        ]
        reports[split] = evaluate(tracks, models, teachers, mfcc_cache)
        if mfcc_cache:
            paths = sorted(mfcc_cache)
            np.savez(stash, paths=np.array(paths), stats=np.stack([mfcc_cache[p] for p in paths]))
    return reports


def _interval(pair: tuple[float, float] | list[float]) -> str:
    return f"[{pair[0]:.3f}, {pair[1]:.3f}]"


def format_table(report: dict, title: str = "") -> str:
    """The overall table, the paired differences and a per-album mAP table."""
    lines = [
        f"{title}{report['tracks']} tracks in {len(report['groups'])} albums/soundtracks "
        f"({report['queries']} queries, {len(report['skipped'])} skipped)",
        f"{'method':<44}{'mAP':>7}  {'95 % interval':<17}{'P@10':>6}  {'95 % interval':<16}",
    ]
    for name, s in report["methods"].items():
        lines.append(
            f"{name:<44}{s['mAP']:>7.3f}  {_interval(s['mAP_95']):<17}"
            f"{s['P@10']:>6.3f}  {_interval(s['P@10_95'])}"
        )
    for version, heard in report.get("trained_on_these", {}).items():
        lines.append(
            f"  NOTE: {version} was trained on {len(heard)} of these soundtracks "
            f"({', '.join(heard)}): its row here is not a held-out score"
        )
    for name, d in report.get("differences", {}).items():
        lines.append(f"  {name}: {d['mAP']:+.3f} mAP {_interval(d['mAP_95'])}")
    names = list(report["methods"])
    short = [f"m{i + 1}" for i in range(len(names))]
    lines.append(
        "mAP per album (" + ", ".join(f"{s} = {n}" for s, n in zip(short, names, strict=True)) + ")"
    )
    lines.append(f"{'album':<40}{'n':>4}" + "".join(f"{s:>7}" for s in short))
    for group in sorted(report["groups"]):
        row = [
            report["methods"][n]["per_group"].get(group, {}).get("mAP", float("nan")) for n in names
        ]
        lines.append(
            f"{group:<40}{report['groups'][group]:>4}" + "".join(f"{v:>7.3f}" for v in row)
        )
    return "\n".join(lines)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sound", help="sound similarity: CNN vs teachers vs MFCC vs random"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--cache", type=Path, help="training cache: score its test and validation splits"
    )
    source.add_argument(
        "--corpus", type=Path, nargs="+", help="folder(s) with one folder per album"
    )
    parser.add_argument(
        "--splits", nargs="+", default=["test", "validation"], choices=["test", "validation"]
    )
    parser.add_argument("--group-by", choices=["folder", "tag"], default="folder")
    parser.add_argument(
        "--only", nargs="+", metavar="FOLDER", help="score only these album folders (by name)"
    )
    parser.add_argument(
        "--model", type=Path, nargs="+", default=[MODEL_PATH], help="ONNX model(s); first is judged"
    )
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    models = [SoundModel(m, threads=2) for m in args.model]
    if args.cache is not None:
        reports = cache_reports(args.cache.resolve(), models, args.splits)
    else:
        tracks = corpus_tracks(args.corpus, args.group_by)
        if args.only:
            tracks = [t for t in tracks if t.group.split("/", 1)[-1] in set(args.only)]
        reports = {"corpus": evaluate(tracks, models)}
    for name, report in reports.items():
        print(format_table(report, f"{name}: "))
        print()
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2) + "\n")
    return 0
