"""Weight-space interpolation of a continued model with the model it started from (WiSE-FT: Wortsman et al., "Robust
fine-tuning of zero-shot models", CVPR 2022):

    θ(α) = α · θ_tuned + (1 − α) · θ_init

on every weight the init model has; embedding rows the continuation added (``--extend-vocab``) keep their trained
values. α = 1 is the continued model, α = 0 the init model for every sentence its tokenizer cuts as before. A
continuation on new languages forgets the old ones along the way; an α in between keeps most of both, and which α is
chosen by measuring (``pipelines/package_americasnlp.py``).
"""
from __future__ import annotations

import copy

import torch

from ..encoder import EMSEncoder
from ..errors import UserError


def interpolate(init: EMSEncoder, tuned: EMSEncoder, alpha: float) -> EMSEncoder:
    """θ(α) as a new encoder with ``tuned``'s tokenizer; ``tuned`` must have ``init``'s architecture (its vocabulary
    may be larger)."""
    if not 0.0 <= alpha <= 1.0:
        raise UserError(f"alpha={alpha}: choose a weight between 0 (the init model) and 1 (the continued one)")
    old, new = init.model.state_dict(), tuned.model.state_dict()
    if set(old) != set(new):
        raise UserError("the two models have different architectures: interpolate a model with the one it was continued from")
    mixed = {}
    for name, w in new.items():
        o = old[name].float()
        if w.shape[1:] != o.shape[1:] or w.shape[0] < o.shape[0] or (name != "tok_emb.weight" and w.shape != o.shape):
            raise UserError(f"{name}: {tuple(o.shape)} in the init model, {tuple(w.shape)} in the continued one; "
                            "interpolate a model with the one it was continued from")
        m = w.float().clone()                                                  # (V', D): rows ≥ V are the added ones
        m[: o.shape[0]] = alpha * w[: o.shape[0]].float() + (1 - alpha) * o
        mixed[name] = m
    model = copy.deepcopy(tuned.model).float()
    with torch.no_grad():
        model.load_state_dict(mixed)
    return EMSEncoder(model, tuned.tokenizer)
