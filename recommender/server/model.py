"""Item-item collaborative filtering over many users' listens: cosine neighbours in scipy.sparse.

Built once (`build_model`), saved as one .npz (`save` / `load_model`) so that every uvicorn
worker loads the same read-only model: the server keeps no state between requests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender.core.errors import UsageError
from recommender.remote.protocol import normalise_artist_title
from recommender.server.listens import Listen, item_key, read_listens

MODEL_NAME = "tonearm-itemcf"
NEIGHBOURS = 50
BLOCK_ITEMS = 2048
SEED_WEIGHT = 1.0
RECENT_WEIGHT = 0.5
GENRE_BOOST = 1.25


@dataclass(frozen=True)
class Suggestion:
    artist: str
    title: str
    mbid: str | None
    score: float
    reason: str


@dataclass
class ItemModel:
    """Items (keys, display names, genres), their top neighbours, and popularity order."""

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
    name: str = MODEL_NAME
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for i, key in enumerate(self.keys.tolist()):
            self._index[key] = i
            self._index.setdefault(
                "name:" + normalise_artist_title(self.artists[i], self.titles[i]), i
            )

    @property
    def size(self) -> int:
        return len(self.keys)

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
    ) -> list[Suggestion]:
        """Neighbours of the seeds (recent listens count half), then popular items to fill k."""
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
            w = np.fromiter(weights.values(), dtype=np.float32)
            block = self.neighbours[rows]
            scores = np.asarray(block.T @ w).ravel() * boost
            scores[rows] = 0.0
            candidates = np.flatnonzero(scores > 0)
            top = candidates[np.argsort(-scores[candidates], kind="stable")[:k]]
            if len(top):
                contrib = block[:, top].toarray() * w[:, None]
                best_seed = rows[np.argmax(contrib, axis=0)]
                for item, seed in zip(top.tolist(), best_seed.tolist(), strict=True):
                    reason = f"listeners of {self.artists[seed]} – {self.titles[seed]} also play it"
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

    def _genre_boost(self, wanted: set[str]) -> np.ndarray:
        boost = np.ones(self.size, dtype=np.float32)
        if wanted:
            hits = [i for i, g in enumerate(self.genres.tolist()) if wanted & set(g.split(";"))]
            boost[hits] = GENRE_BOOST
        return boost

    def _suggestion(self, item: int, score: float, reason: str) -> Suggestion:
        mbid = str(self.mbids[item]) or None
        return Suggestion(str(self.artists[item]), str(self.titles[item]), mbid, score, reason)

    def save(self, path: Path) -> None:
        """One .npz, no pickles: safe to load in every worker."""
        n = self.neighbours
        meta = {"version": self.version, "users": self.users, "listens": self.listens}
        with path.open("wb") as fh:
            np.savez(
                fh,
                keys=self.keys,
                artists=self.artists,
                titles=self.titles,
                mbids=self.mbids,
                genres=self.genres,
                indptr=n.indptr,
                indices=n.indices,
                data=n.data,
                popular=self.popular,
                meta=np.array(json.dumps(meta)),
            )


def load_model(path: Path) -> ItemModel:
    with np.load(path, allow_pickle=False) as z:
        size = len(z["keys"])
        neighbours = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=(size, size))
        meta = json.loads(str(z["meta"]))
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
        )


def _top_k_rows(sim: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the k largest entries of each row."""
    indptr = [0]
    indices: list[np.ndarray] = []
    data: list[np.ndarray] = []
    for row in range(sim.shape[0]):
        start, end = sim.indptr[row], sim.indptr[row + 1]
        cols, vals = sim.indices[start:end], sim.data[start:end]
        if len(vals) > k:
            keep = np.argpartition(-vals, k)[:k]
            cols, vals = cols[keep], vals[keep]
        indices.append(cols)
        data.append(vals)
        indptr.append(indptr[-1] + len(cols))
    return sp.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.array(indptr)), shape=sim.shape
    )


def build_model(
    listens: Iterable[Listen], *, neighbours: int = NEIGHBOURS, version_seed: str = ""
) -> ItemModel:
    """Users x items matrix (log of play counts), L2-normalised items, cosine top-k neighbours."""
    rows = list(listens)
    if not rows:
        raise UsageError("the listens file has no usable listens (each needs artist and title)")
    names: dict[tuple[str, str], str] = {}  # listens repeat: normalise each spelling once
    for listen in rows:
        pair = (listen.artist, listen.title)
        if pair not in names:
            names[pair] = normalise_artist_title(*pair)
    mbid_by_name: dict[str, str] = {}
    for listen in rows:
        if listen.mbid:
            mbid_by_name.setdefault(names[listen.artist, listen.title], listen.mbid)
    item_ids: dict[str, int] = {}
    user_ids: dict[str, int] = {}
    artists: list[str] = []
    titles: list[str] = []
    mbids: list[str] = []
    genres: list[set[str]] = []
    u_idx = np.empty(len(rows), dtype=np.int32)
    i_idx = np.empty(len(rows), dtype=np.int32)
    for n, listen in enumerate(rows):
        key = item_key(listen, mbid_by_name, names[listen.artist, listen.title])
        item = item_ids.get(key)
        if item is None:
            item = item_ids[key] = len(item_ids)
            artists.append(listen.artist)
            titles.append(listen.title)
            mbids.append(key[5:] if key.startswith("mbid:") else "")
            genres.append(set())
        genres[item].update(listen.genres)
        u_idx[n] = user_ids.setdefault(listen.user, len(user_ids))
        i_idx[n] = item
    counts = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (u_idx, i_idx)),
        shape=(len(user_ids), len(item_ids)),
    )
    counts.sum_duplicates()
    counts.data = np.log1p(counts.data).astype(np.float32)
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    x = sp.csc_matrix(counts.multiply(1.0 / norms[None, :]).astype(np.float32))
    xt = x.T.tocsr()
    blocks = []
    for start in range(0, x.shape[1], BLOCK_ITEMS):
        sim = (xt[start : start + BLOCK_ITEMS] @ x).tocoo()
        keep = sim.row + start != sim.col  # an item is not its own neighbour
        sim = sp.csr_matrix((sim.data[keep], (sim.row[keep], sim.col[keep])), shape=sim.shape)
        blocks.append(_top_k_rows(sim, neighbours))
    neighbour_matrix = sp.vstack(blocks).tocsr().astype(np.float32)
    listeners = np.diff(sp.csc_matrix(counts).indptr)
    popular = np.argsort(-listeners, kind="stable")
    digest = hashlib.sha1(version_seed.encode() + str(neighbours).encode())
    digest.update(np.ascontiguousarray(i_idx).tobytes())
    return ItemModel(
        keys=np.array(list(item_ids)),
        artists=np.array(artists),
        titles=np.array(titles),
        mbids=np.array(mbids),
        genres=np.array([";".join(sorted(g)) for g in genres]),
        neighbours=neighbour_matrix,
        popular=popular.astype(np.int32),
        version=digest.hexdigest()[:12],
        users=len(user_ids),
        listens=len(rows),
    )


def build_model_from_files(paths: Sequence[Path], *, neighbours: int = NEIGHBOURS) -> ItemModel:
    """Read every listens file and build the model; the version depends on the files' bytes."""
    digest = hashlib.sha1()
    listens = list(read_listens(paths, digest))
    return build_model(listens, neighbours=neighbours, version_seed=digest.hexdigest())
