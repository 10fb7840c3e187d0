"""Mixes: the library grouped into a handful of named clusters of sound and listening history.

Each track gets one vector: its sound embedding (where there is one) beside a short "history"
vector (a truncated SVD of the item-CF neighbour matrix). Seeded k-means groups them. A name
says what most of the mix is, or says less: a genre is named only when more than half of the
mix's tracks carry it, an artist only when more than half are theirs, or two artists when
together they hold more than half and each at least a quarter (then in alphabetical order, so a
duo never appears both ways round). A mix that nothing dominates is just "Mix", numbered when
there are several. Same data, same mixes: the seed, the initialisation and the order of the
output are all fixed.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

import numpy as np

from recommender.discovery.taste_model import TasteModel

MIX_COUNT = 6
HISTORY_DIM = 16
KMEANS_ITERATIONS = 25
KMEANS_SEED = 20240601
MIX_TRACKS = 50
"""Tracks listed in a mix: the ones nearest its centre, at most MAX_PER_ARTIST_IN_MIX each."""
MAX_PER_ARTIST_IN_MIX = 4
NAMED_SHARE = 0.5
"""A genre or an artist (or a pair of artists) is named only above this share of the mix."""
DUO_MEMBER_SHARE = 0.25
"""Each artist of a named pair holds at least this share of the mix."""


@dataclass(frozen=True)
class Mix:
    name: str
    size: int
    rows: tuple[int, ...]  # the mix's tracks, nearest the centre first (capped, diverse)
    top_artists: tuple[str, ...]
    top_genres: tuple[str, ...]


def history_vectors(model: TasteModel, dim: int = HISTORY_DIM) -> np.ndarray | None:
    """Rows of a randomized truncated SVD of the symmetrised neighbour matrix (None if empty)."""
    s = model.neighbours.matrix
    if s.nnz == 0:
        return None
    s = (s + s.T).tocsr().astype(np.float32)
    rng = np.random.default_rng(KMEANS_SEED)
    k = min(dim, s.shape[0] - 1)
    if k < 2:
        return None
    q = np.linalg.qr(s @ rng.normal(size=(s.shape[0], k + 8)).astype(np.float32))[0]
    for _ in range(2):
        q = np.linalg.qr(s @ q)[0]
    b = (s.T @ q).T  # s is symmetric: this is q.T @ s
    u, sigma, _ = np.linalg.svd(b, full_matrices=False)
    vec = (q @ u[:, :k]) * sigma[:k]
    norms = np.linalg.norm(vec, axis=1, keepdims=True)
    return np.divide(vec, norms, out=np.zeros_like(vec), where=norms > 0).astype(np.float32)


def _kmeans(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded k-means++ then Lloyd iterations; labels renumbered by cluster size (stable)."""
    rng = np.random.default_rng(KMEANS_SEED)
    centres = [x[int(rng.integers(len(x)))]]
    dist = ((x - centres[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        probs = dist / dist.sum() if dist.sum() > 0 else None
        centres.append(x[int(rng.choice(len(x), p=probs))])
        dist = np.minimum(dist, ((x - centres[-1]) ** 2).sum(axis=1))
    c = np.array(centres)
    labels = np.zeros(len(x), dtype=np.int64)
    for _ in range(KMEANS_ITERATIONS):
        d = (x**2).sum(1)[:, None] - 2 * x @ c.T + (c**2).sum(1)[None, :]
        new = d.argmin(axis=1)
        if np.array_equal(new, labels) and _ > 0:
            break
        labels = new
        for j in range(k):
            members = x[labels == j]
            if len(members):
                c[j] = members.mean(axis=0)
    sizes = np.bincount(labels, minlength=k)
    order = np.lexsort((np.arange(k), -sizes))
    remap = np.empty(k, dtype=np.int64)
    remap[order] = np.arange(k)
    return remap[labels], c[order]


def build_mixes(model: TasteModel, artists: list[str], k: int = MIX_COUNT) -> list[Mix]:
    """Up to `k` mixes over the tracks that have sound or history; `artists` are display names
    by row (the model keeps only normalised ones)."""
    return assign_mixes(model, artists, k)[0]


def assign_mixes(
    model: TasteModel, artists: list[str], k: int = MIX_COUNT
) -> tuple[list[Mix], np.ndarray]:
    """The mixes and, for every model row, the index of its mix in that list (-1: in none), so
    a view can colour the whole library by mix, not only each mix's listed tracks."""
    labels_out = np.full(model.n_tracks, -1, dtype=np.int64)
    parts, known = [], np.zeros(model.n_tracks, bool)
    if model.vectors is not None:
        parts.append(model.vectors)
        known |= model.has_vector
    hist = history_vectors(model)
    if hist is not None:
        parts.append(hist)
        known |= np.linalg.norm(hist, axis=1) > 0
    if not parts:  # nothing learned yet: group by genre tag
        return _genre_mixes(model, artists, k, labels_out)
    rows = np.flatnonzero(known)
    if len(rows) < k:
        return [], labels_out
    x = np.hstack([p[rows] for p in parts]).astype(np.float64)
    labels, centres = _kmeans(x, k)
    mixes: list[Mix] = []
    for j in range(k):
        members = rows[labels == j]
        if not len(members):
            continue
        labels_out[members] = len(mixes)
        dist = ((x[labels == j] - centres[j]) ** 2).sum(axis=1)
        ordered = members[np.argsort(dist, kind="stable")]
        mixes.append(_named(model, artists, ordered))
    return _numbered(mixes), labels_out


def _genre_mixes(
    model: TasteModel, artists: list[str], k: int, labels_out: np.ndarray
) -> tuple[list[Mix], np.ndarray]:
    counts = Counter(g for g in model.genres if g)
    mixes: list[Mix] = []
    for genre, _ in counts.most_common(k):
        members = np.array([i for i, g in enumerate(model.genres) if g == genre])
        labels_out[members] = len(mixes)
        mixes.append(_named(model, artists, members))
    return _numbered(mixes), labels_out


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    """Most frequent first; ties in alphabetical order, so the same data names the same way."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))


def mix_name(genres: list[str], artists: list[str]) -> str:
    """A name from the genre and artist of each track of a mix ("" where unknown), by the
    majority rules in the module docstring."""
    size = len(genres)
    genre_counts = _ranked(Counter(g.casefold() for g in genres if g))
    head = ""
    if genre_counts and genre_counts[0][1] > NAMED_SHARE * size:
        head = genre_counts[0][0].title()
    artist_counts = _ranked(Counter(a for a in artists if a))
    named: list[str] = []
    if artist_counts and artist_counts[0][1] > NAMED_SHARE * size:
        named = [artist_counts[0][0]]
    elif len(artist_counts) > 1:
        (a, na), (b, nb) = artist_counts[:2]
        if na + nb > NAMED_SHARE * size and nb >= DUO_MEMBER_SHARE * size:
            named = sorted((a, b), key=str.casefold)
    who = " & ".join(named)
    if named and sum(n for a, n in artist_counts if a in named) < size:
        who += " and more"
    if head and who:
        return f"{head}: {who}"
    return head or who or "Mix"


def _numbered(mixes: list[Mix]) -> list[Mix]:
    """Mixes that got the same name are told apart by a number ("Mix", "Mix 2")."""
    seen: Counter[str] = Counter()
    out = []
    for mix in mixes:
        seen[mix.name] += 1
        n = seen[mix.name]
        out.append(mix if n == 1 else dataclasses.replace(mix, name=f"{mix.name} {n}"))
    return out


def _named(model: TasteModel, artists: list[str], ordered: np.ndarray) -> Mix:
    members = ordered.tolist()
    top_artists = tuple(
        a for a, _ in _ranked(Counter(artists[r] for r in members if artists[r]))[:3]
    )
    top_genres = tuple(
        g.title()
        for g, _ in _ranked(Counter(model.genres[r] for r in members if model.genres[r]))[:2]
    )
    name = mix_name([model.genres[r] for r in members], [artists[r] for r in members])
    per_artist: Counter[int] = Counter()
    picked = []
    for r in ordered.tolist():
        a = int(model.artist_code[r])
        if a >= 0 and per_artist[a] >= MAX_PER_ARTIST_IN_MIX:
            continue
        per_artist[a] += 1
        picked.append(r)
        if len(picked) >= MIX_TRACKS:
            break
    return Mix(name, len(ordered), tuple(picked), top_artists, top_genres)
