"""Local recommendations: item-CF over the recent history blended with sound similarity.

`recommend(store, n=20)` is what the CLI, the GUI and the remote client's fallback call. The
score of a track is a weighted sum of (1) item-CF: how strongly the tracks played lately
co-occur with it in sessions, skips counting against; (2) sound: cosine to the recency-weighted
centroid of what was enjoyed lately; (3) a little library popularity. CF weighs in by how much
of the recent history it knows, so a new user or an unplayed library leans on sound. Then
diversity: an artist cap, one entry per recording, nothing dismissed, nothing skipped
repeatedly of late, nothing played in the last days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.discovery.item_cf import PlayArrays
from recommender.discovery.recommendation import SOURCE_LOCAL, Recommendation
from recommender.discovery.taste_model import REPEATED_SKIPS, TasteModel, load_taste_model
from recommender.history.plays import dismiss_track, undismiss_track
from recommender.library.store import Store
from recommender.library.tracks import artist_and_title
from recommender.sound.similarity import closeness_label, percentiles

PROFILE_PLAYS = 300
"""How many of the latest plays describe "what you listen to now"."""
PROFILE_HALF_LIFE_S = 60 * 86400.0
"""Within those plays, one two months old counts half (60 days beat 14 and matched 365 on the
simulator; the PROFILE_PLAYS cap keeps it about now for anyone who listens daily)."""
RECENTLY_PLAYED_S = 3 * 86400.0
"""A track played (not skipped) this recently is not suggested again."""
MAX_PER_ARTIST = 3
DUPLICATE_COSINE = 0.9995
UNDERPLAYED_PENALTY = 0.15
"""Score divided by 1 + this x log(1 + plays): favours the unplayed and under-played."""
SKIP_SOUND_WEIGHT = 0.5
TASTE_CENTRES = 4
TASTE_CENTRE_SPLIT_COSINE = 0.5
"""A liked track this far (cosine below) from every centre so far starts a new one."""


@dataclass(frozen=True)
class BlendWeights:
    """Tuned on the simulator (seed 0; see `recommender.evaluate.history`): popularity in the
    listener's own library helps more than one expects, sound a little on top of CF."""

    cf: float = 1.0
    sound: float = 0.25
    popularity: float = 0.4


@dataclass
class Scores:
    """Per-row scores of every track for one profile, and the parts they came from."""

    total: np.ndarray
    cf: np.ndarray
    sound: np.ndarray
    cf_confidence: float


def profile_from_plays(
    plays: PlayArrays, now: float, *, limit: int = PROFILE_PLAYS
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, weights) of the latest plays: enjoyed tracks positive, skipped ones negative."""
    if len(plays) == 0:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    if plays.time_ordered:
        latest = np.arange(max(0, len(plays) - limit), len(plays))
    else:
        latest = np.argsort(plays.started_at, kind="stable")[-limit:]
    base = np.where(plays.skipped[latest], -1.0, np.where(plays.completed[latest], 1.0, 0.5))
    decay = np.exp2(-np.maximum(now - plays.started_at[latest], 0) / PROFILE_HALF_LIFE_S)
    rows, inverse = np.unique(plays.item[latest], return_inverse=True)
    weights = np.bincount(inverse, weights=base * decay, minlength=len(rows))
    keep = weights != 0
    return rows[keep].astype(np.int64), weights[keep].astype(np.float32)


def profile_from_history(model: TasteModel) -> tuple[np.ndarray, np.ndarray]:
    """The library owner's profile: their latest plays as of the model's `now` (kept with the
    model until it learns of a new play)."""
    if "profile" not in model.derived:
        model.derived["profile"] = profile_from_plays(model.plays, model.now)
    return model.derived["profile"]


def score_tracks(
    model: TasteModel,
    rows: np.ndarray,
    weights: np.ndarray,
    blend: BlendWeights = BlendWeights(),
) -> Scores:
    """Blend CF, sound and popularity for a profile; rows with no evidence score about 0."""
    n = model.n_tracks
    nb = model.neighbours
    cf = nb.score(rows, weights) if len(rows) else np.zeros(n, np.float32)
    known = np.diff(nb.matrix.indptr)[rows] > 0 if len(rows) else np.zeros(0, bool)
    positive = np.clip(weights, 0, None)
    cf_conf = float(positive[known].sum() / positive.sum()) if positive.sum() > 0 else 0.0
    cf_top = float(cf.max()) if n else 0.0
    cf_norm = cf / cf_top if cf_top > 0 else np.zeros(n, np.float32)

    sound = np.zeros(n, np.float32)
    if model.vectors is not None and len(rows):
        sound = _sound_scores(model, rows, weights)
    pop = np.log1p(model.play_count)
    pop_norm = pop / pop.max() if pop.max() > 0 else pop
    total = blend.cf * cf_conf * cf_norm + blend.sound * sound + blend.popularity * pop_norm
    return Scores(total.astype(np.float32), cf_norm.astype(np.float32), sound, cf_conf)


def _sound_scores(model: TasteModel, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Closeness to what was enjoyed lately, by sound: the best cosine to a few "taste centres"
    (weighted k-means of the enjoyed tracks, so two moods do not average into neither), minus
    half the cosine to the skipped ones; rescaled so the library's average track scores 0."""
    has = model.has_vector[rows]
    out = np.zeros(model.n_tracks, np.float32)
    pos = has & (weights > 0)
    vectors = model.vectors
    if vectors is None or not pos.any():
        return out
    centres, shares = _taste_centres(vectors[rows[pos]], weights[pos])
    sims = (vectors @ centres.T) * np.sqrt(shares / shares.max())[None, :]
    sims = sims.max(axis=1)
    neg = has & (weights < 0)
    if neg.any():
        skipped = (-weights[neg, None] * vectors[rows[neg]]).sum(axis=0)
        skipped /= max(float(np.linalg.norm(skipped)), 1e-9)
        sims = sims - SKIP_SOUND_WEIGHT * np.clip(vectors @ skipped, 0, None)
    valid = model.has_vector
    mean = float(sims[valid].mean())
    top = float(sims[valid].max())
    out[valid] = np.clip((sims[valid] - mean) / max(top - mean, 1e-9), 0, None)
    return out


