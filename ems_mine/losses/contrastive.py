"""Symmetric in-batch contrastive loss on projected sentence embeddings.

    S_ij = cos(z1_i, z2_j) / τ                       (B × B', B' = B · world_size under DDP)
    L_CL = ½ [ CE(S, diag) + CE(S'ᵀ, diag) ]

Under DDP the negatives of every process are gathered (with gradients) so each sentence is contrasted
with the global batch, which the authors' code does not do.

**Duplicates are not negatives.** With ``keys`` (one per pair: which source and which target sentence it
has), S_ij is left out of row i (set to −∞) when j ≠ i shares pair i's source or target sentence: a corpus
in hundreds of languages repeats the English side ("Cancel", "Save"), and two copies of one sentence in a
batch would otherwise be pushed apart from each other's translations.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _gather(z: torch.Tensor) -> tuple[torch.Tensor, int]:
    """All processes' rows of z (with gradient) and the offset of this process's rows."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return z, 0
    import warnings

    from torch.distributed.nn.functional import all_gather  # differentiable all-gather

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        gathered = all_gather(z)
    return torch.cat(gathered, dim=0), dist.get_rank() * z.shape[0]


def duplicate_mask(keys: torch.Tensor, all_keys: torch.Tensor, offset: int) -> torch.Tensor:
    """keys (B, 2) int64 (source id, target id) of this process's pairs, all_keys (B', 2) → (B, B') bool,
    True where column j is another pair with the same source or target sentence as row i."""
    same = (keys[:, None, :] == all_keys[None, :, :]).any(-1)             # (B, B')
    rows = torch.arange(keys.shape[0], device=keys.device)
    same[rows, rows + offset] = False                                     # the positive stays
    return same


def contrastive_loss(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.1,
                     keys: torch.Tensor | None = None) -> torch.Tensor:
    """z1, z2 (B, P): row i of each is a translation pair; returns the symmetric InfoNCE loss.
    ``keys`` (B, 2) int64: sentence identities, to leave duplicate sentences out of the negatives."""
    with torch.autocast(z1.device.type, enabled=False):
        z1, z2 = F.normalize(z1.float(), dim=-1), F.normalize(z2.float(), dim=-1)
        all1, offset = _gather(z1)                                       # (B', P)
        all2, _ = _gather(z2)                                            # (B', P)
        labels = torch.arange(z1.shape[0], device=z1.device) + offset   # (B,)
        s12 = z1 @ all2.T / temperature                                  # (B, B') z1 against every z2
        s21 = z2 @ all1.T / temperature                                  # (B, B') z2 against every z1
        if keys is not None:
            all_keys, _ = _gather(keys)
            dup = duplicate_mask(keys, all_keys, offset)                 # (B, B')
            s12 = s12.masked_fill(dup, float("-inf"))
            s21 = s21.masked_fill(dup, float("-inf"))
        return 0.5 * (F.cross_entropy(s12, labels) + F.cross_entropy(s21, labels))
