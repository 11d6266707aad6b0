"""k nearest neighbours by inner product (cosine on unit vectors) with FAISS.

``flat`` is exact. ``ivf`` / ``ivfpq`` are approximate indexes trained on a sample of the database,
for corpora past memory. faiss-gpu is used automatically when FAISS sees a GPU. Queries run in
batches so memory stays O(batch · k) beyond the index itself.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import UserError

INDEXES = ("flat", "ivf", "ivfpq")


def _faiss():
    try:
        import faiss
    except ImportError:  # pragma: no cover - faiss-cpu is a dependency
        raise UserError("FAISS is not installed: pip install faiss-cpu (or ems-mine[gpu] for faiss-gpu)") from None
    return faiss


def gpu_count() -> int:
    faiss = _faiss()
    return faiss.get_num_gpus() if hasattr(faiss, "get_num_gpus") else 0


def build_index(db: np.ndarray, index: str = "flat", seed: int = 1234, train_size: int = 100_000):
    """A FAISS inner-product index over ``db`` (N, D) float32, on the GPU(s) when available."""
    faiss = _faiss()
    n, d = db.shape
    if index == "flat":
        ix = faiss.IndexFlatIP(d)
    elif index in ("ivf", "ivfpq"):
        nlist = max(1, min(65536, int(4 * math.sqrt(n)), n // 39))
        m = next(m for m in (64, 48, 32, 16, 8, 4, 2, 1) if d % m == 0)
        spec = f"IVF{nlist},Flat" if index == "ivf" else f"IVF{nlist},PQ{m}"
        ix = faiss.index_factory(d, spec, faiss.METRIC_INNER_PRODUCT)
        sample = db[np.random.default_rng(seed).choice(n, size=min(n, max(train_size, 39 * nlist)), replace=False)]
        ix.train(np.ascontiguousarray(sample))
        faiss.extract_index_ivf(ix).nprobe = min(nlist, 64)
    else:
        raise UserError(f"unknown index {index!r}; choose one of {', '.join(INDEXES)}")
    if gpu_count() > 0:
        ix = faiss.index_cpu_to_all_gpus(ix)
    for start in range(0, n, 1 << 18):
        ix.add(np.ascontiguousarray(db[start : start + (1 << 18)]))
    return ix


def knn(queries: np.ndarray, db: np.ndarray, k: int, index: str = "flat", batch: int = 16384,
        ix=None, desc: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(sims, ids), each (Q, k): the k best inner products of every query in ``db``, best first.
    ``desc`` shows a progress bar with that label."""
    from tqdm.auto import tqdm

    ix = ix if ix is not None else build_index(db, index)
    k = min(k, db.shape[0])
    sims = np.empty((len(queries), k), dtype=np.float32)
    ids = np.empty((len(queries), k), dtype=np.int64)
    for start in tqdm(range(0, len(queries), batch), desc=desc, unit="batch", disable=desc is None, dynamic_ncols=True):
        q = np.ascontiguousarray(queries[start : start + batch], dtype=np.float32)
        sims[start : start + len(q)], ids[start : start + len(q)] = ix.search(q, k)
    missing = ids < 0  # an approximate index can find fewer than k: repeat the row's worst hit
    if missing.any():
        rows = np.nonzero(missing.any(1))[0]
        for r in rows:
            ok = ~missing[r]
            ids[r, ~ok] = ids[r, ok][-1] if ok.any() else 0
            sims[r, ~ok] = sims[r, ok][-1] if ok.any() else 0.0
    return sims, ids

