"""NLLB-Seed: professionally translated English Wikipedia sentences, parallel by line with ``eng_Latn``."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from . import Pair
from .clean import normalize_space


def read_lines(path: Path) -> list[str]:
    return [normalize_space(x) for x in path.read_text(encoding="utf-8", errors="replace").split("\n")]


def pairs(data: Path, downloads: Path | None = None) -> Iterator[Pair]:
    root = data / "train/nllb-seed/multitext-nllb-seed"
    eng = read_lines(root / "eng_Latn")
    for f in sorted(root.iterdir()):
        if f.name != "eng_Latn":
            for a, b in zip(read_lines(f), eng):
                yield Pair(f.name, a, "eng", b)
