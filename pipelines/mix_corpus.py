"""Re-weight the training pairs by source and language: rows are repeated (integer weights multiply).

    python pipelines/mix_corpus.py --pairs data/train-pairs/pairs.parquet --out data/train-pairs/mix.parquet \
        --source ntrex128=3 --langs deu,fra,spa,por,ces,swe,dan,hrv,epo,zho,zho_Hant,jpn,rus=2
    python pipelines/mix_corpus.py --out data/train-pairs/top12.parquet \
        --only deu,fra,spa,por,ces,swe,dan,hrv,epo,zho,zho_Hant,jpn,rus      # the recipe pilots' subset

The trainer shuffles every epoch, so repeating a row is sampling it that many times more often. Writes
the pairs per language and source of the result next to it (``<out>.stats.md``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ems_mine.io_utils import atomic_path  # noqa: E402


def parse(items: list[str]) -> list[tuple[list[str], int]]:
    out = []
    for item in items:
        keys, _, w = item.rpartition("=")
        if not keys or not w.isdigit() or int(w) < 1:
            sys.exit(f"error: {item!r}: write NAME[,NAME...]=WEIGHT with an integer weight >= 1")
        out.append((keys.split(","), int(w)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", default="data/train-pairs/pairs.parquet")
    ap.add_argument("--out", required=True)
    ap.add_argument("--source", nargs="*", default=[], help="SOURCE[,SOURCE...]=WEIGHT")
    ap.add_argument("--langs", nargs="*", default=[], help="LANG[,LANG...]=WEIGHT (src_lang codes)")
    ap.add_argument("--only", default="", help="LANG[,LANG...]: keep only these src_lang codes (pilot runs)")
    args = ap.parse_args()
    df = pl.read_parquet(args.pairs)
    if args.only:
        df = df.filter(pl.col("src_lang").is_in(args.only.split(",")))
        if df.is_empty():
            sys.exit(f"error: --only {args.only}: no pairs with these src_lang codes in {args.pairs}")
    weight = pl.lit(1, dtype=pl.Int64)
    for names, w in parse(args.source):
        weight = weight * pl.when(pl.col("source").is_in(names)).then(w).otherwise(1)
    for names, w in parse(args.langs):
        weight = weight * pl.when(pl.col("src_lang").is_in(names)).then(w).otherwise(1)
    df = df.with_columns(weight.alias("_w"))
    mixed = df.select(pl.all().exclude("_w").repeat_by(df["_w"])).explode(pl.all())
    with atomic_path(args.out) as tmp:
        mixed.write_parquet(tmp)
    table = mixed.group_by("src_lang", "source").len().sort("len", descending=True)
    lines = ["| language | source | rows |", "|---|---|---:|"] + [f"| {a} | {b} | {c} |" for a, b, c in table.iter_rows()]
    Path(f"{args.out}.stats.md").write_text("\n".join(lines) + "\n")
    share = mixed.group_by("source").len().sort("source")
    print(f"{len(df)} pairs → {len(mixed)} rows; by source: {dict(share.iter_rows())}")


if __name__ == "__main__":
    main()
