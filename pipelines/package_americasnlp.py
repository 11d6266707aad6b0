"""Package the AmericasNLP adaptation: measure it against the model it started from, decide where it ships, write its
card.

- xSIM error against Spanish (ratio margin, k = 4, both directions) on each language's development split, held out
  from the training files by ``pipelines/corpus/americasnlp.py`` (the official dev and test sets are not in shared/);
- Tatoeba accuracy on the 12 best-covered original languages, for both models.

If the adapted model keeps the 12-language Tatoeba mean within 1 point of the default model and fits 60 MB, it becomes
the default model (its mining threshold calibrated again); otherwise it ships beside it as ``americasnlp``
(``--model americasnlp``) and the card says why.

    python pipelines/package_americasnlp.py --run runs/americasnlp --data ../shared/data
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "benchmarks"))
from corpus import americasnlp  # noqa: E402
from quality import tatoeba_all  # noqa: E402

from ems_mine.bench.metrics import xsim_error  # noqa: E402
from ems_mine.bench.tatoeba import TOP12  # noqa: E402
from ems_mine.encoder import EMSEncoder  # noqa: E402
from ems_mine.encoders import bundled_models  # noqa: E402

LIMIT_MB = 60


def dev_xsim(enc, data: Path) -> dict[str, float]:
    out = {}
    for name, code in americasnlp.LANGS.items():
        es, xx = americasnlp.dev_split(data, name)
        out[code] = float(np.mean(xsim_error(enc.encode(xx, normalize_embeddings=True), enc.encode(es, normalize_embeddings=True))))
    return out


def top12(enc, data: Path) -> float:
    return float(np.mean(list(tatoeba_all(enc, data / "eval/tatoeba", TOP12).values())))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--stats", default="data/americasnlp/stats.json")
    args = ap.parse_args()
    data, run = Path(args.data), Path(args.run)
    base_dir = bundled_models()["default"]
    base, adapted = EMSEncoder.from_pretrained(base_dir, device="cpu"), EMSEncoder.from_pretrained(run, device="cpu")
    info = json.loads((run / "training.json").read_text())
    runinfo = json.loads((run / "run.json").read_text())
    x_base, x_new = dev_xsim(base, data), dev_xsim(adapted, data)
    t_base, t_new = top12(base, data), top12(adapted, data)
    tmp = HERE.parent / "ems_mine/models/.americasnlp.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    adapted.save_pretrained(tmp, card="(measuring)", half=True)
    size_mb = sum(f.stat().st_size for f in tmp.iterdir()) / 2**20
    keeps = t_new >= t_base - 0.01
    becomes_default = keeps and size_mb <= LIMIT_MB
    stats = json.loads(Path(args.stats).read_text()) if Path(args.stats).is_file() else None
    why = ("it keeps the original languages (Tatoeba 12-language mean within 1 point) and fits the size limit, so it is "
           "the default model now" if becomes_default else
           f"it is a second bundled model because {'it lost more than 1 point on the original languages' if not keeps else ''}"
           f"{' and ' if not keeps and size_mb > LIMIT_MB else ''}{f'it is {size_mb:.0f} MB' if size_mb > LIMIT_MB else ''}")
    lines = ["# ems-mine AmericasNLP model", "",
             f"The bundled default model adapted to ten indigenous languages of the Americas with `pipelines/adapt_americasnlp.sh`: "
             f"{runinfo.get('extend_vocab', 0):,} SentencePiece pieces of the new languages asked for (vocabulary now "
             f"{adapted.config.vocab_size:,}), training continued for {info['steps']:,} steps ({info['minutes']:.0f} min on "
             f"{info['device']}) on the AmericasNLP 2021 training pairs (Spanish pivot) mixed 1:1 with a replay sample of "
             "the default model's own corpus.", "",
             f"**Where it ships:** {why}.", "",
             "## xSIM error against Spanish on the held-out development splits (%)", "",
             f"The last {americasnlp.DEV} lines of each language's sentence file, never trained on (ratio margin, k = 4, "
             "mean of both directions).", "",
             "| language | default model | this model |", "|---|---:|---:|"]
    lines += [f"| {c} | {100 * x_base[c]:.1f} | {100 * x_new[c]:.1f} |" for c in x_new]
    lines += [f"| **mean** | **{100 * np.mean(list(x_base.values())):.1f}** | **{100 * np.mean(list(x_new.values())):.1f}** |", "",
              "## The original languages", "",
              f"Tatoeba accuracy, mean over {', '.join(TOP12)}: default model {100 * t_base:.1f} %, this model {100 * t_new:.1f} %.", ""]
    if stats:
        lines += ["## Training pairs", "", "| source | pairs |", "|---|---:|"]
        lines += [f"| {s} | {v['pairs']:,} |" for s, v in stats["per_source"].items()]
        lines += ["", ", ".join(f"{k} {v['pairs']:,}" for k, v in stats["per_language"].items()), ""]
    lines += ["Data: AmericasNLP 2021 official training data (per source; treat as non-commercial research data), see "
              "`../shared/data/train/americasnlp2021-train/SOURCE.txt`.", ""]
    (tmp / "README.md").write_text("\n".join(lines), encoding="utf-8")
    (tmp / "americasnlp.json").write_text(json.dumps({"dev_xsim": {"default": x_base, "adapted": x_new},
                                                      "tatoeba_top12": {"default": t_base, "adapted": t_new},
                                                      "size_mb": size_mb, "default": becomes_default}, indent=2))
    target = base_dir if becomes_default else HERE.parent / "ems_mine/models/americasnlp"
    if becomes_default:
        shutil.copyfile(base_dir / "README.md", tmp / "README.default-before.md")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    if becomes_default:
        subprocess.run([sys.executable, str(HERE / "calibrate_threshold.py"), "--model", str(target), "--data", str(data)], check=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
