"""Text normalisation: NFKC with case folding (``nmt_nfkc_cf``, our choice) against NFKC alone.

Trains the same small model twice on the same pairs, once per tokenizer normalisation, and compares
Tatoeba accuracy (mean of both directions) and tokens per sentence. Appends the table to RESULTS.md.

    python benchmarks/normalization.py --data ../shared/data --steps 400
"""
from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from results import RESULTS, append_results  # noqa: E402

from ems_mine import tokenizer as tok_mod  # noqa: E402
from ems_mine.bench.tatoeba import load_pair, tatoeba_accuracy  # noqa: E402
from ems_mine.config import PRESETS, TrainConfig  # noqa: E402
from ems_mine.encoder import EMSEncoder  # noqa: E402
from ems_mine.training import trainer  # noqa: E402

LANGS = {"deu": "deu", "fra": "fra", "spa": "spa", "rus": "rus", "ces": "ces"}  # NTREX code → Tatoeba code


def ntrex_pairs(data: Path) -> pa.Table:
    root = data / "train/ntrex128/NTREX-128"
    eng = (root / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    rows = {"src_lang": [], "src": [], "tgt_lang": [], "tgt": []}
    for lang in LANGS:
        for a, b in zip((root / f"newstest2019-ref.{lang}.txt").read_text(encoding="utf-8").splitlines(), eng):
            for k, v in zip(rows, (lang, a, "eng", b)):
                rows[k].append(v)
    return pa.table(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--results", default=str(RESULTS))
    args = ap.parse_args()
    data = Path(args.data)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        pairs = Path(tmp) / "pairs.parquet"
        pq.write_table(ntrex_pairs(data), pairs)
        for rule in ("nmt_nfkc_cf", "nmt_nfkc"):
            trainer.train_tokenizer = functools.partial(tok_mod.train_tokenizer, normalization=rule)
            t0 = time.monotonic()
            out = trainer.train(pairs, Path(tmp) / rule, PRESETS["ems-tiny"],
                                TrainConfig(batch_size=64, lr=1e-3, warmup_steps=40, val_pairs=200, tokenizer_sample=20000),
                                max_steps=args.steps, progress=False)
            enc = EMSEncoder.from_pretrained(out, device="cpu")
            accs = {lang: np.mean(list(tatoeba_accuracy(enc, data / "eval/tatoeba", lang).values())) for lang in LANGS.values()}
            toks = np.mean([len(t) for lang in LANGS.values() for t in enc.tokenizer.encode(load_pair(data / "eval/tatoeba", lang)[0])])
            rows.append((rule, accs, toks, time.monotonic() - t0))
    header = "| normalisation | " + " | ".join(LANGS.values()) + " | mean | tokens/sentence | minutes |"
    lines = [header, "|" + "---|" * (len(LANGS) + 4)]
    for rule, accs, toks, secs in rows:
        lines.append(f"| `{rule}` | " + " | ".join(f"{100 * accs[lang]:.1f}" for lang in LANGS.values())
                     + f" | {100 * np.mean(list(accs.values())):.1f} | {toks:.1f} | {secs / 60:.1f} |")
    table = "\n".join(lines)
    print(table)
    append_results("Text normalisation (Tatoeba accuracy %, mean of both directions)",
                   f"ems-tiny, {args.steps} steps of 64 NTREX pairs ({', '.join(LANGS)} with English), same seed.", table, args.results)

if __name__ == "__main__":
    main()
