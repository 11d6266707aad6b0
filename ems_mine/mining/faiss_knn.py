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


def as_stack(db):
    """``db`` as a ``knn.Stack`` (an array is one part)."""
    from .knn import Stack

    st = db if isinstance(db, Stack) else Stack([np.asarray(db)])
    return st


def build_index(db, index: str = "flat", seed: int = 1234, train_size: int = 100_000, nprobe: int = 64):
    """A FAISS inner-product index over ``db`` (N, D) float32 — an array or a ``knn.Stack`` of shards, added shard by
    shard — on the GPU(s) when available. ``ivf``/``ivfpq`` are trained on a sample of the rows."""
    faiss = _faiss()
    st = as_stack(db)
    n, d = len(st), st.dim
    if index == "flat":
        ix = faiss.IndexFlatIP(d)
    elif index in ("ivf", "ivfpq"):
        nlist = max(1, min(65536, int(4 * math.sqrt(n)), n // 39))
        m = next(m for m in (64, 48, 32, 16, 8, 4, 2, 1) if d % m == 0)
        spec = f"IVF{nlist},Flat" if index == "ivf" else f"IVF{nlist},PQ{m}"
        ix = faiss.index_factory(d, spec, faiss.METRIC_INNER_PRODUCT)
        pick = np.sort(np.random.default_rng(seed).choice(n, size=min(n, max(train_size, 39 * nlist)), replace=False))
        ix.train(np.ascontiguousarray(_take(st, pick)))
        faiss.extract_index_ivf(ix).nprobe = min(nlist, nprobe)
    else:
        raise UserError(f"unknown index {index!r}; choose one of {', '.join(INDEXES)}")
    if gpu_count() > 0:
        ix = faiss.index_cpu_to_all_gpus(ix)
    for _, part in st.tiles(1 << 18):
        ix.add(np.ascontiguousarray(part, np.float32))
    return ix


def _take(st, idx: np.ndarray) -> np.ndarray:
    out = np.empty((len(idx), st.dim), np.float32)
    part_of = np.searchsorted(st.offsets, idx, side="right") - 1
    for p in np.unique(part_of):
        sel = part_of == p
        out[sel] = st.parts[p][idx[sel] - st.offsets[p]]
    return out


def knn(queries, db, k: int, index: str = "flat", batch: int = 16384, ix=None, desc: str | None = None,
        nprobe: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(sims, ids), each (Q, k): the k best inner products of every query in ``db``, best first; queries and db are
    arrays or ``knn.Stack``s. ``desc`` shows a progress bar with that label."""
    from tqdm.auto import tqdm

    q_st = as_stack(queries)
    ix = ix if ix is not None else build_index(db, index, nprobe=nprobe)
    k = min(k, len(as_stack(db)))
    sims = np.empty((len(q_st), k), dtype=np.float32)
    ids = np.empty((len(q_st), k), dtype=np.int64)
    for start, q in tqdm(list(q_st.tiles(batch)), desc=desc, unit="batch", disable=desc is None, dynamic_ncols=True):
        sims[start : start + len(q)], ids[start : start + len(q)] = ix.search(np.ascontiguousarray(q, np.float32), k)
    missing = ids < 0  # an approximate index can find fewer than k: repeat the row's worst hit
    for r in np.flatnonzero(missing.any(1)):
        ok = ~missing[r]
        ids[r, ~ok] = ids[r, ok][-1] if ok.any() else 0
        sims[r, ~ok] = sims[r, ok][-1] if ok.any() else 0.0
    return sims, ids
