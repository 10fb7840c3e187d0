"""Generated playlists: a smooth "flow" around seeds, or a "path" from the first seed to the last.

Flow: the seeds are spread through the list; each step picks the track that best balances
closeness to the track before it and to the seeds (and to the next seed coming up). Path: each
step aims at a point that slides from one seed to the next (as Plexamp's Sonic Adventure does),
while staying close to the previous track. Both keep an artist cap during the walk, never two
by one artist back to back unless nothing else fits, no seed twice and no recording twice.
"""

from __future__ import annotations

import numpy as np

from recommender.core.errors import UsageError
from recommender.discovery.closeness import candidate_pool, closeness
from recommender.discovery.taste_model import REPEATED_SKIPS, TasteModel

MODES = ("flow", "path")
PREVIOUS_WEIGHT = {"flow": 0.45, "path": 0.35}
BACK_TO_BACK_PENALTY = 0.5


def artist_cap(length: int) -> int:
    """At most this many tracks by one artist: a tenth of the list, at least two."""
    return max(2, length // 10)


def generate_playlist(
    model: TasteModel, seeds: list[int], length: int, *, mode: str = "flow"
) -> list[int]:
    """Rows of a playlist of `length` tracks (fewer if the library is smaller), seeds included."""
    if mode not in MODES:
        raise UsageError(f'unknown playlist mode "{mode}": choose flow or path')
    seed_rows = list(dict.fromkeys(seeds))
    if not seed_rows:
        raise UsageError("give at least one seed track")
    if mode == "path" and len(seed_rows) < 2:
        raise UsageError("path mode goes from the first seed to the last: give two seeds or more")
    length = max(length, len(seed_rows))
    seed_arr = np.array(seed_rows, dtype=np.int64)
    pool = candidate_pool(model, seed_arr, depth=max(1, length // 50 + 1))
    pool = pool[~model.excluded[pool] & (model.recent_skips[pool] < REPEATED_SKIPS)]
    pool = pool[~np.isin(pool, seed_arr)]
    # Where each seed goes: spread evenly (flow), or first and last at the ends (path).
    slots = np.linspace(0, length - 1, len(seed_rows)).round().astype(int)
    if mode == "flow" and len(seed_rows) > 1:
        slots = (np.arange(len(seed_rows)) * length) // len(seed_rows)
    seed_at = dict(zip(slots.tolist(), seed_rows, strict=True))
    to_seeds = closeness(model, seed_arr, pool)
    to_each = [closeness(model, np.array([s]), pool) for s in seed_rows]
    cap = artist_cap(length)
    used = np.zeros(len(pool), bool)
    keys = {model.recording_keys[s] for s in seed_rows} - {""}
    per_artist: dict[int, int] = {}
    for s in seed_rows:
        a = int(model.artist_code[s])
        per_artist[a] = per_artist.get(a, 0) + 1
    out: list[int] = []
    weight_prev = PREVIOUS_WEIGHT[mode]
    for pos in range(length):
        if pos in seed_at:
            out.append(seed_at[pos])
            continue
        prev = out[-1] if out else seed_rows[0]
        near_prev = closeness(model, np.array([prev]), pool)
        before = max((p for p in seed_at if p < pos), default=None)
        after = min((p for p in seed_at if p > pos), default=None)
        if mode == "path" and before is not None and after is not None:
            t = (pos - before) / (after - before)
            i_before = seed_rows.index(seed_at[before])
            i_after = seed_rows.index(seed_at[after])
            aim = (1 - t) * to_each[i_before] + t * to_each[i_after]
        else:
            aim = to_seeds.copy()
            if after is not None:  # lean towards the seed coming up
                aim = 0.5 * aim + 0.5 * to_each[seed_rows.index(seed_at[after])]
        score = (1 - weight_prev) * aim + weight_prev * near_prev
        prev_artist = int(model.artist_code[prev])
        artists = model.artist_code[pool]
        score = score - BACK_TO_BACK_PENALTY * ((artists == prev_artist) & (prev_artist >= 0))
        row = _best(model, pool, score, used, keys, per_artist, cap)
        if row is None:
            continue
        out.append(row)
        a = int(model.artist_code[row])
        per_artist[a] = per_artist.get(a, 0) + 1
        if model.recording_keys[row]:
            keys.add(model.recording_keys[row])
    return out


def _best(model, pool, score, used, keys, per_artist, cap) -> int | None:
    order = np.argsort(-np.where(used, -np.inf, score), kind="stable")
    for i in order.tolist():
        if used[i]:
            return None
        row = int(pool[i])
        a = int(model.artist_code[row])
        if a >= 0 and per_artist.get(a, 0) >= cap:
            continue
        if model.recording_keys[row] and model.recording_keys[row] in keys:
            used[i] = True
            continue
        used[i] = True
        return row
    return None
