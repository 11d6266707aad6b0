"""Deterministic length-bucketed batches: the same (seed, epoch) always gives the same batches."""
from __future__ import annotations

import numpy as np


def epoch_batches(lengths: np.ndarray, rows: np.ndarray, batch_size: int, seed: int, epoch: int,
                  bucket_batches: int = 50) -> list[np.ndarray]:
    """Shuffle ``rows``, sort each window of ``bucket_batches`` batches by length, cut into batches
    of ``batch_size`` (the ragged tail is dropped) and shuffle the batch order."""
    rng = np.random.default_rng([seed, epoch])
    perm = rows[rng.permutation(len(rows))]
    window = batch_size * bucket_batches
    batches = []
    for start in range(0, len(perm), window):
        chunk = perm[start : start + window]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk) - batch_size + 1, batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]
