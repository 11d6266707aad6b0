"""Candidate strategies over margin-scored neighbours (LASER ``--retrieval``), pure NumPy.

- ``forward``: every source with its best-scoring target.
- ``backward``: every target with its best-scoring source.
- ``intersect``: the forward pairs whose target picks the same source backward.
- ``max``: forward and backward candidates pooled, sorted by score, kept greedily 1:1.

All return (src_idx, tgt_idx, scores) sorted by score descending; ties break on src then tgt index,
so the same input always gives the same pairs in the same order.
"""
from __future__ import annotations

import numpy as np

from ..errors import UserError

MODES = ("max", "forward", "backward", "intersect")


def sort_pairs(src: np.ndarray, tgt: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.lexsort((tgt, src, -scores.astype(np.float64)))
    return src[order], tgt[order], scores[order]


def select_candidates(fwd_scores: np.ndarray, fwd_idx: np.ndarray, bwd_scores: np.ndarray, bwd_idx: np.ndarray,
                      mode: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """fwd_* (S, k) and bwd_* (T, k) → pairs chosen by ``mode``."""
    s_rows, t_rows = np.arange(len(fwd_idx)), np.arange(len(bwd_idx))
    fwd_best = fwd_idx[s_rows, fwd_scores.argmax(1)]    # (S,) best target of each source
    fwd_best_score = fwd_scores.max(1)                   # (S,)
    bwd_best = bwd_idx[t_rows, bwd_scores.argmax(1)]    # (T,) best source of each target
    bwd_best_score = bwd_scores.max(1)                   # (T,)
    if mode == "forward":
        return sort_pairs(s_rows, fwd_best, fwd_best_score)
    if mode == "backward":
        return sort_pairs(bwd_best, t_rows, bwd_best_score)
    if mode == "intersect":
        keep = bwd_best[fwd_best] == s_rows
        return sort_pairs(s_rows[keep], fwd_best[keep], fwd_best_score[keep])
    if mode == "max":
        src, tgt, scores = sort_pairs(np.concatenate([s_rows, bwd_best]), np.concatenate([fwd_best, t_rows]),
                                      np.concatenate([fwd_best_score, bwd_best_score]))
        return greedy_one_to_one(src, tgt, scores)
    raise UserError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")


def greedy_one_to_one(src: np.ndarray, tgt: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Walk pairs in the given (score-descending) order, keeping a pair only if both sides are unused."""
    seen_src: set[int] = set()
    seen_tgt: set[int] = set()
    keep = np.zeros(len(src), dtype=bool)
    for n, (s, t) in enumerate(zip(src.tolist(), tgt.tolist())):
        if s not in seen_src and t not in seen_tgt:
            seen_src.add(s)
            seen_tgt.add(t)
            keep[n] = True
    return src[keep], tgt[keep], scores[keep]
