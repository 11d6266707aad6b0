"""Wikipedia Android app strings: ``values/strings.xml`` (English) and ``values-<locale>/strings.xml``,
paired by ``<string name>`` (and each ``<plurals>`` item by quantity). ``values-qq`` is documentation.

Android locale folders: ``values-pt-rBR`` (region), ``values-b+sr+Latn`` (BCP 47), and the legacy codes
``in`` (Indonesian), ``iw`` (Hebrew), ``ji`` (Yiddish).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from . import Pair
from .clean import clean_ui

LEGACY = {"in": "id", "iw": "he", "ji": "yi"}
ESCAPE = re.compile(r"\\(.)")


def locale(folder: str) -> str:
    """``values-pt-rBR`` → ``pt-BR``; ``values-b+sr+Latn`` → ``sr-Latn``; legacy codes mapped."""
    name = folder.removeprefix("values-")
    if name.startswith("b+"):
        parts = name[2:].split("+")
    else:
        parts = [p[1:] if p.startswith("r") and len(p) == 3 else p for p in name.split("-")]
    parts[0] = LEGACY.get(parts[0], parts[0])
    return "-".join(parts)


def unescape(text: str) -> str:
    """Android resource escapes: ``\\'`` → ``'``, ``\\n`` → space, quotes around the whole string dropped."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return ESCAPE.sub(lambda m: " " if m.group(1) in "nt" else m.group(1), text)


def read_strings(path: Path) -> dict[str, str]:
    """name (``name`` or ``name#quantity`` for plurals) → raw text."""
    out = {}
    root = ET.parse(path).getroot()
    for el in root:
        name = el.get("name")
        if name is None or el.get("translatable") == "false":
            continue
        if el.tag == "string":
            out[name] = "".join(el.itertext())
        elif el.tag == "plurals":
            for item in el.iter("item"):
                out[f"{name}#{item.get('quantity')}"] = "".join(item.itertext())
    return out


def pairs(data: Path, downloads: Path | None = None) -> Iterator[Pair]:
    root = data / "train/wikipedia-android"
    english = read_strings(root / "values/strings.xml")
    for folder in sorted(root.glob("values-*")):
        if folder.name == "values-qq" or not (folder / "strings.xml").is_file():
            continue
        lang = locale(folder.name)
        for name, text in read_strings(folder / "strings.xml").items():
            en = english.get(name) or english.get(name.split("#")[0] + "#other")
            if en is not None:
                yield Pair(lang, clean_ui(unescape(text)), "eng", clean_ui(unescape(en)))
