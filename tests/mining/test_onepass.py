"""One-pass kNN both ways against brute force NumPy and against two FAISS searches."""
import numpy as np
import pytest

from ems_mine.mining.knn import knn
from ems_mine.mining.onepass import knn_both_ways


def unit(rng, n, d):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("rows,cols,workers", [(64, 48, 1), (64, 48, 3), (7, 1000, 2), (1000, 1000, 2)])
def test_both_directions_equal_brute_force(rows, cols, workers):  # ragged, thin and single tiles; 1-3 workers
    rng = np.random.default_rng(0)
    x, y = unit(rng, 300, 32), unit(rng, 410, 32)
    fs, fi, bs, bi = knn_both_ways(x, y, k=4, rows=rows, cols=cols, workers=workers)
    full = x.astype(np.float64) @ y.T.astype(np.float64)
    want_f = np.argsort(-full, axis=1)[:, :4]
    want_b = np.argsort(-full.T, axis=1)[:, :4]
    np.testing.assert_array_equal(fi, want_f)
    np.testing.assert_array_equal(bi, want_b)
    np.testing.assert_allclose(fs, np.take_along_axis(full, want_f, 1), atol=1e-5)
    np.testing.assert_allclose(bs, np.take_along_axis(full.T, want_b, 1), atol=1e-5)


def test_same_neighbours_as_two_faiss_searches_and_k_clamped():
    rng = np.random.default_rng(1)
    y = unit(rng, 700, 64)
    x = y[:500] + 0.3 * unit(rng, 500, 64)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    fs, fi, bs, bi = knn_both_ways(x, y, k=3, rows=128, cols=256)
    np.testing.assert_array_equal(fi, knn(x, y, 3)[1])
    np.testing.assert_array_equal(bi, knn(y, x, 3)[1])
    _, fi2, _, bi2 = knn_both_ways(x[:2], y, k=5, rows=1, cols=100)   # fewer sources than k
    assert fi2.shape == (2, 5) and bi2.shape == (700, 2)
    assert set(bi2[:, 0]) <= {0, 1}


@pytest.mark.parametrize("workers", [1, 2])
def test_ties_keep_the_lower_index_first_across_tiles_and_workers(workers):
    y = np.repeat(np.eye(3, dtype=np.float32), 4, axis=0)    # rows 0-3 equal, 4-7 equal, 8-11 equal
    x = np.eye(3, dtype=np.float32)
    fs, fi, bs, bi = knn_both_ways(x, y, k=3, rows=2, cols=5, workers=workers)  # ties straddle tile borders
    xb, yb = np.repeat(x, 2, axis=0), y[:5]                   # x rows tied, split between the two workers
    _, _, _, bi2 = knn_both_ways(xb, yb, k=3, rows=1, cols=5, workers=workers)
    np.testing.assert_array_equal(bi2[:, :2], [[0, 1]] * 4 + [[2, 3]])
    np.testing.assert_array_equal(fi, [[0, 1, 2], [4, 5, 6], [8, 9, 10]])
    np.testing.assert_array_equal(fs, np.ones((3, 3)))
    np.testing.assert_array_equal(bi[:, 0], np.repeat([0, 1, 2], 4))
    np.testing.assert_array_equal(bs[:, 0], np.ones(12))
