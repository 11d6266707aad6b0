"""NusaX-MT: product reviews in English, Indonesian and 10 languages of Indonesia, one column each, parallel by row."""
from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from . import Pair
from .clean import normalize_space

CODES = {"indonesian": "ind", "acehnese": "ace", "banjarese": "bjn", "madurese": "mad", "ngaju": "nij",
         "sundanese": "sun", "balinese": "ban", "buginese": "bug", "javanese": "jav", "minangkabau": "min",
         "toba_batak": "bbc"}


def pairs(data: Path, downloads: Path | None = None) -> Iterator[Pair]:
    for split in ("train", "valid", "test"):
        with open(data / f"train/nusax-mt/{split}.csv", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                en = normalize_space(row["english"])
                for name, code in CODES.items():
                    yield Pair(code, normalize_space(row[name]), "eng", en)
