"""The EMS encoder: token + learned position embeddings, post-LN Transformer, mean pooling.

Shapes: B = sentences in a batch, T = tokens, D = d_model.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig
from .tokenizer import PAD_ID


class EMSModel(nn.Module):
    """Sentence encoder: ids (B, T) with 0 = pad → mean-pooled sentence embeddings (B, D)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model, padding_idx=PAD_ID)
        self.pos_emb = nn.Embedding(cfg.max_len + 1, cfg.d_model, padding_idx=0)  # 0 = padding position
        self.emb_norm = nn.LayerNorm(cfg.d_model, eps=1e-12)
        self.emb_drop = nn.Dropout(cfg.dropout)
        layer = nn.TransformerEncoderLayer(
            cfg.d_model, cfg.n_heads, cfg.d_ffn, cfg.dropout, activation=F.silu,
            layer_norm_eps=1e-12, batch_first=True, norm_first=False,  # post-LN, swish FFN
        )
        # n_layers = 0 is a bag of position-aware token embeddings: the cheap first stage of a recipe
        self.layers = nn.TransformerEncoder(layer, cfg.n_layers, enable_nested_tensor=False) if cfg.n_layers else None
        self.apply(_init_weights)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        mask = ids != PAD_ID                                        # (B, T) True on tokens
        on = mask.long()                                            # (B, T) 1 on tokens
        pos = torch.cumsum(on, dim=1) * on                          # (B, T) 1..L on tokens, 0 on pad
        x = self.emb_drop(self.emb_norm(self.tok_emb(ids) + self.pos_emb(pos)))  # (B, T, D)
        if self.layers is not None:
            x = self.layers(x, src_key_padding_mask=~mask)          # (B, T, D)
        m = mask.unsqueeze(-1).to(x.dtype)                          # (B, T, 1)
        return (x * m).sum(1) / m.sum(1).clamp(min=1.0)             # (B, D) mean over tokens


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, std=0.02)
        if module.padding_idx is not None:
            module.weight.data[module.padding_idx].zero_()
