"""Cross-lingual token-level reconstruction (XTR).

From one side's sentence embedding and the *other* side's language, predict the bag of the other
side's tokens (Mao et al., EMS, arXiv 2205.15744):

    p[v]   = count(v in x_other) / |x_other|          (target bag; pads ignored; sums to 1)
    q      = log_softmax(W · T([e(lang_other); u]))   (the XTR head's output, (B, V))
    L_XTR  = 1/B · Σ_b Σ_v p_b[v] · (log p_b[v] − q_b[v])   (KL(p ‖ exp q), "batchmean")

The authors' code fills 1/|x| for each distinct token (a repeated token keeps 1/|x|, the target is not
renormalised); we use the count-weighted bag, a proper distribution whose KL is 0 at the optimum.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..tokenizer import PAD_ID


def bag_of_tokens(ids: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """ids (B, T), 0 = pad → p (B, V): token counts divided by sentence length."""
    mask = (ids != PAD_ID).float()                                        # (B, T)
    counts = torch.zeros(ids.shape[0], vocab_size, device=ids.device)     # (B, V)
    counts.scatter_add_(1, ids, mask)
    return counts / mask.sum(1, keepdim=True).clamp(min=1.0)


def xtr_loss(log_q: torch.Tensor, target_ids: torch.Tensor) -> torch.Tensor:
    """KL(bag(target_ids) ‖ exp(log_q)) averaged over the batch; log_q (B, V), target_ids (B, T)."""
    p = bag_of_tokens(target_ids, log_q.shape[-1])                        # (B, V)
    return F.kl_div(log_q, p, reduction="batchmean")
