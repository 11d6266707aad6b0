"""Training-only heads: XTR (bag-of-tokens prediction), the contrastive projection, the distillation head."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig


class XTRHead(nn.Module):
    """[e(other language); u] → transform (Linear, swish, LN) → vocabulary log-probabilities."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d = cfg.d_model + cfg.lang_dim
        self.lang_emb = nn.Embedding(max(len(cfg.languages), 1), cfg.lang_dim)
        self.lang_norm = nn.LayerNorm(cfg.lang_dim, eps=1e-12)
        self.lang_drop = nn.Dropout(cfg.dropout)
        self.transform = nn.Linear(d, d)
        self.norm = nn.LayerNorm(d, eps=1e-12)
        self.decoder = nn.Linear(d, cfg.vocab_size, bias=False)  # not tied to the input embeddings

    def forward(self, u: torch.Tensor, other_lang: torch.Tensor) -> torch.Tensor:
        e = self.lang_drop(self.lang_norm(self.lang_emb(other_lang)))  # (B, lang_dim)
        h = self.norm(F.silu(self.transform(torch.cat([e, u], dim=-1))))  # (B, lang_dim + D)
        return F.log_softmax(self.decoder(h).float(), dim=-1)  # (B, V)


class ContrastiveProjection(nn.Module):
    """u (B, D) → Linear, ReLU, Linear → z (B, proj_dim)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.net = (nn.Sequential(nn.Linear(cfg.d_model, cfg.d_model), nn.ReLU(), nn.Linear(cfg.d_model, cfg.proj_dim))
                    if cfg.proj_dim else nn.Identity())  # proj_dim = 0: contrast the sentence embeddings themselves

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.net(u)


class DistillHead(nn.Module):
    """u (B, D) → Linear → h (B, teacher_dim), compared with the teacher's embedding."""

    def __init__(self, cfg: ModelConfig, teacher_dim: int):
        super().__init__()
        self.linear = nn.Linear(cfg.d_model, teacher_dim)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.linear(u)
