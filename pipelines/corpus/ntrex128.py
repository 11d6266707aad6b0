"""NTREX-128: newstest2019's English source with human translations into 128 languages, parallel by line."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from . import Pair
from .nllb_seed import read_lines

SPECIAL = {"zho-CN": "zho", "zho-TW": "zho_Hant"}


def pairs(data: Path, downloads: Path | None = None) -> Iterator[Pair]:
    root = data / "train/ntrex128/NTREX-128"
    eng = read_lines(root / "newstest2019-src.eng.txt")
    for f in sorted(root.glob("newstest2019-ref.*.txt")):
        code = f.name.split(".")[1]
        if not code.startswith("eng"):
            for a, b in zip(read_lines(f), eng):
                yield Pair(SPECIAL.get(code, code), a, "eng", b)
