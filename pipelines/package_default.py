"""Package a training run as the bundled default model: fp16 weights, Tatoeba numbers in the card.

    python pipelines/package_default.py --run runs/default --data ../shared/data --corpus-stats data/train-pairs/stats.json
"""
from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ems_mine.bench.tatoeba import TOP12, tatoeba_accuracy  # noqa: E402
from ems_mine.encoder import DEFAULT_MODEL_DIR, EMSEncoder  # noqa: E402
from ems_mine.errors import UserError  # noqa: E402
from ems_mine.languages import normalize_lang  # noqa: E402


def tatoeba_table(enc: EMSEncoder, tatoeba: Path) -> dict[str, dict[str, float]]:
    results = {}
    for f in sorted(tatoeba.glob("tatoeba.*-eng.eng")):
        code = f.name.split(".")[1].split("-")[0]
        try:
            canon = normalize_lang(code)
        except UserError:
            continue
        if canon in enc.languages or canon.split("_")[0] in enc.languages:
            results[code] = tatoeba_accuracy(enc, tatoeba, code)
    return results


def _objective(t: dict) -> str:
    parts = [f"{w:g} × {name}" for name, w in (("XTR", t["xtr_weight"]), ("contrastive", t["contrastive_weight"])) if w > 0]
    if t.get("distill_weight", 0) > 0:
        parts.append(f"{t['distill_weight']:g} × distillation towards `{t['teacher_targets']}`")
    return " + ".join(parts)


def _hardware(info: dict) -> str:
    if "threads" in info:
        return f"{info['device']} ({platform.machine()}, {info['threads']} of {info['cpus']} CPU threads)"
    return f"{info['device']} ({platform.machine()})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True, help="a model directory written by `ems-mine train`")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--corpus-stats", help="stats.json written by prepare_corpus.py")
    ap.add_argument("--out", default=str(DEFAULT_MODEL_DIR))
    ap.add_argument("--recipe", default="pipelines/train_default.sh")
    ap.add_argument("--hardware", help="how the run was trained, for the card (default: from training.json)")
    ap.add_argument("--minutes", type=float, help="total training minutes (default: from training.json)")
    ap.add_argument("--note", action="append", default=[], help="an extra line for the card's Training section")
    args = ap.parse_args()
    run, out = Path(args.run), Path(args.out)
    enc = EMSEncoder.from_pretrained(run, device="cpu")
    info = json.loads((run / "training.json").read_text())
    tat = tatoeba_table(enc, Path(args.data) / "eval/tatoeba")
    mean = {k: float(np.mean(list(v.values()))) for k, v in tat.items()}
    top = [mean[c] for c in TOP12 if c in mean]
    stats = json.loads(Path(args.corpus_stats).read_text()) if args.corpus_stats else None
    cfg = enc.config
    lines = [
        "# ems-mine default model", "",
        f"An EMS encoder ({cfg.describe()}; SentencePiece tokenizer; {cfg.d_model}-d embeddings; fp16 weights) "
        f"trained from scratch with {_objective(info['train'])} by `ems-mine train`.", "",
        "## Training", "",
        f"- Recipe: `{args.recipe}` (corpus from `pipelines/prepare_corpus.py`).",
        f"- {info['steps']} steps of {info['train']['batch_size']} pairs ({info['steps'] * info['train']['batch_size']:,} pairs seen) "
        f"in {args.minutes or info['minutes']:.0f} min on {args.hardware or _hardware(info)}.",
        f"- Held-out retrieval accuracy on {info['val_pairs']} training-distribution pairs: {100 * info['val_accuracy']:.1f} %.",
    ] + [f"- {note}" for note in args.note]
    if stats:
        lines += [f"- Corpus: {stats['pairs']:,} xx–en pairs in {stats['languages']} languages "
                  "(Bibles, NLLB-Seed, NTREX-128; Tatoeba and FLORES sentences removed).", "",
                  "| language | pairs |", "|---|---:|"]
        lines += [f"| {lang} | {v['pairs']:,} |" for lang, v in stats["per_language"].items()]
    lines += ["", "## Tatoeba accuracy (%)", "",
              f"Measured {time.strftime('%Y-%m-%d')} with `python pipelines/package_default.py` (cosine nearest neighbour over "
              "each language's set, both directions). Mean of both directions over the 12 languages with the most "
              f"training data ({', '.join(TOP12)}): **{100 * np.mean(top):.1f} %**; over all {len(mean)} covered "
              f"languages: {100 * np.mean(list(mean.values())):.1f} %.", "",
              "| language | xx→en | en→xx | mean |", "|---|---:|---:|---:|"]
    lines += [f"| {c} | {100 * v['xx2en']:.1f} | {100 * v['en2xx']:.1f} | {100 * mean[c]:.1f} |"
              for c, v in sorted(tat.items(), key=lambda kv: -mean[kv[0]])]
    lines += ["", "## Next to the PyPI peers (12 languages, Tatoeba accuracy / xSIM error on FLORES-200 dev, %)", "",
              "Filled in by `python benchmarks/compare_peers.py --data ../shared/data --card ems_mine/models/default/README.md`.",
              "<!-- peers -->", "(not measured yet)", "<!-- peers -->"]
    lines += ["", "Data: see `../shared/data/*/SOURCE.txt` for sources and licences (Bible texts PD/CC0/CC BY/CC BY-SA, "
              "NLLB-Seed and NTREX-128 CC BY-SA 4.0, Tatoeba CC BY 2.0 FR).", ""]
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    enc.save_pretrained(tmp, card="\n".join(lines), half=True)
    (tmp / "tatoeba.json").write_text(json.dumps(tat, indent=2))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
