"""Margin scoring (Artetxe & Schwenk 2019, arXiv 1811.01136), as LASER's ``mine_bitexts.py`` does it.

    margin(x, y) = f( cos(x, y),  ½ [ mean_{z ∈ NN_k(x)} cos(x, z) + mean_{z ∈ NN_k(y)} cos(y, z) ] )
        ratio:    f(a, b) = a / b        distance: f(a, b) = a − b        absolute: f(a, b) = a

The true partner is not excluded from its own neighbourhood.
"""
from __future__ import annotations

import numpy as np

from ..errors import UserError

MARGINS = ("ratio", "distance", "absolute")


def margin_fn(cos: np.ndarray, denom: np.ndarray, margin: str) -> np.ndarray:
    """Apply ``margin`` to cosines and their neighbourhood averages (broadcastable arrays)."""
    if margin == "ratio":
        return cos / denom
    if margin == "distance":
        return cos - denom
    if margin == "absolute":
        return cos + 0.0 * denom
    raise UserError(f"unknown margin {margin!r}; choose one of {', '.join(MARGINS)}")


def score_neighbours(fwd_sim: np.ndarray, fwd_idx: np.ndarray, bwd_sim: np.ndarray, bwd_idx: np.ndarray,
                     margin: str) -> tuple[np.ndarray, np.ndarray]:
    """Margin scores of every kNN candidate in both directions.

    fwd_sim, fwd_idx (S, k): each source's k nearest targets; bwd_sim, bwd_idx (T, k): the reverse.
    Returns fwd_scores (S, k) and bwd_scores (T, k).
    """
    fwd_mean = fwd_sim.mean(axis=1)                                              # (S,)
    bwd_mean = bwd_sim.mean(axis=1)                                              # (T,)
    fwd = margin_fn(fwd_sim, (fwd_mean[:, None] + bwd_mean[fwd_idx]) / 2, margin)  # (S, k)
    bwd = margin_fn(bwd_sim, (bwd_mean[:, None] + fwd_mean[bwd_idx]) / 2, margin)  # (T, k)
    return fwd.astype(np.float32), bwd.astype(np.float32)
