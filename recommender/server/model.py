"""Collaborative filtering over many users' listens: item-item cosine neighbours and the
listeners' profiles for user-based CF, in scipy.sparse.

Built once (`build_model` here, or `recommender.server.spark_build` on Apache Spark), saved as one
.npz (`save` / `load_model`) so that every uvicorn worker loads the same read-only model: the
server keeps no state between requests. Both builds write that file through
`model_file.ModelWriter` (this one from whole arrays, the Spark build streaming from its staged
output), so a model built on a cluster is the same file a replica loads.

The model is defined so that it does not depend on the order of the input: items are ordered by
key, listeners by name, ties broken by index, similarities rounded to `SIMILARITY_DECIMALS`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender.core.errors import UsageError
from recommender.library.names import normalise_artist
from recommender.remote.protocol import normalise_artist_title
from recommender.server.listens import Listen, item_key, listen_files, read_listens
from recommender.server.model_file import (
    INDEX_DTYPE,
    OFFSET_DTYPE,
    VALUE_DTYPE,
    ModelWriter,
    content_version,
)
from recommender.server.user_cf import ListenerIndex

MODEL_NAME = "tonearm-itemcf"
MODEL_FORMAT = 2
"""1: item neighbours only; 2: adds the listeners' profiles and item artists (user-based CF)."""
NEIGHBOURS = 50
USER_ITEM_CAP = 500
"""Each listener contributes only their USER_ITEM_CAP most played items. Co-occurrence pairs grow
with the square of a listener's items: one listener with 20,000 distinct items makes 200 million
pairs, as many as a million listeners with 20 items each, and a distributed join spends its time
on that one key. Their 500 most played items say what they like as well as all of them do."""
SIMILARITY_DECIMALS = 6
"""Similarities are rounded before the top-k cut, so equal values stay equal whichever engine
summed them (float sums differ in the last bits with the order of the terms)."""
BLOCK_ITEMS = 2048
SEED_WEIGHT = 1.0
RECENT_WEIGHT = 0.5
GENRE_BOOST = 1.25
CF_MODES = ("item", "user", "blend")
DEFAULT_CF = "user"
"""What `tonearm serve` answers with unless told: the best of item, user and blend on the
held-out evaluation in docs/recommendations.md (`python benchmarks/eval_server_cf.py`)."""


@dataclass(frozen=True)
class Suggestion:
    artist: str
    title: str
    mbid: str | None
    score: float
    reason: str


