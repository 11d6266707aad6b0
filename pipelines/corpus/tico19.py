"""TICO-19 translation memories: ``all.en-<lang>.tmx[.zip]`` (TMX 1.4), health texts and doctor–patient dialogue.

Some languages come as both ``.tmx`` and ``.tmx.zip`` (or an ``.old`` variant): one file per language is read,
the plain ``.tmx`` when there is one.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path

from . import Pair
from .clean import normalize_space

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def files(root: Path) -> dict[str, Path]:
    """language → the one file to read for it (plain .tmx preferred; .old variants skipped)."""
    chosen: dict[str, Path] = {}
    for f in sorted(root.glob("all.en-*.tmx*")):
        name = f.name.removeprefix("all.en-")
        lang = name.split(".tmx")[0]
        if lang.endswith(".old") or not (f.suffix == ".tmx" or f.name.endswith(".tmx.zip")):
            continue
        if lang not in chosen or f.suffix == ".tmx":
            chosen[lang] = f
    return chosen


def read_tmx(data: bytes) -> Iterator[tuple[str, str, str]]:
    """(lang, english, translation) for every <tu> with an English and one other <tuv>."""
    for tu in ET.fromstring(data).iter("tu"):
        segs = {tuv.get(XML_LANG): "".join(tuv.find("seg").itertext()) for tuv in tu.iter("tuv") if tuv.find("seg") is not None}
        en = segs.pop("en", None)
        if en is not None and len(segs) == 1:
            (lang, text), = segs.items()
            yield lang, normalize_space(en), normalize_space(text)


def pairs(data: Path, downloads: Path | None = None) -> Iterator[Pair]:
    for lang, f in files(data / "train/tico19").items():
        if f.suffix == ".zip":
            with zipfile.ZipFile(f) as z:
                raw = z.read(next(n for n in z.namelist() if n.endswith(".tmx")))
        else:
            raw = f.read_bytes()
        for code, en, text in read_tmx(raw):
            yield Pair(code or lang, text, "eng", en)
