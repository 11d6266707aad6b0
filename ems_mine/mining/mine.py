"""``mine_embeddings``: embeddings in, scored pairs out (kNN both ways → margin → candidates)."""
from __future__ import annotations

import numpy as np

from ..errors import UserError
from .candidates import select_candidates
from .faiss_knn import gpu_count, knn
from .margin import score_neighbours


def check_embeddings(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] == 0:
        raise UserError(f"{name}: expected a non-empty (N, D) array, got shape {x.shape}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    norms = np.linalg.norm(x[: min(len(x), 1000)], axis=1)
    if not np.allclose(norms, 1.0, atol=1e-3):
        raise UserError(f"{name}: rows are not L2-normalised (norms {norms.min():.3g}..{norms.max():.3g}); "
                        "normalise them first, e.g. encode(..., normalize=True)")
    return x


def neighbours(x: np.ndarray, y: np.ndarray, k: int, index: str = "flat", progress: bool = False):
    """(fwd_sim, fwd_idx) (S, k): targets of each source; (bwd_sim, bwd_idx) (T, k): sources of each target.
    Exact search on a CPU makes one low-precision pass over the similarities for both ways, then rescores
    exactly (``knn.py``); FAISS otherwise."""
    if index == "flat" and gpu_count() == 0:
        from .knn import knn_both_ways

        return knn_both_ways(x, y, k, desc="kNN both ways" if progress else None)
    fwd_sim, fwd_idx = knn(x, y, k, index, desc="kNN src→tgt" if progress else None)
    bwd_sim, bwd_idx = knn(y, x, k, index, desc="kNN tgt→src" if progress else None)
    return fwd_sim, fwd_idx, bwd_sim, bwd_idx


def mine_embeddings(src_emb: np.ndarray, tgt_emb: np.ndarray, k: int = 4, margin: str = "ratio",
                    mode: str = "max", threshold: float | None = None, index: str = "flat",
                    progress: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mine pairs from L2-normalised float32 embeddings (S, D) and (T, D).

    Returns (src_idx, tgt_idx, scores) sorted by score descending (ties by src, then tgt index).
    No cap or filter is applied unless ``threshold`` is given (keeps scores >= threshold). ``index``
    picks exact ``flat`` search or approximate ``ivf`` / ``ivfpq``; ``progress`` shows kNN progress bars.
    """
    x, y = check_embeddings(src_emb, "src_emb"), check_embeddings(tgt_emb, "tgt_emb")
    if x.shape[1] != y.shape[1]:
        raise UserError(f"embedding dimensions differ: src {x.shape[1]}, tgt {y.shape[1]}; embed both sides with the same model")
    if k < 1:
        raise UserError(f"k={k}: the neighbourhood needs at least one neighbour")
    fwd_sim, fwd_idx, bwd_sim, bwd_idx = neighbours(x, y, k, index, progress)
    fwd_scores, bwd_scores = score_neighbours(fwd_sim, fwd_idx, bwd_sim, bwd_idx, margin)
    src, tgt, scores = select_candidates(fwd_scores, fwd_idx, bwd_scores, bwd_idx, mode)
    if threshold is not None:
        keep = scores >= threshold
        src, tgt, scores = src[keep], tgt[keep], scores[keep]
    return src, tgt, scores
