"""GATITOS lexicon: ``en_<lang>.tsv`` = English<TAB>translation (frequent words, numbers, short phrases)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from . import Pair
from .clean import normalize_space


def pairs(data: Path, downloads: Path | None = None) -> Iterator[Pair]:
    for f in sorted((data / "train/gatitos").glob("en_*.tsv")):
        lang = f.stem.removeprefix("en_")
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            en, _, text = line.partition("\t")
            if text:
                yield Pair(lang, normalize_space(text), "eng", normalize_space(en))
