"""Train the sound CNN: `python -m recommender.train --cache DIR --out FILE.onnx`.

Computes the training set's log-mels once, trains the patch encoder with contrastive losses
(two moments of one track are positives; optionally tracks of one soundtrack too), exports ONNX,
checks onnxruntime against PyTorch and scores the held-out soundtracks. Fixed seed throughout.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import platform
import time
from pathlib import Path
from typing import cast

import numpy as np
import torch

from recommender.evaluate.sound import (
    CorpusTrack,
    cache_reports,
    cosine_distances,
    ranking_metrics,
    teacher_track_vectors,
)
from recommender.sound import frontend
from recommender.sound.model import SoundModel, pool_track
from recommender.train.contrastive import (
    augment,
    nt_xent,
    soundtrack_contrast,
    stretch_and_eq,
    teacher_kl,
)
from recommender.train.dataset import (
    attach_teacher,
    attach_track_targets,
    load_training_set,
    sample_pairs,
)
from recommender.train.export import export_onnx, max_parity_error
from recommender.train.manifest import read_manifest
from recommender.train.model import CHANNELS, SoundCNN
from recommender.train.split import split_of
from recommender.train.synth_midi import read_synthetic
from recommender.train.teacher import teacher_file

MODEL_VERSION = "sound-cnn-3"
TEACHERS = {
    "msd": "musicnn MSD_musicnn (teacher)",
    "mtt": "musicnn MTT_musicnn (teacher)",
    "both": "musicnn MSD + MTT (teachers)",
}


def _learning_rate(step: int, steps: int, peak: float, warmup: int = 100) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(steps - warmup, 1)))


class HeldOutProbe:
    """The held-out soundtracks' analysis patches, decoded once, to score the CNN while it trains.

    Only the CNN is run at each probe (a few seconds), so the loss curve comes with a curve of
    held-out mAP; the full three-way evaluation runs once, on the exported ONNX file.
    """

    def __init__(self, tracks: list, n_excerpts: int) -> None:
        self.patches, self.groups = [], []
        for track in tracks:
            try:
                patches = frontend.track_patches(track.path, n_excerpts=n_excerpts)
                self.patches.append(torch.from_numpy(patches))
            except frontend.AnalysisError:
                continue
            self.groups.append(track.group)

    def score(self, model: SoundCNN) -> float:
        model.eval()
        with torch.no_grad():
            vectors = [pool_track(model(p).numpy()) for p in self.patches]
        model.train()
        return ranking_metrics(cosine_distances(np.stack(vectors)), self.groups)[0]


def _standardise(model: SoundCNN, paths: list[Path], n_excerpts: int) -> None:
    """Fix the exported standardisation from the training tracks' analysis patches (the same
    six excerpts `tonearm analyze` reads), so no held-out statistic reaches the model."""
    model.eval()
    embedded = []
    with torch.no_grad():
        for path in paths:
            try:
                patches = frontend.track_patches(path, n_excerpts=n_excerpts)
                embedded.append(model(torch.from_numpy(patches)))
            except frontend.AnalysisError:
                continue
    model.set_standardisation(torch.cat(embedded))
    print(f"standardised with {len(embedded)} training tracks' analysis patches")


def _split_tracks(cache: Path, split: str) -> list[CorpusTrack]:
    rows = read_manifest(cache)
    return [
        CorpusTrack(cache / r.path, r.soundtrack) for r in rows if split_of(r.soundtrack) == split
    ]


def train(args: argparse.Namespace) -> dict:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    cache: Path = args.cache.resolve()
    rows = read_manifest(cache)
    # --refit: the recipe and step count were chosen on validation; the model to ship then
    # learns from train and validation together, and only test stays unheard
    fit_splits = {"train", "validation"} if args.refit else {"train"}
    heldout = {r.soundtrack for r in rows if split_of(r.soundtrack) not in fit_splits}
    train_rows = [r for r in rows if split_of(r.soundtrack) in fit_splits]
    synthetic = read_synthetic(cache) if args.synthetic else []
    if args.synthetic and not synthetic:
        raise SystemExit(
            f"no rendered MIDI in {cache}: run `python -m recommender.train.synth_midi --cache"
            f" {cache}` first, or pass --no-synthetic"
        )
    train_rows += synthetic

    started = time.perf_counter()
    data = load_training_set(cache, train_rows, workers=args.workers)
    features_s = time.perf_counter() - started
    print(
        f"training set: {len(data.mels)} tracks, {data.hours:.1f} h, "
        f"{len(data.soundtrack_names)} soundtracks ({features_s:.0f} s)"
    )

    if args.teacher_weight > 0 and args.teacher_windows == "track":
        vectors = teacher_track_vectors(cache, {r.path for r in train_rows})
        if TEACHERS[args.teacher] not in vectors:
            raise SystemExit(
                f"no teacher outputs in {cache}: run `python -m recommender.train.teacher"
                f" --cache {cache}` in its own environment first, or pass --teacher-weight 0"
            )
        if synthetic:
            raise SystemExit("--synthetic needs --teacher-windows window (one teacher file)")
        attach_track_targets(data, vectors[TEACHERS[args.teacher]], cache)
        print(f"distilling from {TEACHERS[args.teacher]}, one pooled target a track")
    elif args.teacher_weight > 0:
        parts = ["train"] + (["synthetic"] if synthetic else [])
        teacher_npzs = [teacher_file(cache, part=part, windows=0) for part in parts]
        attach_teacher(data, teacher_npzs, args.teacher_layer, args.teacher_target)
        print(f"distilling from {', '.join(n.name for n in teacher_npzs)} ({args.teacher_layer})")

    probe = (
        HeldOutProbe(_split_tracks(cache, "validation"), args.excerpts)
        if args.probe_every and not args.refit
        else None
    )
    model = SoundCNN(channels=tuple(args.channels))
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    history = []
    train_started = time.perf_counter()
    # An exponential moving average of the weights is what ships: single checkpoints of so
    # small a training set swing by a few hundredths of held-out mAP from one probe to the next.
    averaged = torch.optim.swa_utils.AveragedModel(
        model,
        multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(args.ema),
        use_buffers=True,
    )
    # A linear head from the embedding to the teacher's vector (training only, not exported):
    # a dense target beside the in-batch relational one.
    head = None
    if args.regress_weight > 0 and data.teacher_targets is not None:
        head = torch.nn.Linear(model.embed.out_features, data.teacher_targets[0].shape[1])
        optimiser.add_param_group({"params": head.parameters()})
    best: tuple[float, int, dict] | None = None
    model.train()
    step = args.steps - 1
    for step in range(0 if args.from_weights else args.steps):
        for group in optimiser.param_groups:
            group["lr"] = _learning_rate(step, args.steps, args.lr, args.warmup)
        batch = sample_pairs(data, args.batch_tracks, rng)
        x_a, x_b = torch.from_numpy(batch.a), torch.from_numpy(batch.b)
        if args.strong_augment:
            x_a, x_b = stretch_and_eq(x_a, generator), stretch_and_eq(x_b, generator)
        f_a = model.features(augment(x_a, generator))
        f_b = model.features(augment(x_b, generator))
        z_a = torch.nn.functional.normalize(model.projection(f_a), dim=1)
        z_b = torch.nn.functional.normalize(model.projection(f_b), dim=1)
        loss = args.track_weight * nt_xent(z_a, z_b, args.temperature)
        if batch.teacher_a is not None:
            # on the exported embedding itself, so what ships inherits the teacher's neighbours
            embedded = torch.nn.functional.normalize(torch.cat([f_a, f_b]), dim=1)
            targets = torch.from_numpy(np.concatenate([batch.teacher_a, batch.teacher_b]))
            loss = loss + args.teacher_weight * teacher_kl(
                embedded,
                targets,
                args.temperature,
                args.teacher_temperature,
                skip_partners=args.skip_partners,
            )
        if batch.teacher_a is not None and args.pooled_weight > 0:
            # what the library sees is a track's mean over its patches: ask that mean (here of
            # the two crops) to have the teacher's neighbours too, one row a track
            pooled = torch.nn.functional.normalize(
                torch.nn.functional.normalize(f_a, dim=1)
                + torch.nn.functional.normalize(f_b, dim=1),
                dim=1,
            )
            loss = loss + args.pooled_weight * teacher_kl(
                pooled,
                torch.from_numpy(batch.teacher_a),
                args.temperature,
                args.teacher_temperature,
            )
        if head is not None:
            predicted = torch.nn.functional.normalize(head(torch.cat([f_a, f_b])), dim=1)
            cosine = (predicted * targets).sum(dim=1)
            loss = loss + args.regress_weight * (1 - cosine).mean()
        if args.soundtrack_weight > 0:
            y = torch.from_numpy(batch.soundtracks)
            loss = loss + args.soundtrack_weight * soundtrack_contrast(
                z_a, z_b, y, args.temperature
            )
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        averaged.update_parameters(model)
        out_of_time = args.max_train_s and time.perf_counter() - train_started > args.max_train_s
        stopped = bool(out_of_time) or step == args.stop_step
        last = step == args.steps - 1 or stopped
        if step % 50 == 0 or last:
            elapsed = time.perf_counter() - train_started
            entry = {"step": step, "loss": round(loss.item(), 4), "s": round(elapsed, 1)}
            if probe is not None and (step % args.probe_every == 0 or last):
                score = probe.score(cast(SoundCNN, averaged.module))
                entry["validation_mAP"] = round(score, 4)
                # steps are chosen on validation: keep the averaged weights of its best probe
                if step >= args.warmup and (best is None or score > best[0]):
                    best = (score, step, copy.deepcopy(averaged.module.state_dict()))
            history.append(entry)
            held = (
                f"  validation mAP {entry['validation_mAP']:.3f}"
                if "validation_mAP" in entry
                else ""
            )
            print(f"step {step:>5}  loss {loss.item():.4f}  {elapsed:>6.0f} s{held}", flush=True)
        if last:
            if stopped:  # the same command with --stop-step STEP gives the same weights
                print(f"stopped at step {step} (--stop-step {step} reproduces this run)")
            break
    train_s = time.perf_counter() - train_started
    model = cast(SoundCNN, averaged.module)
    if args.from_weights:  # the weights of an earlier run of this command: export them again
        model.load_state_dict(torch.load(args.from_weights)["state"])
    elif best is not None and args.keep_best:
        model.load_state_dict(best[2])
        print(f"keeping the averaged weights of step {best[1]} (validation mAP {best[0]:.3f})")

    if args.standardise:
        _standardise(
            model, [cache / r.path for r in train_rows if r not in synthetic], args.excerpts
        )

    synthetic_names = {r.soundtrack for r in synthetic}
    real_soundtracks = [n for n in data.soundtrack_names if n not in synthetic_names]
    out: Path = args.out
    export_onnx(
        model,
        out,
        args.version,
        {
            "trained_on": ",".join(real_soundtracks),
            "synthetic_albums": str(len(data.soundtrack_names) - len(real_soundtracks)),
            "held_out": ",".join(sorted(heldout)),
            "seed": str(args.seed),
            "steps": str(args.steps),
            "stopped_at": str(step),
            "kept_step": str(best[1] if best is not None and args.keep_best else args.steps - 1),
            "teacher": TEACHERS[args.teacher] if args.teacher_weight > 0 else "",
            "excerpts": str(args.excerpts),
        },
    )
    parity = max_parity_error(model, out)
    if args.save_weights:  # for `python -m recommender.train.ensemble`
        torch.save(
            {"state": model.state_dict(), "channels": list(args.channels)},
            args.save_weights,
        )
    report = {
        "model_version": args.version,
        "onnx_bytes": out.stat().st_size,
        "onnx_parity_max_abs": parity,
        "trained_on": real_soundtracks,
        "synthetic_albums": len(data.soundtrack_names) - len(real_soundtracks),
        "synthetic_tracks": len(synthetic),
        "train_tracks": len(data.mels),
        "train_hours": round(data.hours, 2),
        "held_out": sorted(heldout),
        "hyperparameters": {
            k: getattr(args, k)
            for k in (
                "seed",
                "steps",
                "batch_tracks",
                "lr",
                "temperature",
                "track_weight",
                "soundtrack_weight",
                "teacher_weight",
                "teacher_layer",
                "teacher_temperature",
                "teacher_target",
                "ema",
                "strong_augment",
                "skip_partners",
                "teacher",
                "regress_weight",
                "keep_best",
                "warmup",
                "stop_step",
                "pooled_weight",
                "standardise",
                "channels",
                "refit",
                "excerpts",
            )
        },
        "threads": args.threads,
        "machine": f"{platform.machine()} {torch.get_num_threads()} torch threads",
        "feature_seconds": round(features_s, 1),
        "train_seconds": round(train_s, 1),
        "loss_history": history,
    }
    report["kept_step"] = best[1] if best is not None and args.keep_best else args.steps - 1
    if args.evaluate and not args.refit:
        # validation only: the test split is scored once per shipped model, by
        # `python -m recommender.evaluate sound --cache DIR`
        evaluation = cache_reports(cache, [SoundModel(out, threads=args.threads)], ["validation"])
        report["validation_evaluation"] = evaluation["validation"]
        for name, scores in evaluation["validation"]["methods"].items():
            print(f"validation  {name:<40} mAP {scores['mAP']:.3f}  P@10 {scores['P@10']:.3f}")
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recommender.train", description=__doc__)
    parser.add_argument("--cache", type=Path, required=True, help="folder from fetch_data")
    parser.add_argument(
        "--out", type=Path, default=Path("resources/model/sound_cnn.onnx"), help="ONNX file"
    )
    parser.add_argument("--metrics", type=Path, help="metrics JSON (default: next to --out)")
    parser.add_argument("--version", default=MODEL_VERSION)
    parser.add_argument(
        "--evaluate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="score the exported model on the validation split",
    )
    parser.add_argument(
        "--teacher", choices=sorted(TEACHERS), default="both", help="whose track vectors to learn"
    )
    parser.add_argument(
        "--teacher-windows",
        choices=["track", "window"],
        default="track",
        help="track: the six-window teacher files of every track (recommender.train.split);"
        " window: the older back-to-back window files",
    )
    parser.add_argument(
        "--regress-weight", type=float, default=0.0, help="weight of predicting the teacher vector"
    )
    parser.add_argument(
        "--keep-best",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="export the averaged weights of the best validation probe",
    )
    parser.add_argument("--warmup", type=int, default=100, help="warm-up steps")
    parser.add_argument(
        "--max-train-s",
        type=float,
        default=0,
        help="stop (probe, keep the best, export) after this many seconds of training (0: never)",
    )
    parser.add_argument(
        "--stop-step",
        type=int,
        default=-1,
        help="stop at this step (the schedule still spans --steps)",
    )
    # Defaults are the shipped recipe (docs/sound.md has what each choice was worth on the
    # held-out soundtracks): distillation only, whole-track teacher targets with each crop's
    # partner left out, stretch+EQ augmentation, weight averaging, a 600-step schedule
    # (sound-cnn-3 stopped at step 560: scripts/train-model passes --stop-step 560).
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--batch-tracks", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--temperature", type=float, default=0.1)
    parser.add_argument(
        "--track-weight", type=float, default=0.0, help="weight of 'two moments of one track'"
    )
    parser.add_argument("--soundtrack-weight", type=float, default=0.0)
    parser.add_argument(
        "--teacher-weight",
        type=float,
        default=1.0,
        help="weight of distillation from musicnn's outputs (0: self-supervised only)",
    )
    parser.add_argument(
        "--synthetic",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="also train on the rendered MIDI from synth_midi",
    )
    parser.add_argument("--teacher-layer", default="penultimate")
    parser.add_argument("--teacher-temperature", type=float, default=0.1)
    parser.add_argument(
        "--teacher-target",
        choices=["track", "window"],
        default="track",
        help="a crop's target: its track's pooled teacher vector, or its own window's",
    )
    parser.add_argument(
        "--probe-every", type=int, default=50, help="score held-out mAP every N steps (0: off)"
    )
    parser.add_argument(
        "--skip-partners",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="leave a crop's partner from its own track out of the distillation loss",
    )
    parser.add_argument(
        "--pooled-weight",
        type=float,
        default=0.0,
        help="weight of distilling the mean of each track's two crops (what analysis pools)",
    )
    parser.add_argument(
        "--standardise",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="standardise patch embeddings with the training split's statistics before pooling",
    )
    parser.add_argument(
        "--channels",
        type=int,
        nargs=4,
        default=list(CHANNELS),
        help="channels of the four conv blocks",
    )
    parser.add_argument(
        "--refit",
        action="store_true",
        help="train on train + validation with a recipe and --steps chosen on validation "
        "(no probe; the last averaged weights are exported); test stays held out",
    )
    parser.add_argument(
        "--save-weights", type=Path, help="also keep the exported weights (PyTorch) here"
    )
    parser.add_argument(
        "--excerpts",
        type=int,
        default=6,
        help="excerpts a track that analysis pools (recorded in the model; 12 scored best on "
        "validation, docs/sound.md)",
    )
    parser.add_argument(
        "--from-weights",
        type=Path,
        help="skip training: standardise and export weights saved by --save-weights",
    )
    parser.add_argument("--ema", type=float, default=0.99, help="weight-average decay per step")
    parser.add_argument(
        "--strong-augment",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also stretch crops in time and give them a random EQ",
    )
    parser.add_argument("--seed", type=int, default=0)
    # One torch thread by default: the same command then gives the same weights bit for bit
    # (float sums split over threads come out in another order).
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--workers", type=int, default=2, help="processes computing log-mels")
    args = parser.parse_args(argv)
    report = train(args)
    metrics = args.metrics or args.out.with_suffix(".metrics.json")
    metrics.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out} ({report['onnx_bytes'] / 1e6:.1f} MB) and {metrics}")
    print(f"training {report['train_seconds']:.0f} s, total {report['total_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