@dataclass
class ItemModel:
    """Items (keys, display names, genres), their top neighbours, listeners, popularity order."""

    keys: np.ndarray
    artists: np.ndarray
    titles: np.ndarray
    mbids: np.ndarray
    genres: np.ndarray
    neighbours: sp.csr_matrix
    popular: np.ndarray
    version: str
    users: int
    listens: int
    profiles: sp.csr_matrix | None = None  # users x items, log(1 + plays), capped per user
    item_artist: np.ndarray | None = None  # int32 artist number per item
    name: str = MODEL_NAME
    _index: dict[str, int] = field(default_factory=dict, repr=False)
    _listeners: ListenerIndex | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for i, key in enumerate(self.keys.tolist()):
            self._index[key] = i
        for i in range(len(self.keys)):
            self._index.setdefault(
                "name:" + normalise_artist_title(self.artists[i], self.titles[i]), i
            )
        if self.profiles is not None and self.item_artist is not None:
            self._listeners = ListenerIndex.from_profiles(self.profiles, self.item_artist)

    @property
    def size(self) -> int:
        return len(self.keys)

    @property
    def modes(self) -> tuple[str, ...]:
        """The CF modes this model can answer (format 1 files have no listeners' profiles)."""
        return CF_MODES if self._listeners is not None else ("item",)

    def lookup(self, artist: str, title: str, mbid: str | None) -> int | None:
        """The item index for a request's seed: MusicBrainz id first, then the normalised name."""
        if mbid and f"mbid:{mbid}" in self._index:
            return self._index[f"mbid:{mbid}"]
        return self._index.get("name:" + normalise_artist_title(artist, title))

    def recommend(
        self,
        seeds: Sequence[tuple[str, str, str | None]],
        recent: Sequence[tuple[str, str, str | None]] = (),
        genres: Sequence[str] = (),
        k: int = 20,
        cf: str = "item",
    ) -> list[Suggestion]:
        """Scored by `cf` (item neighbours, nearest listeners, or both), popular items fill k."""
        if cf not in CF_MODES:
            raise UsageError(f"unknown CF mode {cf!r}; choose one of {', '.join(CF_MODES)}")
        if cf not in self.modes:
            cf = "item"
        weights: dict[int, float] = {}
        for group, weight in ((seeds, SEED_WEIGHT), (recent, RECENT_WEIGHT)):
            for artist, title, mbid in group:
                index = self.lookup(artist, title, mbid)
                if index is not None:
                    weights[index] = weights.get(index, 0.0) + weight
        wanted = {g.casefold() for g in genres}
        boost = self._genre_boost(wanted)
        out: list[Suggestion] = []
        used = set(weights)
        if weights:
            rows = np.fromiter(weights, dtype=np.int64)
            w = np.fromiter(weights.values(), dtype=np.float64)
            parts = []
            if cf in ("item", "blend"):
                parts.append(self._item_scores(rows, w))
            if cf in ("user", "blend"):
                parts.append(self._user_scores(rows, w))
            scores = sum(p[0] / max(float(p[0].max()), 1e-12) for p in parts) / len(parts)
            scores = scores * boost
            scores[rows] = 0.0
            candidates = np.flatnonzero(scores > 0)
            top = candidates[np.lexsort((candidates, -scores[candidates]))[:k]]
            if len(top):
                reasons = [p[1](top) for p in parts]
                # in a blend, each item's reason comes from the half that scored it higher
                share = np.array([p[0][top] / max(float(p[0].max()), 1e-12) for p in parts])
                pick = np.argmax(share, axis=0)
                for n, item in enumerate(top.tolist()):
                    reason = reasons[int(pick[n])][n]
                    out.append(self._suggestion(item, float(scores[item]), reason))
                    used.add(item)
        if len(out) < k:
            floor = min((s.score for s in out), default=1.0)
            fill = [i for i in self.popular.tolist() if i not in used]
            if wanted:
                fill.sort(key=lambda i: -boost[i])  # stable: popular order within each group
            for rank, item in enumerate(fill[: k - len(out)]):
                score = floor * 0.5 / (rank + 1)
                out.append(self._suggestion(item, score, "popular with listeners"))
        return out

    def _item_scores(self, rows: np.ndarray, w: np.ndarray):
        block = self.neighbours[rows]
        scores = np.asarray(block.T @ w).ravel()

        def reasons(top: np.ndarray) -> list[str]:
            contrib = block[:, top].toarray() * w[:, None]
            best_seed = rows[np.argmax(contrib, axis=0)]
            return [
                f"listeners of {self.artists[s]} – {self.titles[s]} also play it"
                for s in best_seed.tolist()
            ]

        return scores, reasons

    def _user_scores(self, rows: np.ndarray, w: np.ndarray):
        values = np.log1p(w)
        index = self._listeners
        assert index is not None  # callers ask for user-based answers only with an index
        scores, listeners, r = index.scores(rows, values)

        def reasons(top: np.ndarray) -> list[str]:
            return index.reasons(rows, listeners, r, top)

        return scores, reasons

    def _genre_boost(self, wanted: set[str]) -> np.ndarray:
        boost = np.ones(self.size, dtype=np.float64)
        if wanted:
            hits = [i for i, g in enumerate(self.genres.tolist()) if wanted & set(g.split(";"))]
            boost[hits] = GENRE_BOOST
        return boost

    def _suggestion(self, item: int, score: float, reason: str) -> Suggestion:
        mbid = str(self.mbids[item]) or None
        return Suggestion(str(self.artists[item]), str(self.titles[item]), mbid, score, reason)

    def file_arrays(self) -> list[tuple[str, np.ndarray]]:
        """The model as the file's members, in `MEMBERS` order and with its fixed types."""
        n = self.neighbours
        arrays = [
            ("keys", self.keys),
            ("artists", self.artists),
            ("titles", self.titles),
            ("mbids", self.mbids),
            ("genres", self.genres),
            ("popular", self.popular),
        ]
        p, item_artist = self.profiles, self.item_artist
        if p is not None and item_artist is not None:
            arrays.append(("item_artist", item_artist))
        arrays += [
            ("indptr", n.indptr.astype(OFFSET_DTYPE, copy=False)),
            ("indices", n.indices.astype(INDEX_DTYPE, copy=False)),
            ("data", n.data.astype(VALUE_DTYPE, copy=False)),
        ]
        if p is not None and item_artist is not None:
            arrays += [
                ("profile_indptr", p.indptr.astype(OFFSET_DTYPE, copy=False)),
                ("profile_indices", p.indices.astype(INDEX_DTYPE, copy=False)),
                ("profile_data", p.data.astype(VALUE_DTYPE, copy=False)),
            ]
        return arrays

    def save(self, path: Path) -> None:
        """One .npz, no pickles: safe to load in every worker (see `model_file`)."""
        with ModelWriter(Path(path), version_prefix(self.listens)) as writer:
            for name, array in self.file_arrays():
                writer.write(name, array)
            writer.finish(model_meta(self.users, self.listens))


