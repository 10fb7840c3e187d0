"""`evaluate sound`: does the sound model put tracks of one soundtrack or album together?

For each track as a query, rank every other track of the corpus; tracks from the same album are
the relevant ones. Reports mean average precision and precision@10 for the sound CNN, a classic
MFCC baseline and random, side by side. The baseline gets the whole track (its classic setting,
Mandel & Ellis 2005: 20 MFCCs, one full-covariance Gaussian per track, symmetrised KL divergence);
the CNN sees only the excerpts that `tonearm analyze` decodes.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender.sound import frontend
from recommender.sound.model import MODEL_PATH, SoundModel, pool_track

AUDIO_SUFFIXES = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".mp4", ".aac", ".wma", ".aiff"}
)
N_MFCC = 20
RANDOM_SEEDS = 10
PRECISION_AT = 10


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


def ranking_metrics(distances: np.ndarray, groups: list[str]) -> tuple[float, float, int]:
    """(mAP, precision@10, number of queries) ranking each row's others by distance."""
    labels = np.array(groups)
    aps, precisions = [], []
    for q in range(len(labels)):
        relevant = labels == labels[q]
        relevant[q] = False
        if not relevant.any():
            continue
        order = [i for i in np.argsort(distances[q], kind="stable") if i != q]
        hits = relevant[order]
        ranks = np.flatnonzero(hits) + 1
        aps.append(float(np.mean(np.arange(1, len(ranks) + 1) / ranks)))
        precisions.append(float(hits[:PRECISION_AT].mean()))
    return float(np.mean(aps)), float(np.mean(precisions)), len(aps)


def cnn_vectors(paths: list[Path], model: SoundModel) -> np.ndarray:
    vectors = []
    for path in paths:
        vectors.append(pool_track(model.embed_patches(frontend.track_patches(path))))
    return np.stack(vectors)


def cosine_distances(vectors: np.ndarray) -> np.ndarray:
    return 1.0 - vectors @ vectors.T


def mfcc_gaussian(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of the whole track's MFCCs."""
    import librosa

    info = frontend.probe(path)
    audio = frontend.read_excerpts(path, [0.0], info.duration_s + 1.0)[0]
    mfcc = librosa.feature.mfcc(y=audio, sr=frontend.SAMPLE_RATE_HZ, n_mfcc=N_MFCC)
    cov = np.cov(mfcc) + np.eye(N_MFCC) * 1e-3
    return mfcc.mean(axis=1), cov


def symmetric_kl(means: np.ndarray, covs: np.ndarray) -> np.ndarray:
    """Pairwise symmetrised KL divergence between Gaussians (a proper choice for mean+cov)."""
    inv = np.linalg.inv(covs)
    d = means.shape[1]
    trace = np.einsum("aij,bji->ab", inv, covs)  # tr(S_a^-1 S_b)
    diff = means[:, None, :] - means[None, :, :]
    inv_sum = inv[:, None] + inv[None, :]
    maha = np.einsum("abi,abij,abj->ab", diff, inv_sum, diff)
    return 0.5 * (trace + trace.T + maha) - d


def evaluate(tracks: list[CorpusTrack], model: SoundModel) -> dict:
    """Embed, rank and score the corpus with all three methods."""
    groups = [t.group for t in tracks]
    kept: list[int] = []
    vectors, gaussians, skipped = [], [], []
    started = time.perf_counter()
    for i, track in enumerate(tracks):
        try:
            vector = pool_track(model.embed_patches(frontend.track_patches(track.path)))
            gaussian = mfcc_gaussian(track.path)
        except frontend.AnalysisError as exc:
            skipped.append(f"{track.path}: {exc}")
            continue
        kept.append(i)
        vectors.append(vector)
        gaussians.append(gaussian)
    seconds = time.perf_counter() - started
    groups = [groups[i] for i in kept]
    results = {}
    mean_ap, p10, queries = ranking_metrics(cosine_distances(np.stack(vectors)), groups)
    results[f"sound CNN ({model.version})"] = {"mAP": mean_ap, "P@10": p10}
    means = np.stack([g[0] for g in gaussians])
    covs = np.stack([g[1] for g in gaussians])
    mean_ap, p10, _ = ranking_metrics(symmetric_kl(means, covs), groups)
    results["MFCC mean+cov, sym. KL"] = {"mAP": mean_ap, "P@10": p10}
    random_scores = []
    for seed in range(RANDOM_SEEDS):
        noise = np.random.default_rng(seed).random((len(groups), len(groups)))
        random_scores.append(ranking_metrics(noise, groups)[:2])
    results[f"random (mean of {RANDOM_SEEDS})"] = {
        "mAP": float(np.mean([s[0] for s in random_scores])),
        "P@10": float(np.mean([s[1] for s in random_scores])),
    }
    sizes: dict[str, int] = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    return {
        "tracks": len(groups),
        "queries": queries,
        "groups": sizes,
        "skipped": skipped,
        "seconds": round(seconds, 1),
        "methods": results,
    }


def format_table(report: dict) -> str:
    lines = [
        f"{report['tracks']} tracks in {len(report['groups'])} albums/soundtracks "
        f"({report['queries']} queries, {len(report['skipped'])} skipped)",
        f"{'method':<34}{'mAP':>8}{'P@10':>8}",
    ]
    for name, scores in report["methods"].items():
        lines.append(f"{name:<34}{scores['mAP']:>8.3f}{scores['P@10']:>8.3f}")
    return "\n".join(lines)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sound", help="sound similarity: CNN vs MFCC vs random")
    parser.add_argument(
        "--corpus", type=Path, nargs="+", required=True, help="folder(s) with one folder per album"
    )
    parser.add_argument("--group-by", choices=["folder", "tag"], default="folder")
    parser.add_argument(
        "--only", nargs="+", metavar="FOLDER", help="score only these album folders (by name)"
    )
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    tracks = corpus_tracks(args.corpus, args.group_by)
    if args.only:
        tracks = [t for t in tracks if t.group.split("/", 1)[-1] in set(args.only)]
    report = evaluate(tracks, SoundModel(args.model, threads=2))
    print(format_table(report))
    for group, size in sorted(report["groups"].items()):
        print(f"  {size:>4}  {group}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0
