"""Build the xx–en training pairs from the open corpora in ``../shared/data/train`` as Parquet.

Sources: the scrollmapper Bibles (verse-aligned with ``BSB.txt``), the Christodoulopoulos & Steedman
Bibles (CES XML, aligned with BSB by book/chapter/verse), NLLB-Seed and NTREX-128. Language codes are
normalised; empty and broken lines are dropped; pairs whose character-length ratio strays more than
``--max-ratio`` times from the median ratio of their language are dropped (a per-language median, so
dense scripts such as Chinese are judged against their own norm);
duplicates are removed; and every pair with a side that also occurs in the Tatoeba or FLORES eval data
(compared on case-folded text without punctuation or spaces) is removed.

    python pipelines/prepare_corpus.py --data ../shared/data --out data/train-pairs
"""
from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ems_mine.languages import normalize_lang  # noqa: E402

SCROLLMAPPER = {  # file stem → language code
    "ArmEastern": "hye", "Che1860": "chr", "ChiUn": "zho_Hant", "CroSaric": "hrv", "CzeBKR": "ces",
    "DaOT1871NT1907": "dan", "Esperanto": "epo", "FreSynodale1921": "fra", "GerOffBiSt": "deu",
    "Haweis": "tah", "JapDenmo": "jpn", "ManxGaelic": "glv", "NorSMB": "nno", "Peshitta": "syc",
    "PohnOld": "pon", "PorBLivre": "por", "RusMakarij": "rus", "SpaRV1865": "spa", "SweKarlXII1873": "swe",
}
BOOKS = {  # CES XML book codes → BSB book names
    "GEN": "Genesis", "EXO": "Exodus", "LEV": "Leviticus", "NUM": "Numbers", "DEU": "Deuteronomy",
    "JOS": "Joshua", "JDG": "Judges", "RUT": "Ruth", "1SA": "I Samuel", "2SA": "II Samuel", "1KI": "I Kings",
    "2KI": "II Kings", "1CH": "I Chronicles", "2CH": "II Chronicles", "EZR": "Ezra", "NEH": "Nehemiah",
    "EST": "Esther", "JOB": "Job", "PSA": "Psalms", "PRO": "Proverbs", "ECC": "Ecclesiastes",
    "SON": "Song of Solomon", "ISA": "Isaiah", "JER": "Jeremiah", "LAM": "Lamentations", "EZE": "Ezekiel",
    "DAN": "Daniel", "HOS": "Hosea", "JOE": "Joel", "AMO": "Amos", "OBA": "Obadiah", "JON": "Jonah",
    "MIC": "Micah", "NAH": "Nahum", "HAB": "Habakkuk", "ZEP": "Zephaniah", "HAG": "Haggai", "ZEC": "Zechariah",
    "MAL": "Malachi", "MAT": "Matthew", "MAR": "Mark", "LUK": "Luke", "JOH": "John", "ACT": "Acts",
    "ROM": "Romans", "1CO": "I Corinthians", "2CO": "II Corinthians", "GAL": "Galatians", "EPH": "Ephesians",
    "PHI": "Philippians", "COL": "Colossians", "1TH": "I Thessalonians", "2TH": "II Thessalonians",
    "1TI": "I Timothy", "2TI": "II Timothy", "TIT": "Titus", "PHM": "Philemon", "HEB": "Hebrews",
    "JAM": "James", "1PE": "I Peter", "2PE": "II Peter", "1JO": "I John", "2JO": "II John", "3JO": "III John",
    "JUD": "Jude", "REV": "Revelation of John",
}
NTREX_SPECIAL = {"zho-CN": "zho", "zho-TW": "zho_Hant"}
CJK_SPACE = re.compile(r"(?<=[\u3000-\u9fff\uf900-\ufaff\uff00-\uffef])[ \u3000]+(?=[\u3000-\u9fff\uf900-\ufaff\uff00-\uffef])")
VERSE = re.compile(r"^\[(\d+):(\d+)\]\s*(.*)$")
SEG = re.compile(r'<seg id="b\.([A-Z0-9]+)\.(\d+)\.(\d+)"[^>]*>(.*?)</seg>', re.S)


def clean(text: str) -> str:
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    return CJK_SPACE.sub("", text)


