"""Christodoulopoulos & Steedman Bibles: CES XML ``<seg id="b.MAT.3.16">``, aligned with BSB by book/chapter/verse."""
from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

from . import Pair
from .bible_scrollmapper import english
from .clean import normalize_space

BOOKS = {  # CES book codes → BSB book names
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
SEG = re.compile(r'<seg id="b\.([A-Z0-9]+)\.(\d+)\.(\d+)"[^>]*>(.*?)</seg>', re.S)


def read_ces(path: Path) -> dict[tuple[str, int, int], str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return {(BOOKS[b], int(c), int(v)): normalize_space(html.unescape(t)) for b, c, v, t in SEG.findall(text) if b in BOOKS}


def pairs(data: Path, downloads: Path | None = None) -> Iterator[Pair]:
    bsb = english(data)
    root = data / "train/bible-christos-c"
    meta = dict(line.split(",")[:2] for line in (root / "metadata.csv").read_text(encoding="utf-8").splitlines()[1:])
    for xml in sorted((root / "bibles").glob("*.xml")):
        for key, text in read_ces(xml).items():
            if key in bsb:
                yield Pair(meta[xml.name], text, "eng", bsb[key])
