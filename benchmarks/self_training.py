"""Self-training measured honestly: rounds of `ems-mine self-train` on a comparable corpus built from real data for a
language the bundled model is weak in, and per round

- mining F1 on that pool (best-F1 threshold over the mined candidates, the gold being the hidden FLORES pairs),
- Tatoeba accuracy of that language (its sentences are not in the pool),
- the mean Tatoeba accuracy over the 12 best-covered languages (forgetting).

The pool: ``--gold`` FLORES-200 dev sentences of the language with their English lines, hidden among non-parallel
sentences — NTREX-128 lines of the language on one side; the other FLORES English lines and NTREX English lines of
other rows on the other — so that only the gold pairs are translations of each other.

    python benchmarks/self_training.py --lang cym --data ../shared/data [--rounds 2] [--steps 300] [--seed-ratio 4]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from quality import tatoeba_all  # noqa: E402
from results import RESULTS, append_results  # noqa: E402

from ems_mine.bench.metrics import best_threshold  # noqa: E402
from ems_mine.bench.tatoeba import TOP12  # noqa: E402
from ems_mine.encoders import load_encoder  # noqa: E402
from ems_mine.mining.api import mine_sentences  # noqa: E402


def build_pool(data: Path, lang: str, flores: str, ntrex: str, gold: int, noise: int):
    fl = data / "eval/flores200-dev/flores-200-dev"
    nt = data / "train/ntrex128/NTREX-128"
    xx, en = (fl / f"{flores}.dev").read_text(encoding="utf-8").splitlines(), (fl / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()
    nxx = (nt / f"newstest2019-ref.{ntrex}.txt").read_text(encoding="utf-8").splitlines()
    nen = (nt / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    src = xx[:gold] + nxx[:noise]
    tgt = en[:gold] + en[gold:] + nen[noise:]
    rng = np.random.default_rng(0)
    ps, pt = rng.permutation(len(src)), rng.permutation(len(tgt))
    src, tgt = [src[i] for i in ps], [tgt[i] for i in pt]
    inv_s, inv_t = np.argsort(ps), np.argsort(pt)
    gold_pairs = {(int(inv_s[i]), int(inv_t[i])) for i in range(gold)}
    return src, tgt, gold_pairs


def measure(model: str, data: Path, lang: str, src, tgt, gold_pairs) -> dict:
    enc = load_encoder(model, device="cpu")
    pairs = mine_sentences(src, tgt, lang, "en", encoder=enc, threshold=None, dedup=False)
    scores = np.array([p[0] for p in pairs], dtype=np.float32)
    correct = np.array([(p[1], p[2]) in gold_pairs for p in pairs])
    f1 = best_threshold(scores, correct, len(gold_pairs))["f1"]
    tat = data / "eval/tatoeba"
    acc = tatoeba_all(enc, tat, (lang, *TOP12))
    return {"f1": f1, "tatoeba_lang": acc[lang], "tatoeba_top12": float(np.mean([acc[c] for c in TOP12]))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lang", default="cym", help="Tatoeba code of the weak language")
    ap.add_argument("--flores", help="its FLORES stem (default: <lang>_Latn)")
    ap.add_argument("--ntrex", help="its NTREX code (default: the Tatoeba code)")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--gold", type=int, default=300)
    ap.add_argument("--noise", type=int, default=1500)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seed-ratio", type=float, default=4.0)
    ap.add_argument("--seed-pairs", default="data/train-pairs/mix.parquet")
    ap.add_argument("--no-freeze", action="store_true", help="let self-training move the whole model")
    ap.add_argument("--threshold", type=float, help="mining threshold (default: the model's calibrated one)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a training setting (repeatable)")
    ap.add_argument("--out", help="keep the rounds here (default: a temporary directory)")
    ap.add_argument("--results", default=str(RESULTS))
    args = ap.parse_args()
    data = Path(args.data)
    src, tgt, gold = build_pool(data, args.lang, args.flores or f"{args.lang}_Latn", args.ntrex or args.lang, args.gold, args.noise)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out or Path(tmp) / "st")
        out.parent.mkdir(parents=True, exist_ok=True)
        (Path(tmp) / "src.txt").write_text("\n".join(src) + "\n", encoding="utf-8")
        (Path(tmp) / "tgt.txt").write_text("\n".join(tgt) + "\n", encoding="utf-8")
        cmd = [sys.executable, "-m", "ems_mine.cli", "self-train", "--src", args.lang, "--tgt", "en",
               "--src-corpus", str(Path(tmp) / "src.txt"), "--tgt-corpus", str(Path(tmp) / "tgt.txt"), "--init", "default",
               "--rounds", str(args.rounds), "--steps", str(args.steps), "--seed-pairs", args.seed_pairs,
               "--seed-ratio", str(args.seed_ratio), "-o", str(out), "-q"] + (["--no-freeze"] if args.no_freeze else [])
        cmd += ["--threshold", str(args.threshold)] if args.threshold else []
        cmd += [x for kv in args.set for x in ("--set", kv)]
        subprocess.run(cmd, check=True)
        report = json.loads((out / "report.json").read_text())
        rows = []
        for r in report["rounds"]:
            m = measure(r["model"], data, args.lang, src, tgt, gold)
            rows.append({**m, "round": r["round"], "pairs": r["pairs"], "minutes": r["minutes"]})
            print(json.dumps(rows[-1]), flush=True)
    lines = [f"| round | pairs mined | mining F1 on the pool | Tatoeba {args.lang} | Tatoeba top-12 mean | minutes |",
             "|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['round']} | {r['pairs'] or ''} | {100 * r['f1']:.1f} | {100 * r['tatoeba_lang']:.1f} | "
              f"{100 * r['tatoeba_top12']:.2f} | {r['minutes']:.1f} |" for r in rows]
    table = "\n".join(lines)
    print(table)
    append_results(f"Self-training on a comparable {args.lang}–en corpus",
                   f"{args.gold} FLORES-200 dev {args.lang}–eng pairs hidden among {args.noise} NTREX-128 {args.lang} lines and "
                   f"{997 - args.gold + 1997 - args.noise} other English lines; `ems-mine self-train` from the bundled model, "
                   f"{args.rounds} rounds of {args.steps} steps, {args.seed_ratio:g} seed pairs (the default model's corpus) "
                   "per mined pair, " + ("the whole model trained" if args.no_freeze else "only the rows of the language's own "
                   "pieces trained (`--freeze`)") + (f", settings {' '.join(args.set)}" if args.set else ", a tenth of the "
                   "model's learning rate") + "; F1 at the best threshold over each round's candidates.", table, args.results)


if __name__ == "__main__":
    main()
