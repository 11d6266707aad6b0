"""scrollmapper Bibles: ``### Book`` headers and ``[chapter:verse] text`` lines, aligned with BSB.txt (English)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from . import Pair
from .clean import normalize_space

STEMS = {  # file stem → language code
    "ArmEastern": "hye", "Che1860": "chr", "ChiUn": "zho_Hant", "CroSaric": "hrv", "CzeBKR": "ces",
    "DaOT1871NT1907": "dan", "Esperanto": "epo", "FreSynodale1921": "fra", "GerOffBiSt": "deu",
    "Haweis": "tah", "JapDenmo": "jpn", "ManxGaelic": "glv", "NorSMB": "nno", "Peshitta": "syc",
    "PohnOld": "pon", "PorBLivre": "por", "RusMakarij": "rus", "SpaRV1865": "spa", "SweKarlXII1873": "swe",
}
VERSE = re.compile(r"^\[(\d+):(\d+)\]\s*(.*)$")


def read_verses(path: Path) -> dict[tuple[str, int, int], str]:
    """(book, chapter, verse) → text; empty verses are kept as ""."""
    verses, book = {}, None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("### "):
            book = line[4:].strip()
        elif (m := VERSE.match(line)) and book:
            verses[(book, int(m[1]), int(m[2]))] = normalize_space(m[3])
    return verses


def english(data: Path) -> dict[tuple[str, int, int], str]:
    return read_verses(data / "train/bible-scrollmapper/BSB.txt")


def pairs(data: Path, downloads: Path | None = None) -> Iterator[Pair]:
    bsb = english(data)
    for stem, lang in STEMS.items():
        for key, text in read_verses(data / f"train/bible-scrollmapper/{stem}.txt").items():
            if key in bsb:
                yield Pair(lang, text, "eng", bsb[key])