def version_prefix(listens: int) -> str:
    """What the version hashes before the arrays: the build's settings and the listens."""
    return f"{NEIGHBOURS}:{USER_ITEM_CAP}:{listens}"


def model_meta(users: int, listens: int) -> dict[str, object]:
    return {"users": users, "listens": listens, "format": MODEL_FORMAT}


def popular_order(listeners: np.ndarray) -> np.ndarray:
    """Items by distinct listeners, most first; ties to the smaller item (the popularity fill)."""
    n = len(listeners)
    return np.lexsort((np.arange(n), -listeners.astype(np.int64))).astype(np.int32)


def artist_numbers(artist_keys: np.ndarray) -> np.ndarray:
    """Each item's normalised lead artist as a number (equal artists, equal numbers)."""
    _, numbers = np.unique(artist_keys.astype(str), return_inverse=True)
    return numbers.astype(np.int32)


def load_model(path: Path) -> ItemModel:
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the model file {path}: {exc}") from exc
    with z:
        size = len(z["keys"])
        neighbours = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=(size, size))
        meta = json.loads(str(z["meta"]))
        profiles = item_artist = None
        if "profile_indptr" in z.files:
            indptr = z["profile_indptr"]
            profiles = sp.csr_matrix(
                (z["profile_data"], z["profile_indices"], indptr), shape=(len(indptr) - 1, size)
            )
            item_artist = z["item_artist"]
        return ItemModel(
            keys=z["keys"],
            artists=z["artists"],
            titles=z["titles"],
            mbids=z["mbids"],
            genres=z["genres"],
            neighbours=neighbours,
            popular=z["popular"],
            version=meta["version"],
            users=meta["users"],
            listens=meta["listens"],
            profiles=profiles,
            item_artist=item_artist,
        )


# --- building -----------------------------------------------------------------------------------


@dataclass
class ModelParts:
    """What the in-process build computes, before it becomes an `ItemModel`; items in key order."""

    keys: np.ndarray
    artists: np.ndarray
    titles: np.ndarray
    mbids: np.ndarray
    genres: np.ndarray
    artist_keys: np.ndarray  # normalised lead artist of each item's display name
    listeners: np.ndarray  # distinct listeners per item
    neighbour_rows: np.ndarray
    neighbour_cols: np.ndarray
    neighbour_values: np.ndarray
    profile_rows: np.ndarray
    profile_cols: np.ndarray
    profile_values: np.ndarray
    users: int
    listens: int


def assemble_model(parts: ModelParts) -> ItemModel:
    """The servable model; its version is a hash of its content, so equal models share it."""
    n = len(parts.keys)
    neighbours = sp.csr_matrix(
        (parts.neighbour_values.astype(np.float32), (parts.neighbour_rows, parts.neighbour_cols)),
        shape=(n, n),
    )
    neighbours.sort_indices()
    profiles = sp.csr_matrix(
        (parts.profile_values.astype(np.float32), (parts.profile_rows, parts.profile_cols)),
        shape=(parts.users, n),
    )
    profiles.sort_indices()
    model = ItemModel(
        keys=parts.keys.astype(str),
        artists=parts.artists.astype(str),
        titles=parts.titles.astype(str),
        mbids=parts.mbids.astype(str),
        genres=parts.genres.astype(str),
        neighbours=neighbours,
        popular=popular_order(parts.listeners),
        version="",
        users=parts.users,
        listens=parts.listens,
        profiles=profiles,
        item_artist=artist_numbers(parts.artist_keys),
    )
    model.version = content_version(version_prefix(parts.listens), model.file_arrays())
    return model


