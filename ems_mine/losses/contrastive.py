"""Symmetric in-batch contrastive loss on projected sentence embeddings.

    S_ij = cos(z1_i, z2_j) / τ                       (B × B', B' = B · world_size under DDP)
    L_CL = ½ [ CE(S, diag) + CE(S'ᵀ, diag) ]

Under DDP the negatives of every process are gathered (with gradients) so each sentence is contrasted
with the global batch, which the authors' code does not do.
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


def contrastive_loss(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """z1, z2 (B, P): row i of each is a translation pair; returns the symmetric InfoNCE loss."""
    z1, z2 = F.normalize(z1.float(), dim=-1), F.normalize(z2.float(), dim=-1)
    all1, offset = _gather(z1)                                       # (B', P)
    all2, _ = _gather(z2)                                            # (B', P)
    labels = torch.arange(z1.shape[0], device=z1.device) + offset   # (B,)
    s12 = z1 @ all2.T / temperature                                  # (B, B') z1 against every z2
    s21 = z2 @ all1.T / temperature                                  # (B, B') z2 against every z1
    return 0.5 * (F.cross_entropy(s12, labels) + F.cross_entropy(s21, labels))
