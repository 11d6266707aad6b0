"""Approximate (and GPU) neighbours with FAISS, over the same sharded embedding files as the exact stage.

``ivf`` / ``ivfpq``: an index per direction, trained on a sample of its database and filled shard by shard
(the PQ codes are far smaller than the vectors), searched block by block. The recall of the forward search
against the exact one (the k neighbours found, over a random sample of sources) goes into the summary.
With faiss-gpu and a GPU, ``flat`` runs as exact FAISS search on the GPU(s).
"""
from __future__ import annotations

import math

import numpy as np

from .config import MineConfig
from .knn import Stack


def _index(db: Stack, kind: str, nprobe: int, seed: int = 1234, train_size: int = 100_000):
    from .faiss_knn import _faiss, gpu_count

    faiss = _faiss()
    n, d = len(db), db.dim
    if kind == "flat":
        ix = faiss.IndexFlatIP(d)
    else:
        nlist = max(1, min(65536, int(4 * math.sqrt(n)), n // 39))
        m = next(m for m in (64, 48, 32, 16, 8, 4, 2, 1) if d % m == 0)
        ix = faiss.index_factory(d, f"IVF{nlist},Flat" if kind == "ivf" else f"IVF{nlist},PQ{m}", faiss.METRIC_INNER_PRODUCT)
        pick = np.sort(np.random.default_rng(seed).choice(n, size=min(n, max(train_size, 39 * nlist)), replace=False))
        ix.train(np.ascontiguousarray(_take(db, pick)))
        faiss.extract_index_ivf(ix).nprobe = min(nlist, nprobe)
    if gpu_count() > 0:
        ix = faiss.index_cpu_to_all_gpus(ix)
    for _, part in db.tiles(1 << 17):
        ix.add(np.ascontiguousarray(part, np.float32))
    return ix


def _take(db: Stack, idx: np.ndarray) -> np.ndarray:
    out = np.empty((len(idx), db.dim), np.float32)
    part_of = np.searchsorted(db.offsets, idx, side="right") - 1
    for p in np.unique(part_of):
        sel = part_of == p
        out[sel] = db.parts[p][idx[sel] - db.offsets[p]]
    return out


def _search(ix, queries: Stack, k: int, desc: str | None) -> tuple[np.ndarray, np.ndarray]:
    from tqdm.auto import tqdm

    sims = np.empty((len(queries), k), np.float32)
    ids = np.empty((len(queries), k), np.int64)
    for j0, q in tqdm(list(queries.tiles(16384)), desc=desc, unit="block", disable=desc is None, dynamic_ncols=True):
        sims[j0 : j0 + len(q)], ids[j0 : j0 + len(q)] = ix.search(np.ascontiguousarray(q, np.float32), k)
    missing = ids < 0                       # an approximate index can find fewer than k: repeat the worst hit
    for r in np.flatnonzero(missing.any(1)):
        ok = ~missing[r]
        ids[r, ~ok] = ids[r, ok][-1] if ok.any() else 0
        sims[r, ~ok] = sims[r, ok][-1] if ok.any() else 0.0
    return sims, ids


def recall_at_k(x: Stack, y: Stack, ids: np.ndarray, k: int, sample: int, seed: int = 0) -> float:
    """Share of the exact k nearest targets that ``ids`` found, over ``sample`` random sources."""
    from .knn import error_bound, finalize, resolve_precision, scan_block

    rows = np.sort(np.random.default_rng(seed).choice(len(x), size=min(sample, len(x)), replace=False))
    q = _take(x, rows)
    precision = resolve_precision()
    approx = scan_block(q, 0, y, k + 12, precision, None)
    exact = finalize(q, y, approx, k, error_bound(x.dim, precision), precision)[1]
    hits = sum(len(set(a) & set(b)) for a, b in zip(exact.tolist(), ids[rows].tolist()))
    return hits / exact.size


def approximate_neighbours(cfg: MineConfig, x_paths, y_paths, quiet: bool):
    x = Stack([np.load(p, mmap_mode="r") for p in x_paths])
    y = Stack([np.load(p, mmap_mode="r") for p in y_paths])
    kf, kb = min(cfg.k, len(y)), min(cfg.k, len(x))
    fs, fi = _search(_index(y, cfg.index, cfg.nprobe), x, kf, None if quiet else "kNN src→tgt")
    bs, bi = _search(_index(x, cfg.index, cfg.nprobe), y, kb, None if quiet else "kNN tgt→src")
    info = {"method": "faiss", "index": cfg.index}
    if cfg.index != "flat":
        info["recall_at_k"] = round(recall_at_k(x, y, fi, kf, cfg.recall_sample), 4)
        info["recall_sample"] = min(cfg.recall_sample, len(x))
    return fs, fi, bs, bi, info
