import numpy as np

from recommender.discovery.item_cf import (
    MAX_SESSION_PLAYS,
    PlayArrays,
    build_item_neighbours,
    session_ids,
    session_matrix,
)


def _plays(sessions, skipped=(), gap=7200.0):
    """sessions: lists of item rows; plays 200 s apart, sessions `gap` apart."""
    item, when, skip = [], [], []
    t = 0.0
    for s in sessions:
        for i in s:
            item.append(i)
            when.append(t)
            skip.append((len(when) - 1) in skipped)
            t += 200.0
        t += gap
    skip = np.array(skip)
    return PlayArrays(
        np.array(item, np.int32), np.array(when), ~skip, skip, seconds=np.full(len(item), 200.0)
    )


def test_a_pause_over_thirty_minutes_starts_a_new_session():
    plays = _plays([[0, 1], [2]], gap=1700)
    assert session_ids(plays)[1].tolist() == [0, 0, 0]
    plays = _plays([[0, 1], [2]], gap=1900)
    assert session_ids(plays)[1].tolist() == [0, 0, 1]


def test_a_history_without_pauses_is_cut_into_sessions_of_bounded_length():
    """A player left on for days must not become one session pairing every track with all."""
    n = MAX_SESSION_PLAYS * 3 + 7
    plays = _plays([list(range(n))])
    sessions = session_ids(plays)[1]
    assert sessions.max() == 3
    assert np.bincount(sessions).max() == MAX_SESSION_PLAYS
    matrix = session_matrix(plays, n)
    gram_pairs = (matrix.T @ matrix).nnz
    assert gram_pairs <= 4 * MAX_SESSION_PLAYS**2


def test_tracks_played_in_the_same_sessions_are_neighbours():
    sessions = [[0, 1, 2]] * 6 + [[3, 4, 5]] * 6 + [[0, 3]]
    for method in ("cosine", "pearson"):
        nb = build_item_neighbours(session_matrix(_plays(sessions), 6), method=method)
        cols, _ = nb.neighbours(0)
        assert set(cols[:2].tolist()) == {1, 2}
        assert nb.similarity(0, np.array([1]))[0] > nb.similarity(0, np.array([3]))[0]


def test_skips_count_against_a_pair():
    together = [[0, 1, 2]] * 5
    plain = build_item_neighbours(session_matrix(_plays(together), 3))
    # the same sessions, but track 2 skipped every time
    skipped = {i * 3 + 2 for i in range(5)}
    with_skips = build_item_neighbours(session_matrix(_plays(together, skipped), 3))
    assert with_skips.similarity(0, np.array([2]))[0] < plain.similarity(0, np.array([2]))[0]
    assert with_skips.similarity(0, np.array([1]))[0] > 0


def test_shrinkage_trusts_pairs_seen_together_often():
    sessions = [[0, 1]] * 10 + [[2, 3]]
    nb = build_item_neighbours(session_matrix(_plays(sessions), 4))
    assert nb.similarity(0, np.array([1]))[0] > nb.similarity(2, np.array([3]))[0]


def test_keeps_only_top_k_neighbours_per_item():
    sessions = [list(range(20))] * 3
    nb = build_item_neighbours(session_matrix(_plays(sessions), 20), k=5)
    assert np.diff(nb.matrix.indptr).max() == 5


def test_top_k_equals_a_dense_brute_force_with_skips_cancelling_pairs():
    import scipy.sparse as sp

    from recommender.discovery.item_cf import SHRINKAGE, build_item_neighbours

    rng = np.random.default_rng(3)
    dense = rng.normal(size=(300, 60)) * (rng.random((300, 60)) < 0.15)
    dense[0, :2], dense[1, :2] = (1.0, 1.0), (1.0, -1.0)  # items 0 and 1: a dot of exactly 0
    dense[2:, :2] = 0
    sessions = sp.csr_matrix(dense.astype(np.float32))
    got = build_item_neighbours(sessions, k=5)
    r = dense.astype(np.float32).astype(np.float64)
    norms = np.linalg.norm(r, axis=0)
    together = (r != 0).T.astype(float) @ (r != 0).astype(float)
    sims = (r.T @ r) / np.outer(norms, norms) * together / (together + SHRINKAGE)
    np.fill_diagonal(sims, 0)
    for item in range(60):
        want = [j for j in np.argsort(-sims[item], kind="stable")[:5] if sims[item, j] > 1e-9]
        cols, vals = got.neighbours(item)
        assert list(cols) == want
        np.testing.assert_allclose(vals, sims[item, want], rtol=1e-5)
    assert 1 not in got.neighbours(0)[0]


def _dense_sessions(seed: int, n_sessions: int = 300, n_items: int = 60):
    """Random sessions x items weights, plays and skips, about 15 % filled."""
    rng = np.random.default_rng(seed)
    dense = rng.normal(size=(n_sessions, n_items)) * (rng.random((n_sessions, n_items)) < 0.15)
    return dense.astype(np.float32).astype(np.float64)


def test_pearson_top_k_equals_a_dense_brute_force():
    import scipy.sparse as sp

    from recommender.discovery.item_cf import SHRINKAGE

    r = _dense_sessions(4)
    n = r.shape[0]
    got = build_item_neighbours(sp.csr_matrix(r.astype(np.float32)), method="pearson", k=7)
    sums, squares = r.sum(axis=0), (r * r).sum(axis=0)
    spread = n * squares - sums**2
    cov = n * (r.T @ r) - np.outer(sums, sums)
    together = (r != 0).T.astype(float) @ (r != 0).astype(float)
    sims = cov / np.sqrt(np.outer(spread, spread)) * together / (together + SHRINKAGE)
    np.fill_diagonal(sims, 0)
    for item in range(r.shape[1]):
        want = [j for j in np.argsort(-sims[item], kind="stable")[:7] if sims[item, j] > 1e-9]
        cols, vals = got.neighbours(item)
        assert list(cols) == want
        np.testing.assert_allclose(vals, sims[item, want], rtol=1e-5)


def test_neighbours_do_not_depend_on_how_items_are_cut_into_blocks(monkeypatch):
    import scipy.sparse as sp

    from recommender.discovery import item_cf

    sessions = sp.csr_matrix(_dense_sessions(5, n_items=200).astype(np.float32))
    whole = build_item_neighbours(sessions, k=10)
    monkeypatch.setattr(item_cf, "BLOCK_PAIRS", 50)  # dozens of blocks
    cut = build_item_neighbours(sessions, k=10)
    assert (whole.matrix != cut.matrix).nnz == 0
    assert whole.matrix.nnz == cut.matrix.nnz > 0


def test_equal_similarities_at_the_cut_keep_exactly_k():
    sessions = [list(range(12))] * 4  # every pair alike: eleven neighbours tie for k = 4
    nb = build_item_neighbours(session_matrix(_plays(sessions), 12), k=4)
    assert np.diff(nb.matrix.indptr).tolist() == [4] * 12
    for item in range(12):
        cols, vals = nb.neighbours(item)
        assert item not in cols and len(set(cols.tolist())) == 4
        np.testing.assert_allclose(vals, vals[0])
