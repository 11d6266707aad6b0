"""Exact k nearest neighbours in both directions from one pass over the similarities.

LASER's mining searches x→y and then y→x: two passes over the same S × T inner products. Here each
tile S[i0:i1, j0:j1] = x_i · y_jᵀ is multiplied once (BLAS, via torch) and, while it is still in
cache, reduced into both

    forward  (S, k): the k best targets of every source   (row top-k, merged across column tiles)
    backward (T, k): the k best sources of every target   (column top-k, merged across row tiles)

by two compiled loops (``topk_kernels.py``): one over rows, one over columns, each comparing a value
with the current k-th best of its row or column and inserting the rare ones that beat it. Memory is
O((S + T)·k·workers + tile·workers). Ties keep the lower index first.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

ROWS, COLS = 2048, 2048  # tile shape: 16 MiB of float32, inside the L3 cache


def knn_both_ways(x: np.ndarray, y: np.ndarray, k: int, rows: int = ROWS, cols: int = COLS,
                  desc: str | None = None, workers: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact inner-product kNN both ways: (fwd_sim, fwd_idx) (S, k) of x in y and (bwd_sim, bwd_idx)
    (T, k) of y in x, best first, as two FAISS flat searches would give them.

    ``workers`` threads (default: torch's thread count) each take every W-th block of rows, multiply
    single-threaded and merge into the shared row top-k (their rows are disjoint) and into a column
    top-k of their own; those are merged at the end. No thread pool hands work back and forth per tile.
    """
    import torch

    xs = torch.from_numpy(np.ascontiguousarray(x, np.float32))
    ys = torch.from_numpy(np.ascontiguousarray(y, np.float32))
    n_s, n_t = len(xs), len(ys)
    kf, kb = min(k, n_t), min(k, n_s)
    fwd_sim, fwd_idx = np.full((n_s, kf), -np.inf, np.float32), np.zeros((n_s, kf), np.int64)
    n_blocks = -(-n_s // rows)
    workers = max(1, min(workers or torch.get_num_threads(), n_blocks))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with _progress(n_blocks * -(-n_t // cols), desc) as bar, ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda w: _worker(xs, ys, range(w * rows, n_s, workers * rows), rows, cols,
                                                    fwd_sim, fwd_idx, kb, bar), range(workers)))
    finally:
        torch.set_num_threads(threads)
    bwd_sim, bwd_idx = _merge([p[0] for p in parts], [p[1] for p in parts], kb)
    return fwd_sim, fwd_idx, bwd_sim, bwd_idx


def _worker(xs, ys, row_starts, rows: int, cols: int, fwd_sim, fwd_idx, kb: int, bar):
    """Multiply and reduce the tiles of some row blocks; returns this worker's column top-k (T, kb)."""
    import torch

    from .topk_kernels import merge_cols, merge_rows  # numba: compiled once, then cached on disk

    n_t = len(ys)
    bwd_sim, bwd_idx = np.full((n_t, kb), -np.inf, np.float32), np.zeros((n_t, kb), np.int64)
    buf = torch.empty(min(rows, len(xs)) * min(cols, n_t))
    with torch.inference_mode():
        for i0 in row_starts:
            xb = xs[i0:i0 + rows]
            for j0 in range(0, n_t, cols):
                yb = ys[j0:j0 + cols]
                tile = torch.mm(xb, yb.T, out=buf[: len(xb) * len(yb)].view(len(xb), len(yb))).numpy()  # (b, c)
                merge_rows(tile, i0, j0, fwd_sim, fwd_idx)
                merge_cols(tile, j0, i0, bwd_sim, bwd_idx)
                bar.update(1)
    return bwd_sim, bwd_idx


def _merge(sims: list[np.ndarray], ids: list[np.ndarray], k: int) -> tuple[np.ndarray, np.ndarray]:
    """The top-k of several (n, k) top-k lists, best first, ties to the lower index."""
    if len(sims) == 1:
        return sims[0], ids[0]
    s, i = np.concatenate(sims, axis=1), np.concatenate(ids, axis=1)   # (n, W·k)
    order = np.lexsort((i, -s), axis=1)[:, :k]                           # by score, then index
    return np.take_along_axis(s, order, 1), np.take_along_axis(i, order, 1)


def _progress(total: int, desc: str | None):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="tile", disable=desc is None, dynamic_ncols=True, mininterval=1.0)
