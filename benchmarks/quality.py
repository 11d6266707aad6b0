"""Encoder quality in one call, as the quality issue measures it: Tatoeba accuracy over all 112 languages and
over the 12 best-covered ones, xSIM error on 8 FLORES languages and F1 on a constructed BUCC-style zh–en set.

    python benchmarks/quality.py --model runs/default [--data ../shared/data] [--json out.json]

The BUCC-style set hides 200 FLORES-dev zho_Hans/eng_Latn pairs per split among 600 non-parallel sentences per
side (other FLORES lines, Tatoeba cmn sentences, the English side of Tatoeba deu); its threshold is tuned on one
split and applied to the other, as LASER does. It is constructed, not BUCC: a check, never a BUCC number.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ems_mine.bench.build_bucc import build_bucc  # noqa: E402
from ems_mine.bench.commands import run_bucc  # noqa: E402
from ems_mine.bench.metrics import nn_accuracy, xsim_error  # noqa: E402
from ems_mine.bench.tatoeba import TOP12, available_langs, load_pair  # noqa: E402

XSIM8 = ("deu_Latn", "fra_Latn", "rus_Cyrl", "zho_Hans", "swh_Latn", "zul_Latn", "eus_Latn", "ukr_Cyrl")


def tatoeba_all(encoder, tatoeba: Path, langs=None) -> dict[str, float]:
    """Tatoeba accuracy per language (mean of both directions) over ``langs`` (default: every language there)."""
    out = {}
    for lang in langs or available_langs(tatoeba):
        xx, en = load_pair(tatoeba, lang)
        out[lang] = float(np.mean(nn_accuracy(encoder.encode(xx), encoder.encode(en))))
    return out


def xsim8(encoder, flores: Path) -> dict[str, float]:
    eng = encoder.encode((flores / "eng_Latn.dev").read_text(encoding="utf-8").splitlines())
    return {s: float(np.mean(xsim_error(encoder.encode((flores / f"{s}.dev").read_text(encoding="utf-8").splitlines()), eng)))
            for s in XSIM8}


def bucc_zh(encoder, data: Path) -> float:
    flores, tatoeba = data / "eval/flores200-dev/flores-200-dev", data / "eval/tatoeba"
    with tempfile.TemporaryDirectory() as tmp:
        build_bucc(str(flores / "zho_Hans.dev"), str(flores / "eng_Latn.dev"), "zh-en", Path(tmp) / "set", gold=200,
                   noise=600, extra_src=str(tatoeba / "tatoeba.cmn-eng.cmn"), extra_tgt=str(tatoeba / "tatoeba.deu-eng.eng"))
        return float(run_bucc(encoder, str(Path(tmp) / "set"), "zh-en", str(Path(tmp) / "out"))["f1"])


def measure(encoder, data: Path) -> dict:
    tat = tatoeba_all(encoder, data / "eval/tatoeba")
    xs = xsim8(encoder, data / "eval/flores200-dev/flores-200-dev")
    return {"tatoeba_all": float(np.mean(list(tat.values()))), "tatoeba_top12": float(np.mean([tat[k] for k in TOP12])),
            "xsim8_error": float(np.mean(list(xs.values()))), "bucc_zh_f1_constructed": bucc_zh(encoder, data),
            "tatoeba": tat, "xsim8": xs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="model directory (default: the bundled model)")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--json", help="also write the full result here")
    args = ap.parse_args()
    from ems_mine.encoder import EMSEncoder

    res = measure(EMSEncoder.from_pretrained(args.model, device="cpu"), Path(args.data))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))
    print(json.dumps({k: round(v, 4) for k, v in res.items() if isinstance(v, float)}))


if __name__ == "__main__":
    main()
