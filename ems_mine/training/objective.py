"""The training model: encoder + XTR head + contrastive projection → weighted loss."""
from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig, TrainConfig
from ..encoder import pad_batch
from ..heads import ContrastiveProjection, XTRHead
from ..losses import contrastive_loss, xtr_loss
from ..model import EMSModel


class EMSObjective(nn.Module):
    """L = xtr_weight · (XTR(u1→x2) + XTR(u2→x1)) + contrastive_weight · CL(u1, u2)."""

    def __init__(self, cfg: ModelConfig, tcfg: TrainConfig):
        super().__init__()
        self.tcfg = tcfg
        self.encoder = EMSModel(cfg)
        self.xtr = XTRHead(cfg) if tcfg.xtr_weight > 0 else None
        self.proj = ContrastiveProjection(cfg) if tcfg.contrastive_weight > 0 else None

    def forward(self, src: list, tgt: list, src_lang: torch.Tensor, tgt_lang: torch.Tensor) -> dict[str, torch.Tensor]:
        device = src_lang.device
        ids = pad_batch(list(src) + list(tgt)).to(device)   # (2B, T) both sides in one pass
        u1, u2 = self.encoder(ids).chunk(2)                  # (B, D) each
        losses = {}
        total = torch.zeros((), device=device)
        if self.xtr is not None:
            x1, x2 = ids.chunk(2)                            # (B, T) each
            losses["xtr"] = xtr_loss(self.xtr(u1, tgt_lang), x2) + xtr_loss(self.xtr(u2, src_lang), x1)
            total = total + self.tcfg.xtr_weight * losses["xtr"]
        if self.proj is not None:
            losses["cl"] = contrastive_loss(self.proj(u1), self.proj(u2), self.tcfg.temperature)
            total = total + self.tcfg.contrastive_weight * losses["cl"]
        losses["loss"] = total
        return losses