def leak_key(text: str) -> str:
    """Case-folded letters and digits only: how eval sentences are matched against training text."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def read_scrollmapper(path: Path) -> dict[tuple, str]:
    verses, book = {}, None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("### "):
            book = line[4:].strip()
        elif (m := VERSE.match(line)) and book:
            verses[(book, int(m[1]), int(m[2]))] = clean(m[3])
    return verses


def read_ces(path: Path) -> dict[tuple, str]:
    import html

    text = path.read_text(encoding="utf-8", errors="replace")
    return {(BOOKS[b], int(c), int(v)): clean(html.unescape(t)) for b, c, v, t in SEG.findall(text) if b in BOOKS}


def bible_pairs(data: Path):
    bsb = read_scrollmapper(data / "train/bible-scrollmapper/BSB.txt")
    for stem, lang in SCROLLMAPPER.items():
        for key, text in read_scrollmapper(data / f"train/bible-scrollmapper/{stem}.txt").items():
            if key in bsb:
                yield lang, text, bsb[key], "bible-scrollmapper"
    meta = {}
    for line in (data / "train/bible-christos-c/metadata.csv").read_text(encoding="utf-8").splitlines()[1:]:
        name, code = line.split(",")[:2]
        meta[name] = code
    for xml in sorted((data / "train/bible-christos-c/bibles").glob("*.xml")):
        lang = normalize_lang(meta[xml.name])
        for key, text in read_ces(xml).items():
            if key in bsb:
                yield lang, text, bsb[key], "bible-christos-c"


def lines(path: Path) -> list[str]:
    return [clean(x) for x in path.read_text(encoding="utf-8", errors="replace").split("\n")]


def nllb_pairs(data: Path):
    root = data / "train/nllb-seed/multitext-nllb-seed"
    eng = lines(root / "eng_Latn")
    for f in sorted(root.iterdir()):
        if f.name != "eng_Latn":
            lang = normalize_lang(f.name)
            for a, b in zip(lines(f), eng):
                yield lang, a, b, "nllb-seed"


def ntrex_pairs(data: Path):
    root = data / "train/ntrex128/NTREX-128"
    eng = lines(root / "newstest2019-src.eng.txt")
    for f in sorted(root.glob("newstest2019-ref.*.txt")):
        code = f.name.split(".")[1]
        if code.startswith("eng"):
            continue
        lang = NTREX_SPECIAL.get(code) or normalize_lang(code)
        for a, b in zip(lines(f), eng):
            yield lang, a, b, "ntrex128"


def eval_keys(data: Path) -> set[str]:
    keys = set()
    for f in list((data / "eval/tatoeba").glob("tatoeba.*")) + list((data / "eval/flores200-dev/flores-200-dev").glob("*.dev")):
        keys.update(leak_key(x) for x in f.read_text(encoding="utf-8", errors="replace").splitlines())
    keys.discard("")
    return keys


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data", help="the shared data folder (with train/ and eval/)")
    ap.add_argument("--out", default="data/train-pairs", help="output directory for Parquet and stats")
    ap.add_argument("--max-ratio", type=float, default=2.0,
                    help="largest factor between a pair's length ratio and its language's median ratio")
    ap.add_argument("--max-chars", type=int, default=600, help="longest side in characters")
    args = ap.parse_args()
    data, out = Path(args.data), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    leaks = eval_keys(data)
    seen: set[tuple[str, str, str]] = set()
    candidates, dropped = [], Counter()
    for gen in (bible_pairs, nllb_pairs, ntrex_pairs):
        for lang, src, tgt, source in gen(data):
            if not src or not tgt or "\ufffd" in src + tgt:
                dropped["empty or broken"] += 1
            elif max(len(src), len(tgt)) > args.max_chars:
                dropped["too long"] += 1
            elif (lang, src, tgt) in seen:
                dropped["duplicate"] += 1
            elif leak_key(src) in leaks or leak_key(tgt) in leaks:
                dropped["in eval data"] += 1
            else:
                seen.add((lang, src, tgt))
                candidates.append((lang, src, tgt, source, math.log(len(src) / len(tgt))))
    by_lang: dict[str, list[float]] = {}
    for c in candidates:
        by_lang.setdefault(c[0], []).append(c[4])
    median = {lang: statistics.median(v) for lang, v in by_lang.items()}
    rows = {k: [] for k in ("src_lang", "src", "tgt_lang", "tgt", "source")}
    for lang, src, tgt, source, log_ratio in candidates:
        if abs(log_ratio - median[lang]) > math.log(args.max_ratio):
            dropped["length ratio"] += 1
            continue
        for k, v in zip(rows, (lang, src, "eng", tgt, source)):
            rows[k].append(v)
    table = pa.table(rows)
    pq.write_table(table, out / "pairs.parquet", row_group_size=50_000)
    counts = Counter(zip(rows["src_lang"], rows["source"]))
    per_lang = Counter(rows["src_lang"])
    stats = {"pairs": table.num_rows, "languages": len(per_lang), "dropped": dict(dropped),
             "per_language": {lang: {"pairs": n, "sources": {s: c for (l2, s), c in counts.items() if l2 == lang}}
                              for lang, n in per_lang.most_common()}}
    (out / "stats.json").write_text(json.dumps(stats, indent=2, ensure_ascii=False))
    table_md = ["| language | pairs | sources |", "|---|---:|---|"]
    table_md += [f"| {lang} | {v['pairs']} | {', '.join(f'{s} {c}' for s, c in v['sources'].items())} |"
                 for lang, v in stats["per_language"].items()]
    (out / "stats.md").write_text("\n".join(table_md) + "\n")
    print("\n".join(table_md))
    print(f"\n{table.num_rows} pairs in {len(per_lang)} languages; dropped: {dict(dropped)}")


if __name__ == "__main__":
    main()
