"""The sound evaluation's metrics and baseline distance, on cases worked out by hand."""

import numpy as np
import pytest

from recommender.evaluate.sound import ranking_metrics, symmetric_kl


def test_perfect_ranking_scores_one() -> None:
    groups = ["a", "a", "b", "b"]
    same = np.array([[g == h for h in groups] for g in groups])
    mean_ap, p10, queries = ranking_metrics(np.where(same, 0.1, 1.0), groups)
    assert mean_ap == 1.0 and queries == 4
    # Only 3 others to rank: precision over those 3 (over 10 once the corpus is big enough).
    assert p10 == pytest.approx(1 / 3)


def test_average_precision_counts_rank_of_each_relevant_item() -> None:
    # Query 0's relevant items (1 and 2) come at ranks 2 and 3: AP = (1/2 + 2/3) / 2.
    distances = np.array([[0, 2, 3, 1], [9, 0, 9, 9], [9, 9, 0, 9], [9, 9, 9, 0]], dtype=float)
    groups = ["a", "a", "a", "b"]
    mean_ap, _, queries = ranking_metrics(distances, groups)
    assert queries == 3  # the lone "b" has nothing to find
    # Queries 1 and 2 tie everything at 9; the stable sort keeps id order.
    ap0 = (1 / 2 + 2 / 3) / 2
    ap1 = (1 / 1 + 2 / 2) / 2  # order 0, 2, 3
    ap2 = (1 / 1 + 2 / 2) / 2  # order 0, 1, 3
    assert mean_ap == pytest.approx((ap0 + ap1 + ap2) / 3)


def test_symmetric_kl_is_zero_for_identical_and_grows_with_distance() -> None:
    means = np.array([[0.0, 0.0], [0.0, 0.0], [3.0, 0.0]])
    covs = np.stack([np.eye(2), np.eye(2), np.eye(2)])
    d = symmetric_kl(means, covs)
    assert d[0, 1] == pytest.approx(0.0, abs=1e-9)
    assert d[0, 2] == pytest.approx(9.0)  # 0.5 * (2 + 2 + 3^2 * 2) - 2
    np.testing.assert_allclose(d, d.T)
