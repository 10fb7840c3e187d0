"""Give a trained patch encoder its track head (sound-cnn-5 on): standardisation of the pooled
CNN vector and of the timbre vector, fixed from the training split, and the weight between them.
A model that has a head already gets a new one on the same encoder (sound-cnn-6 is
sound-cnn-5's encoder with the SPD timbre: recommender/sound/timbre.py).

    python -m recommender.train.head --cache DIR --model resources/model/sound_cnn.onnx

reads the training split's tracks (the excerpts `tonearm analyze` reads), writes the constants
into the model's metadata with its new version and excerpt count, and seals the file again. No
validation or test track is read: the weight and the excerpt count were chosen on validation
(docs/sound.md) and are this command's defaults.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import onnx

from recommender.sound import frontend
from recommender.sound.model import (
    CHECKSUM_KEY,
    CHECKSUM_PLACEHOLDER,
    ENCODER_KEY,
    HEAD_KEY,
    VERSION_KEY,
    SoundModel,
    TrackHead,
    pool_track,
    seal_model,
)
from recommender.sound.timbre import GAUSSIAN_SPD, TIMBRE_KINDS, timbre_vector
from recommender.train.manifest import read_manifest
from recommender.train.split import split_of

HEAD_VERSION = "sound-cnn-6"
HEAD_EXCERPTS = 10
CNN_WEIGHT = 0.45
"""Chosen on validation with the SPD timbre: 0.435 at 0.4, 0.434 at 0.45, 0.432 at 0.5, 0.431
at 0.55 (flat from 0.4 to 0.45; sound-cnn-5's log-Euclidean timbre was flat from 0.5 to 0.65)."""
SPREAD_FLOOR = 1e-9


def fit_head(
    model: SoundModel, paths: list[Path], excerpts: int, cnn_weight: float, timbre: str
) -> TrackHead:
    """Centre and spread of both parts over ``paths`` (the training split)."""
    pooled, timbres = [], []
    for path in paths:
        try:
            patches = frontend.track_patches(path, n_excerpts=excerpts)
        except frontend.AnalysisError:
            continue
        pooled.append(pool_track(model.embed_patches(patches)))
        timbres.append(timbre_vector(patches, timbre))
    if len(pooled) < 2:
        raise SystemExit("need at least two readable training tracks to fit the head")
    cnn, tim = np.stack(pooled).astype(np.float64), np.stack(timbres)
    print(f"head fitted on {len(pooled)} training tracks", file=sys.stderr)
    return TrackHead(
        cnn.mean(axis=0),
        cnn.std(axis=0) + SPREAD_FLOOR,
        tim.mean(axis=0),
        tim.std(axis=0) + SPREAD_FLOOR,
        cnn_weight,
        timbre,
    )


def write_head(
    source: Path, out: Path, head: TrackHead, version: str, excerpts: int, parent: str
) -> None:
    """Copy ``source`` to ``out`` with the head, version and excerpts in its metadata."""
    proto = onnx.load(str(source))
    props = {p.key: p.value for p in proto.metadata_props}
    props.update(
        {
            VERSION_KEY: version,
            "excerpts": str(excerpts),
            ENCODER_KEY: parent,
            HEAD_KEY: head.to_json(),
            CHECKSUM_KEY: CHECKSUM_PLACEHOLDER,
        }
    )
    save_sealed(proto, props, out)


def save_sealed(proto: onnx.ModelProto, props: dict[str, str], out: Path) -> None:
    """Write ``proto`` with exactly ``props`` as metadata (CHECKSUM_KEY holding the
    placeholder), seal it, and only then put it at ``out``: a half-written model never
    replaces a good one. Training's export and the head both save through here."""
    del proto.metadata_props[:]
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    onnx.save(proto, str(partial))
    seal_model(partial)  # the runtime refuses a model whose bytes do not match this checksum
    partial.replace(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recommender.train.head", description=__doc__)
    parser.add_argument("--cache", type=Path, required=True, help="folder from fetch_data")
    parser.add_argument("--model", type=Path, default=Path("resources/model/sound_cnn.onnx"))
    parser.add_argument("--out", type=Path, help="where to write (default: over --model)")
    parser.add_argument("--version", default=HEAD_VERSION)
    parser.add_argument("--excerpts", type=int, default=HEAD_EXCERPTS)
    parser.add_argument("--cnn-weight", type=float, default=CNN_WEIGHT)
    parser.add_argument("--timbre", choices=TIMBRE_KINDS, default=GAUSSIAN_SPD)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    model = SoundModel(args.model)
    rows = read_manifest(args.cache)
    paths = [args.cache / r.path for r in rows if split_of(r.soundtrack) == "train"]
    head = fit_head(model, paths, args.excerpts, args.cnn_weight, args.timbre)
    out = args.out or args.model
    write_head(args.model, out, head, args.version, args.excerpts, model.encoder_of)
    written = SoundModel(out)
    print(
        json.dumps(
            {
                "version": written.version,
                "encoder_of": written.encoder_of,
                "timbre": args.timbre,
                "excerpts": written.excerpts,
                "track_dim": written.track_dim,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
