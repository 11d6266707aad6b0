"""Training-only heads: XTR (bag-of-tokens prediction), the contrastive projection, the distillation head."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig


class XTRHead(nn.Module):
    """[e(other language); u] → transform (Linear, swish, LN) → vocabulary log-probabilities.

    The output layer is the paper's own (V × (D + lang_dim), untied) unless ``tied`` is the encoder's token
    embedding: then the transform maps to D and the logits are dot products with the token embeddings
    (the authors' ``share_emb`` ablation), which adds no vocabulary-sized parameters to update."""

    def __init__(self, cfg: ModelConfig, tied: nn.Embedding | None = None):
        super().__init__()
        d_in = cfg.d_model + cfg.lang_dim
        d_out = cfg.d_model if tied is not None else d_in
        self.lang_emb = nn.Embedding(max(len(cfg.languages), 1), cfg.lang_dim)
        self.lang_norm = nn.LayerNorm(cfg.lang_dim, eps=1e-12)
        self.lang_drop = nn.Dropout(cfg.dropout)
        self.transform = nn.Linear(d_in, d_out)
        self.norm = nn.LayerNorm(d_out, eps=1e-12)
        self.decoder = nn.Linear(d_out, cfg.vocab_size, bias=False) if tied is None else None
        self._tied = (tied,)  # a tuple: not registered twice as a submodule

    @property
    def out_weight(self) -> torch.Tensor:
        return self.decoder.weight if self.decoder is not None else self._tied[0].weight  # (V, d_out)

    def forward(self, u: torch.Tensor, other_lang: torch.Tensor, vocab: torch.Tensor | None = None) -> torch.Tensor:
        """Log-probabilities (B, V) over the vocabulary, or (B, C) over the sorted token ids ``vocab`` (C,)."""
        e = self.lang_drop(self.lang_norm(self.lang_emb(other_lang)))  # (B, lang_dim)
        h = self.norm(F.silu(self.transform(torch.cat([e, u], dim=-1))))  # (B, d_out)
        w = self.out_weight if vocab is None else self.out_weight[vocab]  # (V, d_out) or (C, d_out)
        return F.log_softmax(F.linear(h, w).float(), dim=-1)             # (B, V) or (B, C)


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
