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
from .languages import check_lang
from .model import EMSModel
from .tokenizer import NORMALIZATION, Tokenizer, pad_ids
from .vectors import l2_normalize

FORMAT = "ems-mine/1"
ONNX_FORMAT = "ems-mine-onnx/1"   # an ONNX export (`ems-mine export --onnx`)
DEFAULT_MODEL_DIR = Path(__file__).parent / "models" / "default"


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def pad_batch(seqs: Sequence[Sequence[int]]) -> torch.Tensor:
    """Right-pad id lists with PAD_ID into a (B, T) long tensor."""
    return torch.from_numpy(pad_ids(seqs))


class EMSEncoder:
    """A trained EMS sentence encoder ready for inference.

    >>> from ems_mine import EMSEncoder
    >>> enc = EMSEncoder.from_pretrained()                       # the bundled model  # doctest: +SKIP
    >>> a = enc.encode(["Guten Morgen", "Danke"], lang="de", normalize_embeddings=True)  # doctest: +SKIP
    >>> b = enc.encode(["Good morning", "Thanks"], lang="en", normalize_embeddings=True)  # doctest: +SKIP
    >>> enc.similarity(a, b).argmax(1)                           # doctest: +SKIP
    array([0, 1])
    """

    def __init__(self, model: EMSModel, tokenizer: Tokenizer, model_dir: Path | None = None, precision: str = "auto"):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.model_dir = model_dir
        self.precision = precision   # inference: see embed_token_ids (bf16 autocast on a GPU, fp32 on a CPU)

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

        from .encoders import resolve_model_dir

        path = resolve_model_dir(model_dir)
        for name in ("config.json", "model.safetensors", "tokenizer.model"):
            if not (path / name).is_file():
                raise UserError(f"{path}: not an ems-mine model directory (missing {name}); "
                                "pass a directory written by `ems-mine train` or save_pretrained()")
        try:
            meta = json.loads((path / "config.json").read_text(encoding="utf-8"))
            fmt = meta.get("format")
        except (ValueError, UnicodeDecodeError, AttributeError) as e:
            raise UserError(f"{path / 'config.json'}: not a valid model config ({str(e).splitlines()[0]}); the model "
                            "directory is damaged — copy it again") from None
        if fmt != FORMAT:
            raise UserError(f"{path / 'config.json'}: format {fmt!r}, expected {FORMAT!r}")
        try:
            cfg = ModelConfig.from_dict(meta["model"])
        except (KeyError, TypeError, ValueError) as e:
            raise UserError(f"{path / 'config.json'}: not a valid model config ({e}); the model directory is damaged") from None
        model = EMSModel(cfg)
        try:
            state = {k: v.float() for k, v in load_file(path / "model.safetensors").items()}
        except Exception as e:  # noqa: BLE001 - safetensors raises its own error types for a damaged file
            raise UserError(f"{path / 'model.safetensors'}: unreadable weights ({str(e).splitlines()[0]}); the file "
                            "is damaged or truncated — copy the model again") from None
        try:
            model.load_state_dict(state)
        except RuntimeError as e:
            first = str(e).splitlines()[1].strip() if len(str(e).splitlines()) > 1 else str(e)
            raise UserError(f"{path / 'model.safetensors'}: weights do not match config.json ({first}); "
                            "the directory mixes files of different models") from None
        return cls(model.to(device or default_device()), Tokenizer(path / "tokenizer.model", cfg.max_len), path)

    @classmethod
    def from_onnx(cls, *args, **kwargs):  # pragma: no cover - a pointer for users
        raise UserError("load an ONNX export with ems_mine.onnx_encoder.ONNXEncoder(dir) or ems_mine.load_encoder(dir)")

    def save_pretrained(self, model_dir: str | os.PathLike, card: str | None = None, half: bool = False,
                        objective: dict | None = None) -> Path:
        """Write config, weights (fp16 if ``half``), tokenizer and model card to ``model_dir``; ``objective``: the
        training settings a continuation starts from (kept from the existing config.json when not given)."""
        from safetensors.torch import save_file

        path = Path(model_dir)
        path.mkdir(parents=True, exist_ok=True)
        dtype = torch.float16 if half else torch.float32
        state = {k: v.detach().to("cpu", dtype).contiguous() for k, v in self.model.state_dict().items()}
        save_file(state, path / "model.safetensors.tmp")
        os.replace(path / "model.safetensors.tmp", path / "model.safetensors")
        if self.tokenizer.path.resolve() != (path / "tokenizer.model").resolve():
            (path / "tokenizer.model").write_bytes(self.tokenizer.path.read_bytes())
        meta = {"format": FORMAT, "model": self.config.to_dict(), "tokenizer": "tokenizer.model", "normalization": NORMALIZATION}
        if objective is None and self.model_dir is not None and (Path(self.model_dir) / "config.json").is_file():
            objective = json.loads((Path(self.model_dir) / "config.json").read_text(encoding="utf-8")).get("objective")
        if objective:
            meta["objective"] = objective
        write_json(path / "config.json", meta)
        if card is not None or not (path / "README.md").exists():
            (path / "README.md").write_text(card or _default_card(self.config), encoding="utf-8")
        for extra in ("mining.json",):   # files that describe the model beyond its weights (default threshold)
            src = Path(self.model_dir) / extra if self.model_dir is not None else None
            if src is not None and src.is_file() and src.resolve() != (path / extra).resolve():
                (path / extra).write_bytes(src.read_bytes())
        return path

    def encode(self, sentences: str | Sequence[str], lang: str | None = None, batch_size: int = 128,
               show_progress_bar: bool | None = None, normalize_embeddings: bool = False, convert_to_tensor: bool = False,
               device: str | None = None, normalize: bool | None = None):
        """Embed ``sentences`` as sentence-transformers does: a ``str`` gives a 1-D vector (D,), a list (N, D),
        float32, in input order (batches are length-sorted).

        ``lang`` may be any language code: the embedding does not depend on it (a language the model was not
        trained on gives one warning). ``normalize_embeddings`` makes rows unit length; ``convert_to_tensor``
        returns a torch tensor; ``device`` moves the model first. ``normalize`` is a deprecated alias of
        ``normalize_embeddings`` (kept for one release).

        >>> enc.encode("Guten Morgen", lang="de").shape          # doctest: +SKIP
        (256,)
        """
        from .encoders import sentence_list, shape_output

        if normalize is not None:
            import warnings

            warnings.warn("encode(normalize=...) is deprecated; use normalize_embeddings=...", DeprecationWarning, stacklevel=2)
            normalize_embeddings = normalize_embeddings or normalize
        sentences, single = sentence_list(sentences)
        if lang is not None:
            check_lang(lang, self.languages)
        if device is not None:
            self.model.to(device)
        win = self.tokenizer.windows(sentences)                               # long sentences: several windows
        out = win.combine(embed_token_ids(self.model, win.ids, batch_size, self.precision,
                                          progress=bool(show_progress_bar)))                  # (W, D) → (N, D)
        return shape_output(out, single, normalize_embeddings, convert_to_tensor)

    def export_onnx(self, out_dir: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write this encoder as an ONNX graph (token ids (batch, tokens) → sentence embeddings (batch, D), both axes
        dynamic) with its SentencePiece model and config: a directory ``ONNXEncoder`` and every ``--model`` load.

        >>> enc.export_onnx("model-onnx")                      # doctest: +SKIP
        """
        from .onnx_export import export_onnx

        return export_onnx(self, out_dir, overwrite)

    @staticmethod
    def similarity(a, b):
        """Cosine similarities (N, M) of two sets of embeddings (arrays, tensors, or single vectors), as
        sentence-transformers' ``similarity``; returns the type of ``a``."""
        is_tensor = isinstance(a, torch.Tensor)
        x = np.atleast_2d(a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a, np.float32))
        y = np.atleast_2d(b.detach().cpu().numpy() if isinstance(b, torch.Tensor) else np.asarray(b, np.float32))
        sim = l2_normalize(x) @ l2_normalize(y).T
        return torch.from_numpy(sim) if is_tensor else sim


