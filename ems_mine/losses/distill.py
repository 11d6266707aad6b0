"""Distillation towards a fixed teacher embedding of the English side (optional, off by default).

    h_s    = W · u_s                                    (the distillation head; u_s the sentence embedding)
    L_KD   = 1/|M| · Σ_{b ∈ M} Σ_{s ∈ {1,2}} (1 − cos(h_s,b , t_b))

t_b is the teacher's unit-length embedding of pair b's English sentence and M the pairs that have one.
Both sides are pulled to the same target, as in Reimers & Gurevych (2020), "Making monolingual sentence
embeddings multilingual using knowledge distillation"; here the student starts from scratch and keeps XTR
and the contrastive loss as its core objectives.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def distill_loss(h1: torch.Tensor, h2: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """h1, h2 (B, Dt) head outputs of both sides; target (B, Dt); mask (B,) bool: pairs with a target."""
    if not bool(mask.any()):
        return h1.sum() * 0.0
    t = target[mask]                                                          # (M, Dt)
    cos1 = F.cosine_similarity(h1[mask].float(), t, dim=-1)                  # (M,)
    cos2 = F.cosine_similarity(h2[mask].float(), t, dim=-1)
    return (2.0 - cos1 - cos2).mean()
