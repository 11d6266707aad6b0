"""Training throughput (pairs/s) of each preset: forward + backward + AdamW step of the full EMS
objective (encoder, XTR head over the preset's vocabulary, contrastive projection) on real NTREX
pairs tokenised by the default tokenizer. CPU by default; ``--device cuda`` where a GPU is available.

    python benchmarks/train_speed.py --data ../shared/data [--steps 5] [--batch-size 32]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from results import RESULTS, append_results  # noqa: E402

from ems_mine.config import PRESETS, TrainConfig  # noqa: E402
from ems_mine.encoder import EMSEncoder  # noqa: E402
from ems_mine.training.objective import EMSObjective  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--presets", default="ems-tiny,ems-mini,ems-small,ems-base")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--results", default=str(RESULTS))
    args = ap.parse_args()
    root = Path(args.data) / "train/ntrex128/NTREX-128"
    de = (root / "newstest2019-ref.deu.txt").read_text(encoding="utf-8").splitlines()
    en = (root / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    tok = EMSEncoder.from_pretrained(device="cpu").tokenizer
    rates = {}
    for name in args.presets.split(","):
        cfg = PRESETS[name]
        tok.max_len = cfg.max_len
        # the default tokenizer's ids folded into the preset's vocabulary (never 0, the pad id)
        src, tgt = ([[1 + (t - 1) % (cfg.vocab_size - 1) for t in s] for s in tok.encode(side)] for side in (de, en))
        torch.manual_seed(0)
        model = EMSObjective(cfg.__class__(**{**cfg.to_dict(), "languages": ("deu", "eng")}), TrainConfig()).to(args.device)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        lang = torch.zeros(args.batch_size, dtype=torch.long, device=args.device)
        amp = torch.autocast("cuda", dtype=torch.bfloat16) if args.device.startswith("cuda") else torch.autocast("cpu", enabled=False)

        def step(i: int, model=model, opt=opt, amp=amp, src=src, tgt=tgt, lang=lang) -> None:
            rows = range(i * args.batch_size, (i + 1) * args.batch_size)
            with amp:
                loss = model([src[r] for r in rows], [tgt[r] for r in rows], lang, lang + 1)["loss"]
            opt.zero_grad()
            loss.backward()
            opt.step()

        step(0)                                                          # warm-up
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for i in range(1, args.steps + 1):
            step(i)
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        rates[name] = args.steps * args.batch_size / (time.perf_counter() - t0)
        print(f"{name}: {rates[name]:.1f} pairs/s", flush=True)
    ref = rates[args.presets.split(",")[0]]
    lines = ["| preset | pairs/s | relative to the first |", "|---|---:|---:|"]
    lines += [f"| {n} | {r:.1f} | {r / ref:.3f} |" for n, r in rates.items()]
    table = "\n".join(lines)
    print(table)
    append_results(f"Training throughput ({args.device})", f"NTREX de–en pairs, batch {args.batch_size}, "
                   f"{args.steps} timed steps after one warm-up.", table, args.results)

if __name__ == "__main__":
    main()
