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


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_more_queries() -> None:
    from recommender.evaluate.sound import bootstrap_interval

    rng = np.random.default_rng(0)
    few, many = rng.random(20), rng.random(2000)
    low, high = bootstrap_interval(few)
    assert low < few.mean() < high
    low_many, high_many = bootstrap_interval(many)
    assert low_many < many.mean() < high_many
    assert high_many - low_many < (high - low) / 4


def test_summary_reports_each_album_and_a_paired_difference() -> None:
    from recommender.evaluate.sound import paired_difference, query_scores, summarise

    groups = ["a"] * 3 + ["b"] * 3
    same = np.array([[g == h for h in groups] for g in groups])
    perfect = query_scores(np.where(same, 0.1, 1.0), groups)
    # album b ranked worst-first: its tracks find album a before each other
    flipped = np.where(same, 0.1, 1.0)
    flipped[3:, :] = np.where(same[3:, :], 1.0, 0.1)
    worse = query_scores(flipped, groups)
    summary = summarise(worse)
    assert summary["per_group"]["a"]["mAP"] == 1.0
    assert summary["per_group"]["b"]["mAP"] < 0.5 and summary["per_group"]["b"]["queries"] == 3
    difference = paired_difference(perfect, worse)
    assert difference["mAP"] > 0 and difference["mAP_95"][0] >= 0


def test_a_split_the_model_learnt_from_is_marked_as_not_held_out(tmp_path) -> None:
    """A refit model trained on validation too: its validation row must say it heard it."""
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    import soundfile as sf

    from recommender.evaluate.sound import CorpusTrack, evaluate, format_table
    from recommender.sound.model import SoundModel
    from recommender.train.export import export_onnx
    from recommender.train.model import SoundCNN

    rng = np.random.default_rng(0)
    tracks = []
    for album, hz in (("heard", 220.0), ("unheard", 660.0)):
        for i in range(2):
            t = np.arange(16000 * 12) / 16000
            audio = 0.3 * np.sin(2 * np.pi * hz * (1 + i / 10) * t) + 0.01 * rng.normal(size=t.size)
            path = tmp_path / f"{album}{i}.flac"
            sf.write(path, audio.astype(np.float32), 16000)
            tracks.append(CorpusTrack(path, album))
    model_path = tmp_path / "m.onnx"
    export_onnx(SoundCNN(channels=(8, 8, 16, 16)), model_path, "refit-1", {"trained_on": "heard"})
    report = evaluate(tracks, SoundModel(model_path))
    assert report["trained_on_these"] == {"refit-1": ["heard"]}
    assert "refit-1 was trained on 1 of these soundtracks (heard)" in format_table(report)
