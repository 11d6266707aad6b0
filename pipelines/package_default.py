"""Package a training run as the bundled base model (``ems_mine/models/base``; the default model is it adapted by
``pipelines/adapt_americasnlp.sh``): fp16 weights, and a card with the corpus, the recipe, Tatoeba
accuracy for all 112 languages (those without training data marked), xSIM and a constructed BUCC-style check.

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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from quality import XSIM8, measure  # noqa: E402

from ems_mine.bench.tatoeba import TOP12  # noqa: E402
from ems_mine.encoder import DEFAULT_MODEL_DIR, EMSEncoder  # noqa: E402
from ems_mine.errors import UserError  # noqa: E402
from ems_mine.languages import normalize_lang  # noqa: E402


def _objective(t: dict) -> str:
    losses = [(name, w) for name, w in (("XTR", t["xtr_weight"]), ("the contrastive loss", t["contrastive_weight"])) if w > 0]
    if len(losses) == 1:
        return f"{losses[0][0]} alone (weight {losses[0][1]:g})"
    return " + ".join(f"{w:g} × {name}" for name, w in losses)


def _hardware(info: dict) -> str:
    if "threads" in info:
        return f"{info['device']} ({platform.machine()}, {info['threads']} of {info['cpus']} CPU threads, {info.get('precision', 'fp32')})"
    return f"{info['device']} ({platform.machine()})"


def _covered(code: str, languages) -> bool:
    try:
        canon = normalize_lang(code)
    except UserError:
        return False
    return canon in languages or canon.split("_")[0] in languages or (canon == "zho" and "zho_Hant" in languages)


def quality_table(q: dict) -> list[str]:
    """The quality issue's four measures as a card table."""
    return [f"Measured {time.strftime('%Y-%m-%d')} by `python benchmarks/quality.py` (the quality issue's measures):", "",
            "| measure | value |", "|---|---:|",
            f"| Tatoeba accuracy, mean over all {len(q['tatoeba'])} languages (both directions) | **{100 * q['tatoeba_all']:.1f} %** |",
            f"| Tatoeba accuracy, the 12 best-covered ({', '.join(TOP12)}) | **{100 * q['tatoeba_top12']:.1f} %** |",
            f"| xSIM error on FLORES-200 dev, {len(XSIM8)} languages ({', '.join(XSIM8)}) | **{100 * q['xsim8_error']:.1f} %** |",
            f"| F1 on a constructed BUCC-style zh–en set (FLORES dev, not BUCC) | {100 * q['bucc_zh_f1_constructed']:.1f} |"]


def per_language_tables(enc: EMSEncoder, q: dict) -> list[str]:
    """Tatoeba accuracy for every language (those without training data marked) and the xSIM errors."""
    tat = q["tatoeba"]
    covered = {c for c in tat if _covered(c, enc.languages)}
    lines = [f"## Tatoeba accuracy (%), all {len(tat)} languages", "",
             "Cosine nearest neighbour over each language's set, mean of xx→en and en→xx. "
             f"{len(tat) - len(covered)} languages have no training data (marked —); the embedding of any language "
             "is computed all the same (a warning names it).", "",
             "| language | accuracy | training data |", "|---|---:|---|"]
    lines += [f"| {c} | {100 * tat[c]:.1f} | {'yes' if c in covered else '—'} |" for c in sorted(tat, key=lambda c: -tat[c])]
    lines += ["", "## xSIM error on FLORES-200 dev (%)", "", "| language | error |", "|---|---:|"]
    return lines + [f"| {k} | {100 * v:.1f} |" for k, v in q["xsim8"].items()]