def _taste_centres(vectors: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Up to TASTE_CENTRES unit centres of weighted vectors (spherical k-means, deterministic
    start from the heaviest tracks) and the share of weight behind each."""
    k = min(TASTE_CENTRES, len(vectors))
    order = np.argsort(-weights, kind="stable")
    centres = [vectors[order[0]]]
    for i in order[1:].tolist():  # farthest-first among the heavy tracks
        if len(centres) >= k:
            break
        if float(np.max(np.array(centres) @ vectors[i])) < TASTE_CENTRE_SPLIT_COSINE:
            centres.append(vectors[i])
    c = np.array(centres)
    for _ in range(5):
        labels = np.argmax(vectors @ c.T, axis=1)
        for j in range(len(c)):
            m = labels == j
            if m.any():
                v = (weights[m, None] * vectors[m]).sum(axis=0)
                c[j] = v / max(float(np.linalg.norm(v)), 1e-9)
    labels = np.argmax(vectors @ c.T, axis=1)
    shares = np.bincount(labels, weights=weights, minlength=len(c)) / weights.sum()
    return c.astype(np.float32), np.maximum(shares, 1e-6)


def pick_diverse(
    model: TasteModel,
    ranked: np.ndarray,
    n: int,
    *,
    max_per_artist: int = MAX_PER_ARTIST,
    taken_keys: set[str] | None = None,
) -> list[int]:
    """The first `n` rows of `ranked` that keep the artist cap and add no duplicate recording
    (same normalised artist and title, or a near-identical sound vector)."""
    per_artist: dict[int, int] = {}
    keys = set(taken_keys or ())
    picked: list[int] = []
    for row in ranked.tolist():
        artist = int(model.artist_code[row])
        if artist >= 0 and per_artist.get(artist, 0) >= max_per_artist:
            continue
        key = model.recording_keys[row]
        if key and key in keys:
            continue
        if (
            model.vectors is not None
            and picked
            and model.has_vector[row]
            and float(np.max(model.vectors[picked] @ model.vectors[row])) >= DUPLICATE_COSINE
        ):
            continue
        picked.append(row)
        if key:
            keys.add(key)
        if artist >= 0:
            per_artist[artist] = per_artist.get(artist, 0) + 1
        if len(picked) >= n:
            break
    return picked


def recommend(
    store: Store,
    n: int = 20,
    *,
    model: TasteModel | None = None,
    max_per_artist: int = MAX_PER_ARTIST,
    blend: BlendWeights = BlendWeights(),
    explain: bool = True,
) -> list[Recommendation]:
    """Up to `n` tracks to play next, each with its reasons; pass a kept `model` to answer fast."""
    model = model if model is not None else load_taste_model(store)
    if model.n_tracks == 0:
        return []
    rows, weights = profile_from_history(model)
    key = ("scores", blend)
    if key not in model.derived:
        model.derived[key] = score_tracks(model, rows, weights, blend)
    scores = model.derived[key]
    total = scores.total / (1.0 + UNDERPLAYED_PENALTY * np.log1p(model.play_count))
    blocked = _blocked(model)
    no_evidence = not (total[~blocked] > 0).any()
    if no_evidence:  # a new library: newest first, so the first answer is at least fresh
        total = (np.arange(model.n_tracks, dtype=np.float32) + 1) / model.n_tracks * 1e-3
    total = np.where(blocked, -np.inf, total)
    depth = min(model.n_tracks, max(n * 20, 200))
    top = (
        np.argpartition(-total, depth - 1)[:depth]
        if depth < model.n_tracks
        else np.arange(model.n_tracks)
    )
    ranked = top[np.argsort(-total[top], kind="stable")]
    ranked = ranked[np.isfinite(total[ranked])]
    # other copies (live albums, compilations) of what was played lately count as played
    recent_keys = {model.recording_keys[r] for r in _played_recently(model).tolist()} - {""}
    cap = 1 if no_evidence else max_per_artist  # nothing known yet: show the library's breadth
    picked = pick_diverse(model, ranked, n, max_per_artist=cap, taken_keys=recent_keys)
    reasons = _reasons(model, store, picked, rows, weights, scores, no_evidence) if explain else {}
    tracks = model.tracks(picked, store)
    out = []
    for row in picked:
        track = tracks.get(row)
        if track is None:
            continue
        out.append(
            Recommendation(
                score=float(total[row]),
                reasons=tuple(reasons.get(row, ())),
                track=track,
                artist=track.artist,
                title=track.title,
                mb_recording_id=track.mb_recording_id,
                source=SOURCE_LOCAL,
                extra={
                    "cf": round(float(scores.cf[row]), 4),
                    "sound": round(float(scores.sound[row]), 4),
                },
            )
        )
    return out


def dismiss(store: Store, track_id: int, *, undo: bool = False) -> None:
    """ "Not for me": never suggest this track again (or, with `undo`, allow it again)."""
    if undo:
        undismiss_track(store, track_id)
    else:
        dismiss_track(store, track_id)


def _played_recently(model: TasteModel) -> np.ndarray:
    p = model.plays
    recent = (~p.skipped) & (p.started_at >= model.now - RECENTLY_PLAYED_S)
    return np.unique(p.item[recent])


def _blocked(model: TasteModel) -> np.ndarray:
    """Dismissed, skipped repeatedly of late, or played in the last days."""
    blocked = model.excluded.copy()
    blocked |= model.recent_skips >= REPEATED_SKIPS
    blocked[_played_recently(model)] = True
    return blocked


def _reasons(
    model: TasteModel,
    store: Store,
    picked: list[int],
    rows: np.ndarray,
    weights: np.ndarray,
    scores: Scores,
    no_evidence: bool,
) -> dict[int, list[str]]:
    """Name the played track behind each pick: the strongest co-play and the closest sound."""
    if not picked:
        return {}
    if no_evidence:
        return {r: ["new in your library"] for r in picked}
    liked = rows[weights > 0]
    liked_w = weights[weights > 0]
    out: dict[int, list[str]] = {r: [] for r in picked}
    names: dict[int, str] = {}
    cf_from: dict[int, int] = {}
    sound_from: dict[int, tuple[int, float]] = {}
    if len(liked):
        contrib = model.neighbours.matrix[liked][:, picked].toarray() * liked_w[:, None]
        for j, row in enumerate(picked):
            if contrib[:, j].max() > 0:
                cf_from[row] = int(liked[int(np.argmax(contrib[:, j]))])
        if model.vectors is not None:
            liked_v = liked[model.has_vector[liked]]
            if len(liked_v):
                sims = model.vectors[picked] @ model.vectors[liked_v].T
                sims[np.array(picked)[:, None] == liked_v[None, :]] = -np.inf  # not itself
                for j, row in enumerate(picked):
                    if model.has_vector[row] and np.isfinite(sims[j]).any():
                        best = int(np.argmax(sims[j]))
                        sound_from[row] = (int(liked_v[best]), float(sims[j, best]))
    wanted = set(cf_from.values()) | {r for r, _ in sound_from.values()}
    for row, track in model.tracks(sorted(wanted), store).items():
        names[row] = artist_and_title(track)
    for row in picked:
        if row in cf_from and scores.cf[row] > 0:
            out[row].append(f"because you played {names[cf_from[row]]} (often together)")
        if row in sound_from and scores.sound[row] > 0:
            src, sim = sound_from[row]
            # "top 2 %": closer than all but that share of the library's pairs (a raw
            # cosine of 0.9 can be close or merely the least unrelated)
            close = closeness_label(float(percentiles(sim, model.sound_quantiles())))
            out[row].append(f"sounds like {names[src]} ({close})")
        if not out[row]:
            out[row].append("popular in your library" if model.play_count[row] else "new to you")
    return out
