"""EMSEncoder: load / save a model directory and turn sentences into embeddings.

A model directory holds ``config.json``, ``model.safetensors`` (encoder weights only),
``tokenizer.model`` (SentencePiece) and a model card ``README.md``. Nothing is unpickled.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from .config import ModelConfig
from .errors import UserError
from .io_utils import write_json
from .languages import resolve_lang
from .model import EMSModel
from .tokenizer import NORMALIZATION, PAD_ID, Tokenizer
from .vectors import l2_normalize

FORMAT = "ems-mine/1"
DEFAULT_MODEL_DIR = Path(__file__).parent / "models" / "default"


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def pad_batch(seqs: Sequence[Sequence[int]]) -> torch.Tensor:
    """Right-pad id lists with PAD_ID into a (B, T) long tensor."""
    out = torch.full((len(seqs), max(len(s) for s in seqs)), PAD_ID, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    return out


class EMSEncoder:
    """A trained EMS sentence encoder ready for inference."""

    def __init__(self, model: EMSModel, tokenizer: Tokenizer, model_dir: Path | None = None):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.model_dir = model_dir

    @property
    def config(self) -> ModelConfig:
        return self.model.cfg

    @property
    def dim(self) -> int:
        return self.config.d_model

    @property
    def languages(self) -> tuple[str, ...]:
        return self.config.languages

    @functools.cached_property
    def model_id(self) -> str:
        """Content hash of the weights, tokenizer and config: names this exact model in manifests."""
        h = hashlib.sha256(json.dumps(self.config.to_dict(), sort_keys=True).encode())
        h.update(self.tokenizer.path.read_bytes())
        for name, t in sorted(self.model.state_dict().items()):
            h.update(name.encode())
            h.update(t.detach().float().cpu().numpy().tobytes())
        return h.hexdigest()[:16]

    @classmethod
    def from_pretrained(cls, model_dir: str | os.PathLike | None = None, device: str | None = None) -> "EMSEncoder":
        """Load a model directory; with no argument, the bundled default model."""
        from safetensors.torch import load_file

        path = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
        for name in ("config.json", "model.safetensors", "tokenizer.model"):
            if not (path / name).is_file():
                raise UserError(f"{path}: not an ems-mine model directory (missing {name}); "
                                "pass a directory written by `ems-mine train` or save_pretrained()")
        meta = json.loads((path / "config.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise UserError(f"{path / 'config.json'}: format {meta.get('format')!r}, expected {FORMAT!r}")
        cfg = ModelConfig.from_dict(meta["model"])
        model = EMSModel(cfg)
        state = {k: v.float() for k, v in load_file(path / "model.safetensors").items()}
        try:
            model.load_state_dict(state)
        except RuntimeError as e:
            first = str(e).splitlines()[1].strip() if len(str(e).splitlines()) > 1 else str(e)
            raise UserError(f"{path / 'model.safetensors'}: weights do not match config.json ({first}); "
                            "the directory mixes files of different models") from None
        return cls(model.to(device or default_device()), Tokenizer(path / "tokenizer.model", cfg.max_len), path)

    def save_pretrained(self, model_dir: str | os.PathLike, card: str | None = None, half: bool = False) -> Path:
        """Write config, weights (fp16 if ``half``), tokenizer and model card to ``model_dir``."""
        from safetensors.torch import save_file

        path = Path(model_dir)
        path.mkdir(parents=True, exist_ok=True)
        dtype = torch.float16 if half else torch.float32
        state = {k: v.detach().to("cpu", dtype).contiguous() for k, v in self.model.state_dict().items()}
        save_file(state, path / "model.safetensors.tmp")
        os.replace(path / "model.safetensors.tmp", path / "model.safetensors")
        if self.tokenizer.path.resolve() != (path / "tokenizer.model").resolve():
            (path / "tokenizer.model").write_bytes(self.tokenizer.path.read_bytes())
        self.tokenizer.path = path / "tokenizer.model"
        write_json(path / "config.json", {"format": FORMAT, "model": self.config.to_dict(),
                                          "tokenizer": "tokenizer.model", "normalization": NORMALIZATION})
        if card is not None or not (path / "README.md").exists():
            (path / "README.md").write_text(card or _default_card(self.config), encoding="utf-8")
        self.model_dir = path
        return path

    @torch.inference_mode()
    def encode(self, sentences: Sequence[str], lang: str | None = None, batch_size: int = 64,
               normalize: bool = False, device: str | None = None) -> np.ndarray:
        """Embed ``sentences`` → float32 array (N, D) in input order; batches are length-sorted."""
        if lang is not None:
            resolve_lang(lang, self.languages)
        if device is not None:
            self.model.to(device)
        out = embed_token_ids(self.model, self.tokenizer.encode(sentences), batch_size)  # (N, D)
        if normalize:
            out = l2_normalize(out)
        return out


@torch.inference_mode()
def embed_token_ids(model: EMSModel, ids: Sequence[Sequence[int]], batch_size: int = 64) -> np.ndarray:
    """Embed tokenised sentences longest-first in batches; returns (N, D) float32 in input order."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    order = np.argsort([-len(s) for s in ids], kind="stable")     # longest first: little padding
    out = np.empty((len(ids), model.cfg.d_model), dtype=np.float32)  # (N, D)
    for start in range(0, len(ids), batch_size):
        rows = order[start : start + batch_size]
        batch = pad_batch([ids[i] for i in rows]).to(device)        # (b, T)
        out[rows] = model(batch).float().cpu().numpy()              # (b, D)
    model.train(was_training)
    return out


def _default_card(cfg: ModelConfig) -> str:
    return (f"# EMS sentence encoder\n\n{cfg.describe()}.\n\n"
            f"Languages ({len(cfg.languages)}): {', '.join(cfg.languages)}\n")
