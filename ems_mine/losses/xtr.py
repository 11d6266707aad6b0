"""Cross-lingual token-level reconstruction (XTR).

From one side's sentence embedding and the *other* side's language, predict the bag of the other
side's tokens (Mao et al., EMS, arXiv 2205.15744):

    p[v]   = count(v in x_other) / |x_other|          (target bag; pads ignored; sums to 1)
    q      = log_softmax(W · T([e(lang_other); u]))   (the XTR head's output, (B, V))
    L_XTR  = 1/B · Σ_b Σ_v p_b[v] · (log p_b[v] − q_b[v])   (KL(p ‖ exp q), "batchmean")

The authors' code fills 1/|x| for each distinct token (a repeated token keeps 1/|x|, the target is not
renormalised); we use the count-weighted bag, a proper distribution whose KL is 0 at the optimum.

**In-batch vocabulary** (``xtr_softmax="batch"``, the default): the softmax runs over the C distinct
tokens of the batch (both sides) instead of all V, so the output layer costs B·C·D instead of B·V·D
and no longer grows with the vocabulary:

    q_C    = log_softmax(W_C · T([e; u]))             (W_C: the rows of W for the batch's tokens, (C, ·))

Every target token is in the batch, so p lives inside C; the normaliser leaves out tokens absent from
the batch (the usual in-batch approximation, as for in-batch negatives). When every vocabulary token
occurs in the batch, C = V and the loss equals the full one exactly.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..tokenizer import PAD_ID


def batch_vocabulary(ids: torch.Tensor) -> torch.Tensor:
    """ids (B, T) → the sorted distinct non-pad token ids (C,)."""
    vocab = torch.unique(ids)                                             # sorted
    return vocab[vocab != PAD_ID]


def bag_of_tokens(ids: torch.Tensor, vocab_size: int, vocab: torch.Tensor | None = None) -> torch.Tensor:
    """ids (B, T), 0 = pad → p (B, V): token counts divided by sentence length.

    With ``vocab`` (C,) sorted ids containing every token of ``ids``, p is (B, C) over those ids."""
    mask = (ids != PAD_ID).float()                                        # (B, T)
    if vocab is not None:
        ids = torch.searchsorted(vocab, ids).clamp(max=len(vocab) - 1)    # (B, T) positions in vocab
        vocab_size = len(vocab)
    counts = torch.zeros(ids.shape[0], vocab_size, device=ids.device)     # (B, V) or (B, C)
    counts.scatter_add_(1, ids, mask)
    return counts / mask.sum(1, keepdim=True).clamp(min=1.0)


def xtr_loss(log_q: torch.Tensor, target_ids: torch.Tensor, vocab: torch.Tensor | None = None) -> torch.Tensor:
    """KL(bag(target_ids) ‖ exp(log_q)) averaged over the batch; log_q (B, V) — or (B, C) over ``vocab`` (C,) —
    and target_ids (B, T)."""
    with torch.autocast(log_q.device.type, enabled=False):
        p = bag_of_tokens(target_ids, log_q.shape[-1], vocab)             # (B, V) or (B, C)
        return F.kl_div(log_q.float(), p, reduction="batchmean")
