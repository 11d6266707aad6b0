"""Encoding speed on the same Tatoeba sentences, same batch size and threads: the default model (PyTorch, and its
ONNX export on onnxruntime), ems-mini- and ems-base-size EMS encoders in fp32 and with bf16 autocast (where the CPU is
fast at bf16), a LaBSE-size encoder (BERT-base, 501k vocabulary), a LASER-size encoder (5-layer BiLSTM, 512 per
direction, max-pooled) and the two PyPI peers. Random weights where the speed does not depend on them, fed the
default tokenizer's ids. Ratios are to the default model.

    python benchmarks/encode_speed.py --data ../shared/data [--sentences 2000] [--batch-size 64]
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from peers import load_peers  # noqa: E402
from results import RESULTS, append_results  # noqa: E402

from ems_mine.bench.tatoeba import load_pair  # noqa: E402
from ems_mine.config import PRESETS  # noqa: E402
from ems_mine.encoder import EMSEncoder, embed_token_ids, pad_batch  # noqa: E402
from ems_mine.model import EMSModel  # noqa: E402


class LaserSize(nn.Module):
    """LASER's encoder shape: 320-d BPE embeddings (50k), 5-layer BiLSTM of 512 per direction, max-pool."""

    def __init__(self, vocab: int = 50_000):
        super().__init__()
        self.emb = nn.Embedding(vocab, 320, padding_idx=0)
        self.lstm = nn.LSTM(320, 512, num_layers=5, bidirectional=True, batch_first=True)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(self.emb(ids))                                  # (B, T, 1024)
        return h.masked_fill((ids == 0).unsqueeze(-1), -torch.inf).max(1).values


class TokenIdsModel:
    """Runs a torch module on the default tokenizer's ids, longest first (as EMSEncoder.encode does)."""

    def __init__(self, name: str, module: nn.Module, tokenizer, call=None, precision: str = "fp32"):
        self.name, self.module, self.tokenizer, self.call, self.precision = name, module.eval(), tokenizer, call, precision

    @torch.inference_mode()
    def encode(self, sentences, batch_size=64):
        ids = self.tokenizer.encode(sentences)
        if self.call is None:
            return embed_token_ids(self.module, ids, batch_size, self.precision)
        order = np.argsort([-len(s) for s in ids], kind="stable")
        return [self.call(self.module, pad_batch([ids[i] for i in order[s:s + batch_size]]))
                for s in range(0, len(ids), batch_size)]


def labse_size():
    from transformers import BertConfig, BertModel

    cfg = BertConfig(vocab_size=501_153, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
    return BertModel(cfg), lambda m, ids: m(input_ids=ids, attention_mask=(ids != 0).long()).last_hidden_state.mean(1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--sentences", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--model", help="EMS model directory to time as the reference (default: the bundled model)")
    ap.add_argument("--results", default=str(RESULTS))
    args = ap.parse_args()
    torch.manual_seed(0)
    sents = []
    for lang in ("deu", "fra", "spa", "rus", "jpn"):
        xx, en = load_pair(Path(args.data) / "eval/tatoeba", lang)
        sents += xx[:200] + en[:200]
    sents = (sents * (args.sentences // len(sents) + 1))[: args.sentences]
    default = EMSEncoder.from_pretrained(args.model, device="cpu")
    models = [("default model", default)]
    try:
        import tempfile

        from ems_mine.onnx_encoder import ONNXEncoder

        onnx_dir = Path(tempfile.mkdtemp()) / "onnx"
        default.export_onnx(onnx_dir)
        models.append(("default model, ONNX export (onnxruntime)", ONNXEncoder(onnx_dir)))
    except Exception as e:  # noqa: BLE001 - onnx is an optional extra
        print(f"(no ONNX row: {e})")
    vocab = default.tokenizer.vocab_size       # the random models take the default tokenizer's ids
    from ems_mine.precision import cpu_has_bf16

    for preset in ("ems-mini", "ems-base"):
        cfg = dataclasses.replace(PRESETS[preset], vocab_size=max(PRESETS[preset].vocab_size, vocab), dropout=0.0)
        m = EMSModel(cfg)
        models.append((f"{preset} size (random), fp32", TokenIdsModel(preset, m, default.tokenizer)))
        if cpu_has_bf16():
            models.append((f"{preset} size (random), bf16 autocast", TokenIdsModel(preset, m, default.tokenizer, precision="auto")))
    bert, call = labse_size()
    models.append(("LaBSE size (random)", TokenIdsModel("labse", bert, default.tokenizer, call)))
    models.append(("LASER size (random)", TokenIdsModel("laser", LaserSize(max(50_000, vocab)), default.tokenizer, lambda m, ids: m(ids))))
    models += [(p.name, p) for p in load_peers()]
    rates = {}
    for name, m in models:
        m.encode(sents[:64], batch_size=args.batch_size)                   # warm-up
        t0 = time.perf_counter()
        m.encode(sents, batch_size=args.batch_size)
        rates[name] = len(sents) / (time.perf_counter() - t0)
        print(f"{name}: {rates[name]:.1f} sentences/s", flush=True)
    ref = rates["default model"]
    lines = ["| encoder | sentences/s | default model is faster by |", "|---|---:|---:|"]
    lines += [f"| {n} | {r:.1f} | {ref / r:.2f}× |" for n, r in rates.items()]
    table = "\n".join(lines)
    print(table)
    append_results("Encoding speed (CPU)", f"{len(sents)} Tatoeba sentences (deu, fra, spa, rus, jpn and English), "
                   f"batch size {args.batch_size}; fp32 unless the row says bf16.", table, args.results)

if __name__ == "__main__":
    main()
