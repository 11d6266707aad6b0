"""FAISS search against brute-force NumPy; mine_embeddings end to end on synthetic embeddings."""
import numpy as np
import pytest

import ems_mine
from ems_mine.errors import UserError
from ems_mine.mining.faiss_knn import knn


def unit(rng, n, d):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_flat_knn_equals_brute_force():
    rng = np.random.default_rng(0)
    q, db = unit(rng, 300, 32), unit(rng, 500, 32)
    sims, ids = knn(q, db, k=5, batch=64)
    full = q @ db.T
    want_ids = np.argsort(-full, axis=1)[:, :5]
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_allclose(sims, np.take_along_axis(full, want_ids, 1), rtol=1e-5, atol=1e-6)


def test_ivf_recall_against_exact():
    rng = np.random.default_rng(1)
    db = unit(rng, 5000, 32)
    q = db[:500] + 0.05 * unit(rng, 500, 32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    _, exact = knn(q, db, k=1)
    _, approx = knn(q, db, k=1, index="ivf")
    assert (exact[:, 0] == approx[:, 0]).mean() >= 0.95


def test_k_larger_than_corpus_is_clamped():
    rng = np.random.default_rng(2)
    sims, ids = knn(unit(rng, 4, 8), unit(rng, 2, 8), k=4)
    assert ids.shape == (4, 2)


def test_mine_embeddings_finds_planted_pairs_in_order():
    rng = np.random.default_rng(3)
    tgt = unit(rng, 400, 64)
    src = tgt[:100] + 0.1 * unit(rng, 100, 64)            # sources are noisy copies of targets 0..99
    src /= np.linalg.norm(src, axis=1, keepdims=True)
    s, t, scores = ems_mine.mine_embeddings(src, tgt)
    assert s.dtype.kind == "i" and scores.dtype == np.float32
    assert np.all(np.diff(scores) <= 0)                   # sorted by score, descending
    assert len(s) == 100 and np.all(s == t)               # max mode is 1:1 and finds every planted pair
    again = ems_mine.mine_embeddings(src, tgt)
    for a, b in zip((s, t, scores), again):
        np.testing.assert_array_equal(a, b)               # reproducible, same order
    s2, _, sc2 = ems_mine.mine_embeddings(src, tgt, threshold=float(np.median(scores)))
    assert len(s2) == int((scores >= np.median(scores)).sum()) and sc2.min() >= np.median(scores)


def test_mine_embeddings_rejects_bad_input():
    rng = np.random.default_rng(4)
    with pytest.raises(UserError, match="dimensions differ"):
        ems_mine.mine_embeddings(unit(rng, 5, 8), unit(rng, 5, 16))
    with pytest.raises(UserError, match="not L2-normalised"):
        ems_mine.mine_embeddings(3 * unit(rng, 5, 8), unit(rng, 5, 8))
    with pytest.raises(UserError, match="non-empty"):
        ems_mine.mine_embeddings(np.zeros((0, 8), np.float32), unit(rng, 5, 8))

