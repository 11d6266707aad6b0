"""Package the AmericasNLP adaptation: pick how much of it to keep, measure it against the model it started from,
decide where it ships, write its card.

- The continued model forgets some of the original languages. The shipped weights are the interpolation
  α · adapted + (1 − α) · default (``ems_mine/training/interpolate.py``, WiSE-FT) with the largest α on a grid whose
  Tatoeba mean over the 12 best-covered original languages stays within half a point of the default model's;
- xSIM error against Spanish (ratio margin, k = 4, both directions) on each language's development split, held out
  from the training files by ``pipelines/corpus/americasnlp.py`` (the official dev and test sets are not in shared/);
- the original languages: Tatoeba on the 12 and xSIM error on 8 FLORES languages, for both models.

The adaptation starts from the bundled base model (``ems_mine/models/base``, what ``pipelines/train_default.sh``
trains). If the shipped model is no worse on the original languages — the 12-language Tatoeba mean within 1 point and
the FLORES xSIM error at most 1 point higher — and fits 60 MB, it becomes the default model (``ems_mine/models/default``,
its card with the quality issue's measures, its mining threshold calibrated again); otherwise the default model is the
base model and this one ships beside it as ``americasnlp`` (``--model americasnlp``), the card saying why.

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
from package_default import per_language_tables, quality_table, threshold_and_data  # noqa: E402
from quality import XSIM8, measure, tatoeba_all, xsim8  # noqa: E402

from ems_mine.bench.metrics import xsim_error  # noqa: E402
from ems_mine.bench.tatoeba import TOP12  # noqa: E402
from ems_mine.encoder import EMSEncoder  # noqa: E402
from ems_mine.encoders import bundled_models  # noqa: E402
from ems_mine.training.interpolate import interpolate  # noqa: E402

LIMIT_MB = 60
ALPHAS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1)
WORSE = "it is worse on the original languages (Tatoeba 12-language mean or FLORES xSIM error more than 1 point worse)"
MARGIN = 0.005   # Tatoeba 12-language mean the interpolation may lose: half of the 1 point the shipping rule allows


def dev_xsim(enc, data: Path) -> dict[str, float]:
    out = {}
    for name, code in americasnlp.LANGS.items():
        es, xx = americasnlp.dev_split(data, name)
        out[code] = float(np.mean(xsim_error(enc.encode(xx, normalize_embeddings=True), enc.encode(es, normalize_embeddings=True))))
    return out


def top12(enc, data: Path) -> float:
    return float(np.mean(list(tatoeba_all(enc, data / "eval/tatoeba", TOP12).values())))


def choose_alpha(base, tuned, data: Path, t_base: float) -> tuple[float, list[dict]]:
    """The largest α on the grid whose interpolation keeps the 12-language Tatoeba mean within MARGIN of the base
    model's (0 if none does), and every grid point measured."""
    grid = []
    for alpha in ALPHAS:
        enc = interpolate(base, tuned, alpha)
        grid.append({"alpha": alpha, "tatoeba_top12": top12(enc, data),
                     "dev_xsim": float(np.mean(list(dev_xsim(enc, data).values())))})
        print(json.dumps(grid[-1]), flush=True)
    ok = [g["alpha"] for g in grid if g["tatoeba_top12"] >= t_base - MARGIN]
    return (max(ok) if ok else 0.0), grid


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--stats", default="data/americasnlp/stats.json")
    args = ap.parse_args()
    data, run = Path(args.data), Path(args.run)
    models = HERE.parent / "ems_mine/models"
    base_dir = bundled_models()["base"]
    base, tuned = EMSEncoder.from_pretrained(base_dir, device="cpu"), EMSEncoder.from_pretrained(run, device="cpu")
    info = json.loads((run / "training.json").read_text())
    runinfo = json.loads((run / "run.json").read_text())
    t_base = top12(base, data)
    alpha, grid = choose_alpha(base, tuned, data, t_base)
    adapted = interpolate(base, tuned, alpha)
    tmp = models / ".adapted.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    objective = json.loads((run / "config.json").read_text()).get("objective")
    adapted.save_pretrained(tmp, card="(measuring)", objective=objective, half=True)
    adapted = EMSEncoder.from_pretrained(tmp, device="cpu")               # what ships: the fp16 weights
    size_mb = sum(f.stat().st_size for f in tmp.iterdir()) / 2**20
    x_base, x_new = dev_xsim(base, data), dev_xsim(adapted, data)
    q = measure(adapted, data)                                              # the quality issue's measures
    t_new, f_new = q["tatoeba_top12"], q["xsim8_error"]
    f_base = float(np.mean(list(xsim8(base, data / "eval/flores200-dev/flores-200-dev").values())))
    keeps = t_new >= t_base - 0.01 and f_new <= f_base + 0.01
    becomes_default = keeps and size_mb <= LIMIT_MB
    stats = json.loads(Path(args.stats).read_text()) if Path(args.stats).is_file() else None
    why = ("it is no worse on the original languages (Tatoeba 12-language mean within 1 point, FLORES xSIM error at most "
           "1 point higher) and fits the size limit, so it is the default model" if becomes_default else
           f"it is a second bundled model because {WORSE if not keeps else ''}"
           f"{' and ' if not keeps and size_mb > LIMIT_MB else ''}{f'it is {size_mb:.0f} MB' if size_mb > LIMIT_MB else ''}")
    intro = (f"The base model (`ems_mine/models/base`; its card has the training recipe, the corpus and the PyPI peers) "
             "adapted to ten indigenous languages of the Americas with `pipelines/adapt_americasnlp.sh`: "
             f"{runinfo.get('extend_vocab', 0):,} SentencePiece pieces of the new languages asked for (vocabulary now "
             f"{adapted.config.vocab_size:,}), training continued for {info['steps']:,} steps ({info['minutes']:.0f} min on "
             f"{info['device']}) on the AmericasNLP 2021 training pairs (Spanish pivot) mixed 1:1 with a replay sample of "
             f"the base model's own corpus; the weights shipped are {alpha:g} × the continued model + {1 - alpha:g} × "
             "the base model (WiSE-FT interpolation, `ems_mine/training/interpolate.py`; the added rows as trained), α "
             f"being the largest on the grid below that keeps the Tatoeba mean of the 12 best-covered languages within "
             f"{100 * MARGIN:g} point of the base model's.")
    adaptation = ["## xSIM error against Spanish on the held-out development splits (%)", "",
                  f"The last {americasnlp.DEV} lines of each language's sentence file, never trained on (ratio margin, "
                  "k = 4, mean of both directions).", "",
                  "| language | base model | this model |", "|---|---:|---:|"]
    adaptation += [f"| {c} | {100 * x_base[c]:.1f} | {100 * x_new[c]:.1f} |" for c in x_new]
    adaptation += [f"| **mean** | **{100 * np.mean(list(x_base.values())):.1f}** | "
                   f"**{100 * np.mean(list(x_new.values())):.1f}** |", "",
                   "## The original languages", "",
                   f"Tatoeba accuracy, mean over {', '.join(TOP12)}: base model {100 * t_base:.2f} %, this model "
                   f"{100 * t_new:.2f} %. xSIM error against English on 8 FLORES-200 dev languages ({', '.join(XSIM8)}): "
                   f"base model {100 * f_base:.1f} %, this model {100 * f_new:.1f} %.", "",
                   "## How much of the continued model to keep", "",
                   "| α | Tatoeba, 12 languages (%) | xSIM error against Spanish, dev (%) |", "|---:|---:|---:|"]
    adaptation += [f"| {g['alpha']:g} | {100 * g['tatoeba_top12']:.2f} | {100 * g['dev_xsim']:.1f} |" for g in grid]
    adaptation += [f"| 0 (base model) | {100 * t_base:.2f} | {100 * np.mean(list(x_base.values())):.1f} |", ""]
    if stats:
        adaptation += ["## AmericasNLP training pairs", "", "| source | pairs |", "|---|---:|"]
        adaptation += [f"| {s} | {v['pairs']:,} |" for s, v in stats["per_source"].items()]
        adaptation += ["", ", ".join(f"{k} {v['pairs']:,}" for k, v in stats["per_language"].items()), ""]
    adaptation += ["AmericasNLP 2021 official training data (per source; treat as non-commercial research data): see "
                   "`../shared/data/train/americasnlp2021-train/SOURCE.txt`.", ""]
    (tmp / "americasnlp.json").write_text(json.dumps({"alpha": alpha, "grid": grid,
                                                      "dev_xsim": {"base": x_base, "adapted": x_new},
                                                      "tatoeba_top12": {"base": t_base, "adapted": t_new},
                                                      "flores_xsim8": {"base": f_base, "adapted": f_new},
                                                      "size_mb": size_mb, "default": becomes_default}, indent=2))
    if becomes_default:                  # the default model's card: the quality issue's measures, then the adaptation
        lines = ["# ems-mine default model", "", intro, "", f"**Where it ships:** {why}.", "",
                 "## Quality", "", *quality_table(q), "", *adaptation, *per_language_tables(adapted, q), "",
                 *threshold_and_data()]
        (tmp / "tatoeba.json").write_text(json.dumps(q["tatoeba"], indent=2))
        (tmp / "quality.json").write_text(json.dumps(q, indent=2))
        target = models / "default"
        shutil.rmtree(models / "americasnlp", ignore_errors=True)
    else:
        lines = ["# ems-mine AmericasNLP model", "", intro, "", f"**Where it ships:** {why}.", "", *adaptation]
        target = models / "americasnlp"
        shutil.rmtree(models / "default", ignore_errors=True)
        shutil.copytree(base_dir, models / "default")                    # the default model is then the base model
    (tmp / "README.md").write_text("\n".join(lines), encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    if becomes_default:
        subprocess.run([sys.executable, str(HERE / "calibrate_threshold.py"), "--model", str(target), "--data", str(data)], check=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
