"""Compiled top-k merges for ``onepass.knn_both_ways`` (numba; imported only when mining runs).

Each function takes one similarity tile (b, c) and running top-k arrays ``sims`` (n, k) float32 and
``ids`` (n, k) int64, kept sorted best first. A value enters only if it beats the current k-th best;
ties keep the earlier (lower) index first. Single-threaded and GIL-free: ``onepass`` runs one per worker.
"""
import numpy as np
from numba import njit

CHUNK = 256  # values tested at once (vectorised) before looking at them one by one


@njit(inline="always")
def insert(sims, ids, v, j):
    """Put (v, j) into one sorted top-k row (sims[-1] < v is known)."""
    p = len(sims) - 1
    while p > 0 and sims[p - 1] < v:
        sims[p] = sims[p - 1]
        ids[p] = ids[p - 1]
        p -= 1
    sims[p] = v
    ids[p] = j


# 1-D slices and counting compares keep the scans vectorised. Only reassociation is allowed (no
# "no-inf" assumption: the running top-k starts at -inf); there are no float sums, so results are exact.
FAST = {"reassoc", "nsz", "contract"}


@njit(cache=True, nogil=True, fastmath=FAST)
def merge_rows(tile, r0, c0, sims, ids):
    """Merge every row of tile (b, c) into the top-k of rows r0.. (candidate ids c0..)."""
    b, c = tile.shape
    k = sims.shape[1]
    for r in range(b):
        row, s, ix = tile[r], sims[r0 + r], ids[r0 + r]
        thr = s[k - 1]
        for j0 in range(0, c, CHUNK):
            seg = row[j0:j0 + CHUNK]
            hits = 0
            for j in range(len(seg)):
                hits += seg[j] > thr
            if hits == 0:
                continue
            for j in range(len(seg)):
                if seg[j] > thr:
                    insert(s, ix, seg[j], c0 + j0 + j)
                    thr = s[k - 1]


@njit(cache=True, nogil=True, fastmath=FAST)
def merge_cols(tile, c0, r0, sims, ids):
    """Merge every column of tile (b, c) into the top-k of rows c0.. of sims (candidate ids r0..)."""
    b, c = tile.shape
    k = sims.shape[1]
    for ch in range((c + CHUNK - 1) // CHUNK):
        j0 = ch * CHUNK
        w = min(c, j0 + CHUNK) - j0
        thr = np.empty(w, np.float32)
        for j in range(w):
            thr[j] = sims[c0 + j0 + j, k - 1]
        for r in range(b):
            seg = tile[r, j0:j0 + w]
            hits = 0
            for j in range(w):
                hits += seg[j] > thr[j]
            if hits == 0:
                continue
            for j in range(w):
                if seg[j] > thr[j]:
                    insert(sims[c0 + j0 + j], ids[c0 + j0 + j], seg[j], r0 + r)
                    thr[j] = sims[c0 + j0 + j, k - 1]
