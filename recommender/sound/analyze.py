"""Audio analysis: give every indexed track an embedding from the current sound model.

Work is split into chunks of tracks; each worker process (one per core given, see
`recommender.core.threads`) decodes a chunk's excerpts, computes log-mel patches and runs
onnxruntime on all of the chunk's patches in one batch, every library on a single thread, so the
machine is busy without oversubscription. The parent
writes each finished chunk in its own transaction: stopping halfway loses nothing already done,
and the next run picks up only what is still missing. Files that cannot be analysed are recorded
in `analysis_errors` with a reason and the run goes on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recommender.core.progress import CancelCheck, Progress, ProgressCallback, never_cancel
from recommender.core.threads import cores_given, worker_pool
from recommender.library.store import Store
from recommender.sound import frontend
from recommender.sound.embeddings import save_embeddings, tracks_to_embed
from recommender.sound.model import MODEL_PATH, SoundModel, is_storable

CHUNK_TRACKS = 16  # 96 patches per onnxruntime call; small enough to commit often


@dataclass
class AnalyzeSummary:
    """What one run did."""

    model_version: str
    embedded: int = 0
    failed: int = 0
    pending: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return (self.embedded + self.failed) / max(self.seconds, 1e-9)


@dataclass(frozen=True)
class ChunkResult:
    """Per-track outcome of one chunk and the time each stage took (for the benchmark)."""

    vectors: list[tuple[int, np.ndarray]]
    errors: list[tuple[int, str]]
    decode_s: float
    features_s: float
    model_s: float


_worker_model: SoundModel | None = None


def _init_worker(model_path: str) -> None:
    global _worker_model
    _worker_model = SoundModel(Path(model_path), threads=1)


def embed_chunk(model: SoundModel, items: list[tuple[int, str]]) -> ChunkResult:
    """Decode, featurise and embed a chunk of (id, path); one onnxruntime call for all."""
    decode_s = features_s = 0.0
    errors: list[tuple[int, str]] = []
    patches: list[np.ndarray] = []
    owners: list[int] = []
    for track_id, path in items:
        try:
            started = time.perf_counter()
            excerpts = frontend.decode_excerpts(Path(path), n_excerpts=model.excerpts)
            decoded = time.perf_counter()
            decode_s += decoded - started
            track_patches = frontend.patches_from_excerpts(excerpts)
            features_s += time.perf_counter() - decoded
        except frontend.AnalysisError as exc:
            errors.append((track_id, str(exc)))
            continue
        except Exception as exc:  # a decoder bug must not stop the library's analysis
            errors.append((track_id, f"unexpected {type(exc).__name__}: {exc}"))
            continue
        patches.append(track_patches)
        owners.extend([track_id] * len(track_patches))
    vectors: list[tuple[int, np.ndarray]] = []
    started = time.perf_counter()
    if patches:
        embedded = model.embed_patches(np.concatenate(patches))
        owner_ids = np.array(owners)
        for track_id, track_patches in zip(dict.fromkeys(owners), patches, strict=True):
            vector = model.track_vector(track_patches, embedded[owner_ids == track_id])
            if is_storable(vector):
                vectors.append((track_id, vector))
            else:
                errors.append((track_id, "the sound model gave non-finite numbers for it"))
    model_s = time.perf_counter() - started
    return ChunkResult(vectors, errors, decode_s, features_s, model_s)


def _embed_chunk_in_worker(items: list[tuple[int, str]]) -> ChunkResult:
    assert _worker_model is not None, "worker started without a model"
    return embed_chunk(_worker_model, items)


def save_chunk(store: Store, model_version: str, result: ChunkResult) -> None:
    """One transaction per chunk, so an interrupted run keeps every finished chunk."""
    # The last guard before the store: a non-finite vector becomes an error, never a row.
    vectors = [(tid, v) for tid, v in result.vectors if is_storable(v)]
    errors = result.errors + [
        (tid, "the sound model gave non-finite numbers for it")
        for tid, v in result.vectors
        if not is_storable(v)
    ]
    save_embeddings(store, model_version, vectors, errors)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def embed_tracks(
    store: Store,
    model: SoundModel | Path | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    *,
    workers: int | None = None,
    chunk_tracks: int = CHUNK_TRACKS,
    retry_errors: bool = False,
) -> AnalyzeSummary:
    """Embed every present track lacking an embedding for the model's version.

    ``model`` is a loaded SoundModel or a path to one (default: the shipped model); a missing
    or broken file raises ModelError before any work starts. ``workers`` defaults to the number
    of cores given; 0 runs everything in this process (for tests and debugging).
    """
    cancel = cancel or never_cancel
    if not isinstance(model, SoundModel):
        model = SoundModel(Path(model) if model else MODEL_PATH, threads=1)
    todo = tracks_to_embed(store, model.version, retry_errors=retry_errors)
    summary = AnalyzeSummary(model.version)
    state = Progress(done=0, total=len(todo), phase="analysing")
    started = time.perf_counter()
    items = [(tid, path) for tid, path, _ in todo]

    def record(result: ChunkResult) -> None:
        save_chunk(store, model.version, result)
        summary.embedded += len(result.vectors)
        summary.failed += len(result.errors)
        summary.errors.extend(result.errors)
        state.done += len(result.vectors) + len(result.errors)
        if progress:
            progress(state)

    if progress:
        progress(state)
    workers = cores_given() if workers is None else workers
    if workers == 0 or len(items) <= chunk_tracks:
        for chunk in _chunks(items, chunk_tracks):
            if cancel():
                summary.cancelled = True
                break
            record(embed_chunk(model, chunk))
    else:
        # At least four chunks a worker, so a short run does not wait on one worker's last chunk.
        chunk_tracks = max(1, min(chunk_tracks, -(-len(items) // (4 * workers))))
        summary.cancelled = _run_pool(model.path, items, chunk_tracks, workers, record, cancel)
    summary.pending = len(items) - state.done
    summary.seconds = time.perf_counter() - started
    return summary


def _run_pool(model_path, items, chunk_tracks, workers, record, cancel) -> bool:
    """Keep ``2 * workers`` chunks in flight; returns True when cancelled."""
    # Spawned: workers must not inherit onnxruntime or sqlite state from this process.
    chunks = _chunks(items, chunk_tracks)
    with worker_pool(workers, _init_worker, (str(model_path),)) as pool:
        in_flight: set[Future] = set()
        try:
            while True:
                while len(in_flight) < 2 * workers and not cancel():
                    chunk = next(chunks, None)
                    if chunk is None:
                        break
                    in_flight.add(pool.submit(_embed_chunk_in_worker, chunk))
                if not in_flight:
                    return cancel()
                done, in_flight = wait(in_flight, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    record(future.result())
                if cancel():
                    for future in in_flight:
                        future.cancel()
                    for future in in_flight:
                        if not future.cancelled():
                            record(future.result())  # finished work is kept, not thrown away
                    return True
        except BaseException:
            for future in in_flight:
                future.cancel()
            raise
