"""ONNXEncoder: an exported EMS encoder (``ems-mine export MODEL --onnx``) on onnxruntime, with the same ``encode``
as :class:`~ems_mine.encoder.EMSEncoder` — no PyTorch needed to embed, mine or search with it.

>>> from ems_mine.onnx_encoder import ONNXEncoder
>>> enc = ONNXEncoder("model-onnx")                                      # doctest: +SKIP
>>> enc.encode(["Guten Morgen"], lang="de", normalize_embeddings=True).shape   # doctest: +SKIP
(1, 256)
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .config import ModelConfig
from .errors import UserError


class ONNXEncoder:
    """Sentence embeddings from ``model.onnx`` + ``tokenizer.model`` in an export directory."""

    def __init__(self, model_dir: str | os.PathLike, threads: int | None = None):
        try:
            import onnxruntime as ort
        except ImportError:
            raise UserError("ONNX models need onnxruntime: pip install 'ems-mine[onnx]'") from None
        from .encoder import ONNX_FORMAT
        from .tokenizer import Tokenizer

        self.model_dir = Path(model_dir)
        for name in ("config.json", "model.onnx", "tokenizer.model"):
            if not (self.model_dir / name).is_file():
                raise UserError(f"{self.model_dir}: not an ONNX export (missing {name}); make one with `ems-mine export --onnx`")
        try:
            meta = json.loads((self.model_dir / "config.json").read_text(encoding="utf-8"))
            self.config = ModelConfig.from_dict(meta["model"])
        except (ValueError, KeyError, TypeError) as e:
            raise UserError(f"{self.model_dir / 'config.json'}: not a valid export config ({e}); export the model again") from None
        if meta.get("format") != ONNX_FORMAT:
            raise UserError(f"{self.model_dir / 'config.json'}: format {meta.get('format')!r}, expected {ONNX_FORMAT!r}")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or os.cpu_count() or 1
        try:
            self.session = ort.InferenceSession(str(self.model_dir / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - onnxruntime raises its own types for a damaged graph
            raise UserError(f"{self.model_dir / 'model.onnx'}: cannot be loaded ({str(e).splitlines()[0]}); export again") from None
        self.tokenizer = Tokenizer(self.model_dir / "tokenizer.model", self.config.max_len)
        h = hashlib.sha256(b"onnx:")
        h.update((self.model_dir / "model.onnx").read_bytes())
        h.update(self.tokenizer.path.read_bytes())
        self.model_id = "onnx-" + h.hexdigest()[:16]

    @property
    def dim(self) -> int:
        return self.config.d_model

    @property
    def languages(self) -> tuple[str, ...]:
        return self.config.languages

    def encode(self, sentences: str | Sequence[str], lang: str | None = None, batch_size: int = 128,
               show_progress_bar: bool | None = None, normalize_embeddings: bool = False, convert_to_tensor: bool = False,
               device: str | None = None):
        """As :meth:`EMSEncoder.encode <ems_mine.encoder.EMSEncoder.encode>`: (D,) for a string, (N, D) for a list."""
        from tqdm.auto import tqdm

        from .encoders import sentence_list, shape_output
        from .languages import check_lang
        from .tokenizer import pad_ids

        if device not in (None, "cpu"):
            raise UserError(f"device={device!r}: the ONNX encoder runs on the CPU")
        sentences, single = sentence_list(sentences)
        if lang is not None:
            check_lang(lang, self.languages)
        win = self.tokenizer.windows(sentences)                               # as EMSEncoder.encode
        ids = win.ids
        order = np.argsort([-len(s) for s in ids], kind="stable")
        out = np.empty((len(ids), self.dim), np.float32)
        for start in tqdm(range(0, len(ids), batch_size), desc="encode", unit="batch", disable=not show_progress_bar):
            rows = order[start : start + batch_size]
            batch = pad_ids([ids[i] for i in rows])
            out[rows] = self.session.run(None, {"input_ids": batch})[0]
        return shape_output(win.combine(out), single, normalize_embeddings, convert_to_tensor)