def card(enc: EMSEncoder, info: dict, q: dict, stats: dict | None, args, out: Path) -> list[str]:
    cfg = enc.config
    lines = [
        f"# ems-mine {out.name} model", "",
        f"An EMS encoder ({cfg.describe()}; SentencePiece tokenizer; {cfg.d_model}-d embeddings; fp16 weights) trained "
        f"from scratch on parallel sentences with {_objective(info['train'])} by `ems-mine train`.", "",
        "## Quality", "", *quality_table(q), "",
        "## Training", "",
        f"- Recipe: `{args.recipe}` (corpus: `pipelines/prepare_corpus.py`; mix: `pipelines/mix_corpus.py`).",
        f"- {info['steps']:,} steps of {info['train']['batch_size']} pairs ({info['steps'] * info['train']['batch_size']:,} "
        f"pairs seen) in {info['minutes']:.0f} min wall clock, {info.get('cpu_minutes', info['minutes']):.0f} CPU-minutes of "
        f"the process, on {_hardware(info)}; tokenizer training and tokenisation included.",
        f"- Held-out retrieval accuracy on {info['val_pairs']} training-distribution pairs: {100 * info['val_accuracy']:.1f} %.",
    ] + [f"- {note}" for note in args.note]
    if stats:
        lines += ["", f"### Corpus: {stats['pairs']:,} pairs in {stats['languages']} languages", "",
                  "Tatoeba and FLORES sentences removed (case-folded letters and digits compared). Per source:", "",
                  "| source | pairs | languages |", "|---|---:|---:|"]
        lines += [f"| {s} | {v['pairs']:,} | {v['languages']} |" for s, v in stats["per_source"].items()]
        lines += ["", "Per language (pairs):", "",
                  ", ".join(f"{lang} {v['pairs']:,}" for lang, v in stats["per_language"].items())]
    lines += ["", *per_language_tables(enc, q)]
    lines += ["", "## Next to the PyPI peers (12 languages, Tatoeba accuracy / xSIM error on FLORES-200 dev, %)", "",
              f"Filled in by `python benchmarks/compare_peers.py --data ../shared/data --model {out.name} --card {out}/README.md`.",
              "<!-- peers -->", "(not measured yet)", "<!-- peers -->",
              "", *threshold_and_data()]
    return lines


def threshold_and_data() -> list[str]:
    return ["## Mining threshold", "",
            "The default `--threshold` of `ems-mine mine` with this model is in `mining.json`, calibrated by "
            "`pipelines/calibrate_threshold.py` (see there for the per-language precision and recall).", "",
            "Data: see `../shared/data/*/SOURCE.txt` and `data/train-pairs/sources.json` for sources, versions and licences "
            "(Bible texts PD/CC0/CC BY/CC BY-SA; NLLB-Seed, NTREX-128, xSID, NusaX CC BY-SA 4.0; TICO-19 CC0; GATITOS CC BY 4.0; "
            "Wikipedia Android strings Apache-2.0; OSM iD ISC; MediaWiki GPL-2.0+; Firefox and LibreOffice MPL-2.0; "
            "CLDR Unicode-3.0; Tatoeba CC BY 2.0 FR).", ""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="a model directory written by `ems-mine train`")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--corpus-stats", help="stats.json written by prepare_corpus.py")
    ap.add_argument("--out", default=str(DEFAULT_MODEL_DIR.with_name("base")),
                    help="where the model goes (the bundled base model, which pipelines/adapt_americasnlp.sh adapts)")
    ap.add_argument("--recipe", default="pipelines/train_default.sh")
    ap.add_argument("--note", action="append", default=[], help="an extra line for the card's Training section")
    args = ap.parse_args()
    run, out = Path(args.run), Path(args.out)
    enc = EMSEncoder.from_pretrained(run, device="cpu")
    info = json.loads((run / "training.json").read_text())
    stats = json.loads(Path(args.corpus_stats).read_text()) if args.corpus_stats else None
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    enc.save_pretrained(tmp, card="(measuring)", half=True)
    half = EMSEncoder.from_pretrained(tmp, device="cpu")       # the card measures the fp16 model that ships
    q = measure(half, Path(args.data))
    (tmp / "README.md").write_text("\n".join(card(half, info, q, stats, args, out)), encoding="utf-8")
    (tmp / "tatoeba.json").write_text(json.dumps(q["tatoeba"], indent=2))
    (tmp / "quality.json").write_text(json.dumps({k: v for k, v in q.items()}, indent=2))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    print(json.dumps({k: round(v, 4) for k, v in q.items() if isinstance(v, float)}))


if __name__ == "__main__":
    main()
