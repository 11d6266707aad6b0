"""Training throughput (pairs/s): forward + backward + AdamW step of the EMS objective, fp32 against bf16
autocast, and XTR's softmax over the full vocabulary against the batch's tokens, side by side in one process
on real NTREX de–en pairs tokenised by the bundled model's tokenizer.

    python benchmarks/train_speed.py --data ../shared/data [--steps 8] [--batch-size 128] [--device cpu]

Rows: each preset with XTR (full and in-batch softmax) and the contrastive loss; the bag-of-embeddings recipe
of the bundled model (no layers, contrastive only). bf16 rows run only where bf16 is fast
(``ems_mine/precision.py``: a GPU, or a CPU with AVX512-BF16 / AMX); elsewhere they are skipped and say so.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from results import RESULTS, append_results  # noqa: E402

from ems_mine.config import PRESETS, ModelConfig, TrainConfig  # noqa: E402
from ems_mine.encoder import EMSEncoder  # noqa: E402
from ems_mine.precision import autocast, bf16_is_fast  # noqa: E402
from ems_mine.training.objective import EMSObjective  # noqa: E402

BAG = ModelConfig(vocab_size=64000, max_len=48, n_layers=0, d_model=256, n_heads=4, d_ffn=1024, dropout=0.0, proj_dim=0)


def rows() -> list[tuple[str, ModelConfig, TrainConfig]]:
    out = [("bag (bundled recipe)", BAG, TrainConfig(xtr_weight=0.0, temperature=0.05)),
           ("bag + XTR (batch)", BAG, TrainConfig(temperature=0.05))]
    for name in ("ems-tiny", "ems-mini", "ems-small", "ems-base"):
        cfg = PRESETS[name]
        out.append((f"{name} + XTR (full)", cfg, TrainConfig(xtr_softmax="full")))
        out.append((f"{name} + XTR (batch)", cfg, TrainConfig(xtr_softmax="batch")))
    return out


def throughput(cfg: ModelConfig, tcfg: TrainConfig, precision: str, src, tgt, args) -> float:
    torch.manual_seed(0)
    cfg = dataclasses.replace(cfg, languages=("deu", "eng"))
    model = EMSObjective(cfg, tcfg).to(args.device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    lang = torch.zeros(args.batch_size, dtype=torch.long, device=args.device)
    # the tokenizer's ids folded into the preset's vocabulary (never 0, the pad id)
    fold = [[1 + (t - 1) % (cfg.vocab_size - 1) for t in s[: cfg.max_len]] for s in src + tgt]
    import numpy as np

    a = [np.array(s, dtype=np.int32) for s in fold[: len(src)]]
    b = [np.array(s, dtype=np.int32) for s in fold[len(src):]]

    def step(i: int) -> None:
        r = range(i * args.batch_size, (i + 1) * args.batch_size)
        with autocast(precision, args.device):
            loss = model([a[j % len(a)] for j in r], [b[j % len(b)] for j in r], lang, lang + 1)["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for i in range(2):                                   # warm-up
        step(i)
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for i in range(2, 2 + args.steps):
        step(i)
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    return args.steps * args.batch_size / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--only", default="", help="comma-separated row-name prefixes to run (default: all)")
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--results", default=str(RESULTS))
    args = ap.parse_args()
    root = Path(args.data) / "train/ntrex128/NTREX-128"
    de = (root / "newstest2019-ref.deu.txt").read_text(encoding="utf-8").splitlines()
    en = (root / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    tok = EMSEncoder.from_pretrained(device="cpu").tokenizer
    tok.max_len = 120
    src, tgt = tok.encode(de), tok.encode(en)
    fast = bf16_is_fast(args.device)
    lines = ["| configuration | fp32 pairs/s | bf16 pairs/s | bf16 / fp32 |", "|---|---:|---:|---:|"]
    for name, cfg, tcfg in rows():
        if args.only and not any(name.startswith(p) for p in args.only.split(",")):
            continue
        r32 = throughput(cfg, tcfg, "fp32", src, tgt, args)
        r16 = throughput(cfg, tcfg, "bf16", src, tgt, args) if fast else float("nan")
        lines.append(f"| {name} | {r32:.1f} | {r16:.1f} | {r16 / r32:.2f} |" if fast else f"| {name} | {r32:.1f} | (no fast bf16) | |")
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    print(table)
    append_results(f"Training throughput, fp32 and bf16 ({args.device})",
                   f"NTREX de–en pairs, batch {args.batch_size}, {args.steps} timed steps after two warm-up steps; "
                   "each row's model built fresh, fp32 and bf16 in the same process.", table, args.results)


if __name__ == "__main__":
    main()
