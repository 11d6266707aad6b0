"""AmericasNLP 2021 official training data (Spanish pivot): ``<lang>-spanish/train.{es,<code>}`` line-aligned, plus
``parallel_data/`` (dictionaries, educational texts, flashcards, Global Voices es–aym and en–aym) and Quechua's
dictionaries. Each pair is tagged ``americasnlp:<kind>`` so dictionaries and sentences can be weighted apart.

The last ``DEV`` lines of each language's sentence file (``train``, or Quechua's ``minedu``) are held out as its
development split (:func:`dev_split`) and never read as training pairs: the official dev and test sets are not here.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from . import Pair
from .clean import normalize_space

ROOT = "train/americasnlp2021-train"
LANGS = {"ashaninka": "cni", "aymara": "aym", "bribri": "bzd", "guarani": "gn", "nahuatl": "nah", "otomi": "oto",
         "quechua": "quy", "raramuri": "tar", "shipibo_konibo": "shp", "wixarika": "hch"}
DEV = 400


def _lines(path: Path) -> list[str]:
    return [normalize_space(x.lstrip("\ufeff")) for x in path.read_text(encoding="utf-8", errors="replace").split("\n")]


def _sentence_file(d: Path, code: str) -> tuple[Path, Path]:
    """The language's main sentence pairs (whose tail is the dev split)."""
    if (d / "train_nontok.es").is_file():
        return d / "train_nontok.es", d / f"train_nontok.{code}"
    if (d / "train.es").is_file():
        return d / "train.es", d / f"train.{code}"
    return d / "parallel_data/es-quy/minedu.quy-es.es", d / "parallel_data/es-quy/minedu.quy-es.quy"


def files(data: Path, name: str) -> list[tuple[str, Path, Path, str]]:
    """(kind, pivot file, language file, pivot language) for every aligned pair of files of one language."""
    code = LANGS[name]
    d = data / ROOT / f"{name}-spanish"
    es, xx = _sentence_file(d, code)
    out = [("sentences", es, xx, "spa")]
    for f in sorted((d / "parallel_data").rglob(f"*.{code}")) if (d / "parallel_data").is_dir() else []:
        kind = f.name.split(".")[0].split("_")[-1] if not f.name.startswith("opus") else "globalvoices"
        pivot = "eng" if ".en-" in f.name else "spa"
        other = f.with_name(f.name[: -len(code)] + ("en" if pivot == "eng" else "es"))
        if other.is_file() and (f, other) != (xx, es):
            out.append(("dictionary" if kind in ("dictionary", "misc", "dict") else kind, other, f, pivot))
    if (d / f"dict.{code}").is_file():
        out.append(("dictionary", d / "dict.es", d / f"dict.{code}", "spa"))
    return out


def dev_split(data: Path, name: str) -> tuple[list[str], list[str]]:
    """(Spanish, language) lines of the held-out development split."""
    es, xx = _sentence_file(data / ROOT / f"{name}-spanish", LANGS[name])
    a, b = _lines(es), _lines(xx)
    n = min(len(a), len(b))
    keep = [(x, y) for x, y in zip(a[:n][-DEV:], b[:n][-DEV:]) if x and y]
    return [x for x, _ in keep], [y for _, y in keep]


def pairs(data: Path, downloads: Path | None = None) -> Iterator[Pair]:
    for name, code in LANGS.items():
        es_dev, xx_dev = dev_split(data, name)
        held = {t.casefold() for t in es_dev + xx_dev}     # the same lines also come in other files (Global Voices)
        for kind, pivot_file, lang_file, pivot in files(data, name):
            a, b = _lines(pivot_file), _lines(lang_file)
            n = min(len(a), len(b))
            if kind == "sentences":
                n -= DEV                                   # the dev split's lines stay out
            for x, y in zip(b[:n], a[:n]):
                if x.casefold() not in held and y.casefold() not in held:
                    yield Pair(code, x, pivot, y, f"americasnlp:{kind}")
