"""Continue a model without moving what its own languages use (``--set freeze_init=true``).

The init model's weights stay exactly as they were, except the token embedding rows of the languages being learnt: the
rows added by ``--extend-vocab`` and the old pieces that sentences of the new languages (or of those named in
``freeze_except``) use and no sentence of the model's other languages in the training sample does. Sentences made only
of frozen pieces therefore embed exactly as before, whatever the training does to the new languages.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch

FROZEN_FILE = "frozen_rows.npy"   # in the run directory, so a resumed run freezes the same rows


def frozen_rows(old_vocab: int, kept_ids: Iterable[list[int]], free_ids: Iterable[list[int]]) -> np.ndarray:
    """(R,) int64 sorted ids of the init model's rows to keep: all of them but those the ``free_ids`` sentences (the
    languages being learnt) use and the ``kept_ids`` sentences (the init model's other languages) do not."""
    kept = {i for ids in kept_ids for i in ids}
    free = {i for ids in free_ids for i in ids if i < old_vocab} - kept - set(range(min(4, old_vocab)))
    return np.setdiff1d(np.arange(old_vocab, dtype=np.int64), np.fromiter(free, np.int64, len(free)))


def save_rows(run_dir: Path, rows: np.ndarray) -> None:
    tmp = run_dir / f".{FROZEN_FILE}.tmp"
    with open(tmp, "wb") as f:
        np.save(f, rows, allow_pickle=False)
    tmp.replace(run_dir / FROZEN_FILE)


def load_rows(run_dir: Path) -> np.ndarray:
    return np.load(run_dir / FROZEN_FILE, allow_pickle=False)


def given_rows(path: str, old_vocab: int) -> np.ndarray:
    """``freeze_rows=FILE``: an earlier run's frozen rows (self-training keeps its first round's in every round, so
    a row one round trained is never frozen at its moved value by the next)."""
    from ..errors import UserError

    try:
        rows = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise UserError(f"freeze_rows={path}: not a readable .npy of row ids ({str(e)[:100]}); give a run's "
                        f"{FROZEN_FILE}") from None
    if rows.ndim != 1 or rows.dtype.kind not in "iu" or (len(rows) and (rows.min() < 0 or rows.max() >= old_vocab)):
        raise UserError(f"freeze_rows={path}: not row ids of this model's {old_vocab:,}-piece vocabulary; give the "
                        f"{FROZEN_FILE} of a run from the same model")
    return np.unique(rows.astype(np.int64))


class Freezer:
    """Stops every encoder weight but the token embedding from training, and puts the frozen embedding rows back
    after each optimizer step (exactly, whatever the optimizer's weight decay or momentum did to them)."""

    def __init__(self, encoder: torch.nn.Module, rows: np.ndarray):
        for name, p in encoder.named_parameters():
            if name != "tok_emb.weight":
                p.requires_grad_(False)
        self.weight = encoder.tok_emb.weight                              # (V, D)
        self.rows = torch.as_tensor(rows, dtype=torch.long, device=self.weight.device)   # (R,)
        self.values = self.weight.detach()[self.rows].clone()             # (R, D)

    @torch.no_grad()
    def restore(self) -> None:
        self.weight[self.rows] = self.values
