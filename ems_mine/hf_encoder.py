"""Any local Hugging Face encoder (transformers, mean pooling), so benchmarks measure other models
the same way as EMS. Weights load from safetensors only (``use_safetensors=True``)."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import UserError
from .vectors import l2_normalize


class HFEncoder:
    """Mean-pooled last hidden states of a local transformers model directory."""

    def __init__(self, path: str | Path, device: str | None = None, max_len: int = 128):
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError:
            raise UserError("Hugging Face encoders need transformers: pip install 'ems-mine[hf]'") from None
        self.path = Path(path)
        self.tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        self.model = AutoModel.from_pretrained(self.path, local_files_only=True, use_safetensors=True).eval()
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model.to(self.device)
        self.max_len = max_len
        self.languages: tuple[str, ...] = ()
        self.model_id = f"hf:{self.path.name}"
        self.dim = self.model.config.hidden_size

    def encode(self, sentences: Sequence[str], lang: str | None = None, batch_size: int = 64,
               normalize: bool = False) -> np.ndarray:
        import torch

        order = np.argsort([-len(s) for s in sentences], kind="stable")
        out = np.empty((len(sentences), self.dim), dtype=np.float32)        # (N, D)
        with torch.inference_mode():
            for start in range(0, len(sentences), batch_size):
                rows = order[start : start + batch_size]
                batch = self.tokenizer([sentences[i] for i in rows], padding=True, truncation=True,
                                       max_length=self.max_len, return_tensors="pt").to(self.device)
                h = self.model(**batch).last_hidden_state                  # (b, T, D)
                m = batch["attention_mask"].unsqueeze(-1).to(h.dtype)       # (b, T, 1)
                out[rows] = ((h * m).sum(1) / m.sum(1).clamp(min=1)).float().cpu().numpy()
        if normalize:
            out = l2_normalize(out)
        return out
