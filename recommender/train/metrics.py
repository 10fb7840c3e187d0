"""Ranking metrics for "sounds like": each track queries the others, its own soundtrack is
what it should find. Shared by training's probes, the teacher's report and `evaluate sound`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PRECISION_AT = 10


@dataclass
class QueryScores:
    """Average precision and precision@10 of every query, and the query's album."""

    ap: np.ndarray
    p10: np.ndarray
    groups: list[str] = field(default_factory=list)


def query_scores(distances: np.ndarray, groups: list[str]) -> QueryScores:
    """Per-query AP and precision@10, ranking each row's others by distance (stable ties)."""
    labels = np.array(groups)
    aps, precisions, owners = [], [], []
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
        owners.append(str(labels[q]))
    return QueryScores(np.array(aps), np.array(precisions), owners)


def ranking_metrics(distances: np.ndarray, groups: list[str]) -> tuple[float, float, int]:
    """(mAP, precision@10, number of queries) ranking each row's others by distance."""
    scores = query_scores(distances, groups)
    return float(scores.ap.mean()), float(scores.p10.mean()), len(scores.ap)


def cosine_distances(vectors: np.ndarray) -> np.ndarray:
    return 1.0 - vectors @ vectors.T