@torch.inference_mode()
def embed_token_ids(model: EMSModel, ids: Sequence[Sequence[int]], batch_size: int = 128, precision: str = "fp32",
                    progress: bool = False) -> np.ndarray:
    """Embed tokenised sentences longest-first in batches; returns (N, D) float32 in input order.

    ``precision="auto"`` runs Transformer layers under bf16 autocast on a GPU and in fp32 on a CPU, where
    autocast's casts cost more than its matrix products gain at inference (``benchmarks/encode_speed.py``:
    ems-base size 68 sentences/s in bf16 against 148 in fp32, even with AVX512-BF16); ``"bf16"`` forces it.
    A bag of embeddings has no matrix products to speed up and stays fp32."""
    from tqdm.auto import tqdm

    from .precision import autocast, resolve

    was_training = model.training
    model.eval()
    device = str(next(model.parameters()).device)
    wanted = precision == "bf16" or (precision == "auto" and not device.startswith("cpu"))
    prec = resolve(precision, device) if wanted and model.cfg.n_layers > 0 else "fp32"
    order = np.argsort([-len(s) for s in ids], kind="stable")     # longest first: little padding
    out = np.empty((len(ids), model.cfg.d_model), dtype=np.float32)  # (N, D)
    for start in tqdm(range(0, len(ids), batch_size), desc="encode", unit="batch", disable=not progress, dynamic_ncols=True):
        rows = order[start : start + batch_size]
        batch = pad_batch([ids[i] for i in rows]).to(device)        # (b, T)
        with autocast(prec, device):
            out[rows] = model(batch).float().cpu().numpy()          # (b, D)
    model.train(was_training)
    return out


def _default_card(cfg: ModelConfig) -> str:
    return (f"# EMS sentence encoder\n\n{cfg.describe()}.\n\n"
            f"Languages ({len(cfg.languages)}): {', '.join(cfg.languages)}\n")