def top_k_per_row(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k largest values of each row; ties go to the smaller column (order-independent)."""
    order = np.lexsort((cols, -values, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    rank = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
    keep = rank < k
    return rows[keep], cols[keep], values[keep]


def cap_user_items(counts: sp.csr_matrix, cap: int) -> sp.csr_matrix:
    """Each row's `cap` largest counts (ties to the smaller item), the rest dropped."""
    coo = counts.tocoo()
    r, c, v = top_k_per_row(coo.row, coo.col, coo.data, cap)
    return sp.csr_matrix((v, (r, c)), shape=counts.shape)


def build_model(
    listens: Iterable[Listen], *, neighbours: int = NEIGHBOURS, user_item_cap: int = USER_ITEM_CAP
) -> ItemModel:
    """In-process build: users x items of log(1 + plays), cosine between items, top-k kept."""
    rows = list(listens)
    if not rows:
        raise UsageError("the listens have no usable listens (each needs artist and title)")
    names: dict[tuple[str, str], str] = {}  # listens repeat: normalise each spelling once
    for listen in rows:
        pair = (listen.artist, listen.title)
        if pair not in names:
            names[pair] = normalise_artist_title(*pair)
    mbid_by_name: dict[str, str] = {}
    for listen in rows:
        if listen.mbid:
            name = names[listen.artist, listen.title]
            known = mbid_by_name.get(name)
            if known is None or listen.mbid < known:
                mbid_by_name[name] = listen.mbid
    listen_keys = [item_key(x, mbid_by_name, names[x.artist, x.title]) for x in rows]
    spellings = Counter((key, x.artist, x.title) for key, x in zip(listen_keys, rows, strict=True))
    display: dict[str, tuple[int, str, str]] = {}
    for (key, artist, title), count in spellings.items():
        best = display.get(key)
        # the most played spelling names the item; equal counts: the smallest (artist, title)
        if best is None or (-count, artist, title) < (-best[0], best[1], best[2]):
            display[key] = (count, artist, title)
    keys = sorted(display)
    item_ids = {key: i for i, key in enumerate(keys)}
    genres: list[set[str]] = [set() for _ in keys]
    for key, listen in zip(listen_keys, rows, strict=True):
        if listen.genres:
            genres[item_ids[key]].update(listen.genres)
    user_names = sorted({x.user for x in rows})
    user_ids = {u: i for i, u in enumerate(user_names)}
    u_idx = np.fromiter((user_ids[x.user] for x in rows), dtype=np.int64, count=len(rows))
    i_idx = np.fromiter((item_ids[k] for k in listen_keys), dtype=np.int64, count=len(rows))
    counts = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float64), (u_idx, i_idx)),
        shape=(len(user_names), len(keys)),
    )
    counts.sum_duplicates()
    listeners = np.diff(sp.csc_matrix(counts).indptr)
    capped = cap_user_items(counts, user_item_cap)
    profile = capped.copy()
    profile.data = np.log1p(profile.data)
    nr, nc, nv = item_neighbours(profile, neighbours)
    coo = profile.tocoo()
    artists = np.array([display[k][1] for k in keys])
    titles = np.array([display[k][2] for k in keys])
    return assemble_model(
        ModelParts(
            keys=np.array(keys),
            artists=artists,
            titles=titles,
            mbids=np.array([k[5:] if k.startswith("mbid:") else "" for k in keys]),
            genres=np.array([";".join(sorted(g)) for g in genres]),
            artist_keys=np.array([normalise_artist(a) for a in artists.tolist()]),
            listeners=listeners,
            neighbour_rows=nr,
            neighbour_cols=nc,
            neighbour_values=nv,
            profile_rows=coo.row,
            profile_cols=coo.col,
            profile_values=coo.data,
            users=len(user_names),
            listens=len(rows),
        )
    )


def item_neighbours(
    profile: sp.csr_matrix, k: int = NEIGHBOURS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(item, neighbour, cosine) triples: the k best of each item, by blocks of BLOCK_ITEMS."""
    norms = np.sqrt(np.asarray(profile.multiply(profile).sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    x = sp.csc_matrix(profile.multiply(1.0 / norms[None, :]))
    xt = x.T.tocsr()
    out_r, out_c, out_v = [], [], []
    for start in range(0, x.shape[1], BLOCK_ITEMS):
        r, c, v = block_neighbours(xt[start : start + BLOCK_ITEMS] @ x, start, k)
        out_r.append(r)
        out_c.append(c)
        out_v.append(v)
    return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_v)


def block_neighbours(
    sim: sp.spmatrix, start: int, k: int = NEIGHBOURS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k best neighbours of items start.. from their rows of summed cosine products.

    One rule for both builds (the Spark build sums the same rows from partial products): round,
    drop the item itself and non-positive values, then `top_k_per_row`."""
    coo = sp.coo_matrix(sim)
    row = coo.row.astype(np.int64) + start
    value = np.round(coo.data, SIMILARITY_DECIMALS)
    keep = (row != coo.col) & (value > 0)  # an item is not its own neighbour
    return top_k_per_row(row[keep], coo.col[keep].astype(np.int64), value[keep], k)


def build_model_from_files(
    paths: Sequence[str | Path], *, neighbours: int = NEIGHBOURS
) -> ItemModel:
    """Read every listens file (files, folders, globs, archives) and build the model here."""
    return build_model(read_listens(listen_files(paths)), neighbours=neighbours)
