"""Exact kNN both ways (low-precision pass + exact rescoring) against brute force; the error bound; the kNN stage's
checkpoints."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ems_mine.mining.knn import ErrorBound, Stack, TopK, bits_to_float, knn_both_ways, lowp
from ems_mine.mining.knn_stage import KnnPlan, KnnStage


def unit(x):
    x = np.asarray(x, np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def brute(x, y, k):
    """The definition: float64 sums of the float32 products rounded to float32, best first, ties to the lower index."""
    s = np.einsum("id,jd->ij", x.astype(np.float64), y.astype(np.float64)).astype(np.float32)
    order = np.lexsort((np.broadcast_to(np.arange(s.shape[1]), s.shape), -s.astype(np.float64)), axis=1)[:, :k]
    return np.take_along_axis(s, order, 1), order


def data(kind, rng, n, m, d):
    if kind == "random":
        return unit(rng.standard_normal((n, d))), unit(rng.standard_normal((m, d)))
    if kind == "clustered":   # tight clusters: many near-ties around every k-th neighbour
        cx, cy = unit(rng.standard_normal((5, d))), unit(rng.standard_normal((4, d)))
        return (unit(cx[rng.integers(0, 5, n)] + 0.05 * rng.standard_normal((n, d))),
                unit(cy[rng.integers(0, 4, m)] + 0.05 * rng.standard_normal((m, d))))
    base = unit(rng.standard_normal((7, d)))   # duplicate-heavy: exact ties everywhere
    return base[rng.integers(0, 7, n)], base[rng.integers(0, 7, m)]


def check(x, y, k, **kw):
    fs, fi, bs, bi = knn_both_ways(x, y, k, **kw)
    ws, wi = brute(x, y, k)
    vs, vi = brute(y, x, k)
    np.testing.assert_array_equal(fi, wi)
    np.testing.assert_array_equal(bi, vi)
    np.testing.assert_array_equal(fs, ws)
    np.testing.assert_array_equal(bs, vs)


@pytest.mark.parametrize("precision", ["bf16", "fp32"])
@pytest.mark.parametrize("kind", ["random", "clustered", "duplicates"])
def test_equals_brute_force(kind, precision):
    rng = np.random.default_rng(0)
    x, y = data(kind, rng, 300, 410, 32)
    check(x, y, 4, precision=precision, rows=64, workers=2)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 120), m=st.integers(1, 150), d=st.sampled_from([2, 8, 33]),
       k=st.integers(1, 6), rows=st.integers(1, 40), workers=st.integers(1, 3),
       kind=st.sampled_from(["random", "clustered", "duplicates"]), precision=st.sampled_from(["bf16", "fp32"]))
def test_equals_brute_force_on_any_shape(seed, n, m, d, k, rows, workers, kind, precision):
    """Ragged blocks and tiles, fewer rows than k, one row, tiny dimensions: always the exact top-k."""
    x, y = data(kind, np.random.default_rng(seed), n, m, d)
    check(x, y, k, precision=precision, rows=rows, workers=workers, extra=2)


def test_sharded_inputs_give_the_same_neighbours_as_one_array():
    rng = np.random.default_rng(3)
    x, y = data("clustered", rng, 200, 260, 16)
    whole = knn_both_ways(x, y, 3, rows=50)
    shards = knn_both_ways(Stack([x[:70], x[70:71], x[71:]]), Stack([y[:100], y[100:]]), 3, rows=33)
    for a, b in zip(whole, shards):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("d", [8, 256, 1024])
def test_error_bound_holds(d):
    """|pass-1 score − exact score| ≤ ε(q) + ρ|ã| for every pair: bf16 inputs, fp32 sums, bf16 output; and the
    candidate line keeps every member of the exact top-k."""
    import torch

    rng = np.random.default_rng(d)
    x = unit(rng.standard_normal((400, d)))
    y = np.concatenate([x[:200] + 0.01 * rng.standard_normal((200, d)), rng.standard_normal((300, d))])
    y = unit(y)
    exact = (x.astype(np.float64) @ y.T.astype(np.float64)).astype(np.float32)
    for precision in ("bf16", "fp32"):
        bound = ErrorBound.of(Stack([x]), Stack([y]), precision=precision)
        approx = torch.mm(lowp(x, precision), lowp(y, precision).T).float().numpy().astype(np.float64)
        eps = bound.rows(x)
        assert (np.abs(approx - exact) <= eps[:, None] + bound.rel * np.abs(approx)).all()
        for k in (1, 5):
            kth = -np.sort(-approx, axis=1)[:, k - 1]
            line = bound.line(x, kth)
            members = np.argsort(-exact.astype(np.float64), axis=1, kind="stable")[:, :k]
            assert (np.take_along_axis(approx, members, 1) >= line[:, None]).all()
    u = 2.0 ** -8
    bf = ErrorBound.of(Stack([x]), Stack([y]), precision="bf16")
    if d >= 256:                                     # the rounding that happened, not the worst case 2u
        assert bf.rows(x).max() < 1.2 * u
    assert bf.rows(x).max() < 2.1 * u + d * 2.0 ** -23
    assert ErrorBound.of(Stack([x]), Stack([y]), precision="fp32").rows(x).max() < 1e-4


def test_bf16_bits_order_and_decode():
    import torch

    v = np.array([-0.5, -0.0, 0.0, 0.25, 0.5, 0.875, 1.0], np.float32)   # exact in bf16
    bits = torch.from_numpy(v).to(torch.bfloat16).view(torch.int16).numpy()
    np.testing.assert_array_equal(bits_to_float(bits), v)
    assert (np.diff(bits[2:]) > 0).all() and bits[0] < bits[2]          # non-negative scores order as int16
    assert TopK.empty(2, 3, "bf16").scores().tolist() == [[-0.0] * 3] * 2


def test_stage_resumes_after_a_partial_run_and_matches(tmp_path):
    rng = np.random.default_rng(5)
    x, y = data("random", rng, 500, 300, 16)
    xp, yp = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(xp, x)
    np.save(yp, y)
    want = knn_both_ways(x, y, 4)

    def plan():
        return KnnPlan([xp], [yp], 4, tmp_path / "knn", block_rows=64)

    from ems_mine.executors.local import LocalExecutor
    from ems_mine.mining.knn import finalize, scan_block

    stage = KnnStage.open(plan())
    cols = stage.col_states(1)
    rows = {}
    for b in (0, 1, 2):                      # a run killed after its first round of three blocks
        lo, hi = stage.blocks[b]
        approx = scan_block(x[lo:hi], lo, stage.y, stage.plan.K, stage.plan.precision, cols[0])
        rows[b] = finalize(x[lo:hi], stage.y, approx, 4, stage.bound, stage.plan.precision)[:2]
    stage.commit(rows, cols)
    (stage.plan.workdir / ".cols-000099-000.sims.npy.tmp-999999").write_bytes(b"half-written")   # a killed write
    again = KnnStage.open(plan())
    assert again.reused == 3 and again.todo() == list(range(3, 8))
    assert not list(again.plan.workdir.glob("*.tmp-*"))
    got = LocalExecutor(workers=2).knn(again, progress=False)
    for a, b in zip(want, got):
        np.testing.assert_array_equal(a, b)
    done = KnnStage.open(plan())
    assert done.result() is not None and all(np.array_equal(a, b) for a, b in zip(done.result(), want))


@pytest.mark.parametrize("workers", [2, 3])
def test_phased_workers_over_many_tiles_equal_brute_force(monkeypatch, workers):
    """Workers that own target ranges in turn (several tiles per range, ragged ranges and blocks)."""
    import ems_mine.mining.knn as knn

    monkeypatch.setattr(knn, "COLS", 24)
    monkeypatch.setattr(knn, "TILE_ROWS", 16)
    rng = np.random.default_rng(11)
    for kind in ("random", "clustered", "duplicates"):
        x, y = data(kind, rng, 157, 203, 16)
        check(x, y, 4, rows=37, workers=workers, extra=3)
