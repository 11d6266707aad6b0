"""Approximate (and GPU) neighbours with FAISS, over the same sharded embedding files as the exact stage.

``ivf`` / ``ivfpq``: an index per direction, trained on a sample of its database and filled shard by shard
(the PQ codes are far smaller than the vectors), searched block by block. The recall of the forward search
against the exact one (the k neighbours found, over a random sample of sources) goes into the summary.
With faiss-gpu and a GPU, ``flat`` runs as exact FAISS search on the GPU(s).
"""
from __future__ import annotations

import numpy as np

from .config import MineConfig
from .faiss_knn import _take, knn
from .knn import Stack


def recall_at_k(x: Stack, y: Stack, ids: np.ndarray, k: int, sample: int, seed: int = 0) -> float:
    """Share of the exact k nearest targets that ``ids`` found, over ``sample`` random sources."""
    from .knn import ErrorBound, finalize, resolve_precision, scan_block

    rows = np.sort(np.random.default_rng(seed).choice(len(x), size=min(sample, len(x)), replace=False))
    q = _take(x, rows)
    precision = resolve_precision()
    approx = scan_block(q, 0, y, k + 12, precision, None)
    exact = finalize(q, y, approx, k, ErrorBound.of(Stack([q]), y, precision=precision), precision)[1]
    hits = sum(len(set(a) & set(b)) for a, b in zip(exact.tolist(), ids[rows].tolist()))
    return hits / exact.size


def approximate_neighbours(cfg: MineConfig, x_paths, y_paths, quiet: bool):
    x = Stack([np.load(p, mmap_mode="r") for p in x_paths])
    y = Stack([np.load(p, mmap_mode="r") for p in y_paths])
    fs, fi = knn(x, y, cfg.k, cfg.index, nprobe=cfg.nprobe, desc=None if quiet else "kNN src→tgt")
    bs, bi = knn(y, x, cfg.k, cfg.index, nprobe=cfg.nprobe, desc=None if quiet else "kNN tgt→src")
    info = {"method": "faiss", "index": cfg.index}
    if cfg.index != "flat":
        info["recall_at_k"] = round(recall_at_k(x, y, fi, min(cfg.k, len(y)), cfg.recall_sample), 4)
        info["recall_sample"] = min(cfg.recall_sample, len(x))
    return fs, fi, bs, bi, info
