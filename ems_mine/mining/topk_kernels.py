"""Compiled kernels of the exact kNN (``knn.py``; numba, imported only when mining runs).

The merges take one similarity tile (b, c) — float32 scores, or bf16 scores as their int16 bit patterns —
and running top-K arrays ``sims`` (n, K) of the same dtype and ``ids`` (n, K) int64, kept sorted best first.
A value enters only if it beats the current K-th best; ties keep the earlier (lower) index first.
Single-threaded and GIL-free: ``knn.py`` runs one per worker thread.
"""
import numpy as np
from numba import njit

CHUNK = 64  # values tested at once (vectorised) before looking at them one by one


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


# 1-D slices and an OR of the compares keep the scans vectorised (a count of them does not: measured 8× slower).
# Only reassociation is allowed (no "no-inf" assumption: the running top-k starts at -inf); there are no float sums,
# so results are exact.
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
            hit = False
            for j in range(len(seg)):
                hit |= seg[j] > thr
            if not hit:
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
        thr = np.empty(w, sims.dtype)    # the tile's dtype: int16 compares vectorise without conversion
        for j in range(w):
            thr[j] = sims[c0 + j0 + j, k - 1]
        for r in range(b):
            seg = tile[r, j0:j0 + w]
            hit = False
            for j in range(w):
                hit |= seg[j] > thr[j]
            if not hit:
                continue
            for j in range(w):
                if seg[j] > thr[j]:
                    insert(sims[c0 + j0 + j], ids[c0 + j0 + j], seg[j], r0 + r)
                    thr[j] = sims[c0 + j0 + j, k - 1]


@njit(cache=True, nogil=True)
def rescore_topk(q, part, lo, offsets, cand_ids, out_sims, out_ids):
    """Exact top-k of each query among its candidates, for the candidates stored in ``part`` (global ids
    lo .. lo + len(part)); call once per part, the lists in out_sims / out_ids (n, k) carry over (start them
    at -inf / -1). Query r's candidates are cand_ids[offsets[r]:offsets[r+1]]. Scores are float64 sums of
    the float32 products, rounded to float32; best first, ties to the lower id."""
    n, d = q.shape
    hi = lo + part.shape[0]
    k = out_sims.shape[1]
    for r in range(n):
        s, ix = out_sims[r], out_ids[r]
        for c in range(offsets[r], offsets[r + 1]):
            j = cand_ids[c]
            if j < lo or j >= hi:
                continue
            acc = 0.0
            for t in range(d):
                acc += np.float64(q[r, t]) * np.float64(part[j - lo, t])
            v = np.float32(acc)
            if v > s[k - 1] or (v == s[k - 1] and (ix[k - 1] < 0 or j < ix[k - 1])):
                p = k - 1
                while p > 0 and (s[p - 1] < v or (s[p - 1] == v and ix[p - 1] > j)):
                    s[p] = s[p - 1]
                    ix[p] = ix[p - 1]
                    p -= 1
                s[p] = v
                ix[p] = j


@njit(cache=True, nogil=True, fastmath=FAST)
def collect_above(tile, line, c0, out_ids, counts):
    """Append to row r's list every column j of tile (b, c) with tile[r, j] >= line[r] (id c0 + j).
    ``out_ids`` (b, cap) receives the ids; ``counts`` (b,) counts them all, also past cap."""
    b, c = tile.shape
    cap = out_ids.shape[1]
    for r in range(b):
        row, thr = tile[r], line[r]
        for j0 in range(0, c, CHUNK):
            seg = row[j0:j0 + CHUNK]
            hit = False
            for j in range(len(seg)):
                hit |= seg[j] >= thr
            if not hit:
                continue
            for j in range(len(seg)):
                if seg[j] >= thr:
                    if counts[r] < cap:
                        out_ids[r, counts[r]] = c0 + j0 + j
                    counts[r] += 1
