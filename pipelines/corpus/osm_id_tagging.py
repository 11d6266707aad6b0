"""OpenStreetMap iD tagging-schema translations: ``<locale>.json`` = ``{locale: {presets: {…}}}``, paired with
``en.json`` leaf by leaf (key path). ``terms`` (search synonyms, unordered) are left out: they are not translations
of each other item by item.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from . import Pair
from .clean import clean_ui


def leaves(tree, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from leaves(v, path + (k,))
    elif isinstance(tree, str) and path[-1] not in ("terms", "aliases"):
        yield path, tree


def read(path: Path) -> dict[tuple, str]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    (code, body), = doc.items()
    return dict(leaves(body))


def pairs(data: Path, downloads: Path | None = None) -> Iterator[Pair]:
    root = data / "train/osm-id-tagging"
    english = read(root / "en.json")
    for f in sorted(root.glob("*.json")):
        if f.stem.startswith("en") or f.stem == "index":
            continue
        for key, text in read(f).items():
            if key in english:
                yield Pair(f.stem, clean_ui(text), "eng", clean_ui(english[key]))
