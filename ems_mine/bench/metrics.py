"""Retrieval metrics as pure functions (numpy in, numpy out)."""
from __future__ import annotations

import numpy as np


def nn_accuracy(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Cosine nearest-neighbour accuracy where row i of ``x`` translates row i of ``y``.

    Returns (x→y, y→x): the fraction of rows of x whose nearest row of y is their gold partner, and
    the reverse. Ties go to the lower index.
    """
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    y = y / np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-12)
    sim = x @ y.T                                             # (n, n)
    gold = np.arange(len(x))
    return float((sim.argmax(1) == gold).mean()), float((sim.argmax(0) == gold).mean())
