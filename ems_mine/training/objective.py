"""The training model: encoder + XTR head + contrastive projection (+ distillation head) → weighted loss."""
from __future__ import annotations

import hashlib

import torch
from torch import nn

from ..config import ModelConfig, TrainConfig
from ..encoder import pad_batch
from ..heads import ContrastiveProjection, DistillHead, XTRHead
from ..losses import contrastive_loss, distill_loss, xtr_loss
from ..losses.xtr import batch_vocabulary
from ..model import EMSModel


class EMSObjective(nn.Module):
    """L = xtr_weight · (XTR(u1→x2) + XTR(u2→x1)) + contrastive_weight · CL(u1, u2)
         [+ distill_weight · KD(u1, u2, teacher)]."""

    def __init__(self, cfg: ModelConfig, tcfg: TrainConfig, teacher_dim: int = 0):
        super().__init__()
        self.tcfg = tcfg
        self.encoder = EMSModel(cfg)
        self.xtr = XTRHead(cfg, self.encoder.tok_emb if cfg.xtr_tied else None) if tcfg.xtr_weight > 0 else None
        self.proj = ContrastiveProjection(cfg) if tcfg.contrastive_weight > 0 else None
        self.distill = DistillHead(cfg, teacher_dim) if tcfg.distill_weight > 0 else None

    def forward(self, src: list, tgt: list, src_lang: torch.Tensor, tgt_lang: torch.Tensor,
                teacher: torch.Tensor | None = None, has_teacher: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        device = src_lang.device
        ids = pad_batch(list(src) + list(tgt)).to(device)   # (2B, T) both sides in one pass
        u1, u2 = self.encoder(ids).chunk(2)                  # (B, D) each
        losses = {}
        total = torch.zeros((), device=device)
        if self.xtr is not None:
            x1, x2 = ids.chunk(2)                            # (B, T) each
            vocab = batch_vocabulary(ids) if self.tcfg.xtr_softmax == "batch" else None  # (C,) or all V
            losses["xtr"] = (xtr_loss(self.xtr(u1, tgt_lang, vocab), x2, vocab)
                             + xtr_loss(self.xtr(u2, src_lang, vocab), x1, vocab))
            total = total + self.tcfg.xtr_weight * losses["xtr"]
        if self.proj is not None:
            keys = sentence_keys(src, tgt).to(device) if self.tcfg.mask_duplicates else None  # (B, 2)
            losses["cl"] = contrastive_loss(self.proj(u1), self.proj(u2), self.tcfg.temperature, keys)
            total = total + self.tcfg.contrastive_weight * losses["cl"]
        if self.distill is not None and teacher is not None:
            losses["kd"] = distill_loss(self.distill(u1), self.distill(u2), teacher, has_teacher)
            total = total + self.tcfg.distill_weight * losses["kd"]
        losses["loss"] = total
        return losses


def sentence_keys(src: list, tgt: list) -> torch.Tensor:
    """(B, 2) int64: a hash of each pair's source and target token ids, equal for equal sentences."""
    def h(ids) -> int:
        return int.from_bytes(hashlib.blake2b(ids.tobytes(), digest_size=8).digest(), "little", signed=True)

    return torch.tensor([[h(a), h(b)] for a, b in zip(src, tgt)], dtype=torch.long)
