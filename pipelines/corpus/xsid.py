"""xSID assistant commands: ``<lang>.{valid,test}.conll`` blocks with ``# text-en =`` and ``# text =`` lines.

Dialects without an ISO code of their own (de-ba, de-muc, de-st) are read as their macrolanguage.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from . import Pair
from .clean import normalize_space

CODES = {"de-ba": "bar", "de-muc": "bar", "de-st": "deu", "gsw": "gsw", "nap": "nap", "no": "nob"}


def read_conll(path: Path) -> Iterator[tuple[str, str]]:
    """(english, text) per sentence block."""
    en = text = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines() + [""]:
        if line.startswith("# text-en ="):
            en = line.split("=", 1)[1]
        elif line.startswith("# text ="):
            text = line.split("=", 1)[1]
        elif not line.strip():
            if en is not None and text is not None:
                yield normalize_space(en), normalize_space(text)
            en = text = None


def pairs(data: Path, downloads: Path | None = None) -> Iterator[Pair]:
    for f in sorted((data / "train/xsid").glob("*.conll")):
        lang = f.name.split(".")[0]
        if lang == "en":
            continue
        for en, text in read_conll(f):
            yield Pair(CODES.get(lang, lang), text, "eng", en)
