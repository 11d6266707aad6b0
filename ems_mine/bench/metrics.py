"""Retrieval metrics as pure functions (numpy in, numpy out)."""
from __future__ import annotations

import numpy as np

from ..vectors import l2_normalize


def nn_accuracy(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Cosine nearest-neighbour accuracy where row i of ``x`` translates row i of ``y``.

    Returns (x→y, y→x): the fraction of rows of x whose nearest row of y is their gold partner, and
    the reverse. Ties go to the lower index.
    """
    x, y = l2_normalize(x), l2_normalize(y)
    sim = x @ y.T                                             # (n, n)
    gold = np.arange(len(x))
    return float((sim.argmax(1) == gold).mean()), float((sim.argmax(0) == gold).mean())


def prf(n_correct: int, n_predicted: int, n_gold: int) -> dict[str, float]:
    """Precision, recall and F1 from counts (0 where undefined)."""
    p = n_correct / n_predicted if n_predicted else 0.0
    r = n_correct / n_gold if n_gold else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def f1_at_threshold(scores: np.ndarray, correct: np.ndarray, n_gold: int, threshold: float) -> dict[str, float]:
    """P/R/F1 of the candidates scoring >= ``threshold``; ``correct`` flags candidates found in the gold."""
    keep = scores >= threshold
    return {**prf(int(correct[keep].sum()), int(keep.sum()), n_gold), "threshold": float(threshold)}


def best_threshold(scores: np.ndarray, correct: np.ndarray, n_gold: int) -> dict[str, float]:
    """LASER's BuccOptimize: sweep the cut-off down the score-sorted candidates, keep the best F1; the
    threshold is the midpoint between the last kept score and the next one."""
    order = np.argsort(-scores, kind="stable")
    s, c = scores[order], correct[order].astype(np.int64)
    tp = np.cumsum(c)                                   # correct among the top n+1
    n = np.arange(1, len(s) + 1)
    f1 = 2 * tp / (n + n_gold)                          # = 2PR/(P+R) with P = tp/n, R = tp/n_gold
    best = int(np.argmax(f1)) if len(s) else 0
    if not len(s):
        return {**prf(0, 0, n_gold), "threshold": float("inf")}
    nxt = s[best + 1] if best + 1 < len(s) else s[best] - 1e-6
    threshold = float((s[best] + nxt) / 2)
    return {**prf(int(tp[best]), best + 1, n_gold), "threshold": threshold}


def margin_matrix(x: np.ndarray, y: np.ndarray, k: int = 4, margin: str = "ratio") -> np.ndarray:
    """(n_x, n_y) margin scores of every x row against every y row (Artetxe & Schwenk), both
    neighbourhoods over the k nearest rows of the other side."""
    from ..mining.margin import margin_fn

    x, y = l2_normalize(x), l2_normalize(y)
    sim = x @ y.T                                                       # (n_x, n_y)
    fwd_mean = -np.sort(-sim, axis=1)[:, : min(k, sim.shape[1])].mean(1)  # (n_x,) x's neighbourhood in y
    bwd_mean = -np.sort(-sim.T, axis=1)[:, : min(k, sim.shape[0])].mean(1)  # (n_y,) y's neighbourhood in x
    return margin_fn(sim, (fwd_mean[:, None] + bwd_mean[None, :]) / 2, margin)


def xsim_error(x: np.ndarray, y: np.ndarray, k: int = 4, margin: str = "ratio") -> tuple[float, float]:
    """xSIM (LASER): row i of x aligns with row i of y; each source takes the target with the best
    margin score among all targets. Returns the error rates (x→y, y→x) as fractions."""
    m = margin_matrix(x, y, k, margin)                                  # (n, n); its transpose serves y→x
    gold = np.arange(len(x))
    return float((m.argmax(1) != gold).mean()), float((m.argmax(0) != gold).mean())
