"""ONNX export of an EMS encoder: ``model.onnx`` (token ids → mean-pooled sentence embeddings) beside the
SentencePiece model and a config, so the encoder runs wherever onnxruntime runs (``ems_mine.onnx_encoder``)."""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from .errors import UserError
from .io_utils import file_sha256


def export_onnx(encoder, out_dir: str | os.PathLike, overwrite: bool = False, opset: int = 17) -> Path:
    """Export ``encoder`` (an :class:`~ems_mine.encoder.EMSEncoder`) to ``out_dir``; returns the directory."""
    import torch

    from .encoder import ONNX_FORMAT
    from .tokenizer import NORMALIZATION

    try:
        import onnx  # noqa: F401 - the exporter needs both
        import onnxscript  # noqa: F401
    except ImportError:
        raise UserError("ONNX export needs onnx, onnxscript and onnxruntime: pip install 'ems-mine[onnx]'") from None
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise UserError(f"{out}: output exists; pass --overwrite or choose another directory")
    out.parent.mkdir(parents=True, exist_ok=True)
    model = encoder.model.eval().to("cpu")
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        ids = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0]], dtype=torch.long)      # (B, T): both axes dynamic
        shapes = {"ids": {0: torch.export.Dim("batch"), 1: torch.export.Dim("tokens", max=max(2, encoder.config.max_len))}}
        with warnings.catch_warnings(), torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (ids,), str(tmp / "model.onnx"), input_names=["input_ids"],
                              output_names=["sentence_embedding"], opset_version=max(opset, 18), dynamo=True,
                              dynamic_shapes=shapes, external_data=False, verbose=False)
        shutil.copyfile(encoder.tokenizer.path, tmp / "tokenizer.model")
        src = Path(encoder.model_dir) if encoder.model_dir is not None else None
        for extra in ("README.md", "mining.json"):
            if src is not None and (src / extra).is_file():
                shutil.copyfile(src / extra, tmp / extra)
        (tmp / "config.json").write_text(json.dumps({
            "format": ONNX_FORMAT, "model": encoder.config.to_dict(), "tokenizer": "tokenizer.model",
            "normalization": NORMALIZATION, "source_model_id": encoder.model_id, "opset": opset,
            "onnx_sha256": file_sha256(tmp / "model.onnx")}, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
