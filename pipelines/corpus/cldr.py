"""CLDR (Unicode Common Locale Data Repository), from the npm registry as JSON:

- ``cldr-localenames-full``: names of languages, territories and scripts;
- ``cldr-dates-full``: month and day names, and relative date phrases ("yesterday", "in 3 weeks");
- ``cldr-annotations-full``: emoji names (``tts``) and their keywords (``default``, joined by ", ").

Leaves are paired with the English (``en``) by key path. Regional locales (``de-AT``) repeat their
language and are skipped; script variants (``sr-Latn``, ``zh-Hant``) are kept. The PyPI ``babel`` package
holds the same CLDR data, but as pickles; these JSON packages need no unpickling.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from . import Pair, registry
from .clean import clean_ui

VERSION = "48.2.0"
PACKAGES = ("cldr-localenames-full", "cldr-dates-full", "cldr-annotations-full")
FILES = {  # package → files under main/<locale>/ (or annotations/<locale>/) and the subtrees kept
    "cldr-localenames-full": ("main", ("languages.json", "territories.json", "scripts.json")),
    "cldr-dates-full": ("main", ("ca-gregorian.json", "dateFields.json")),
    "cldr-annotations-full": ("annotations", ("annotations.json",)),
}
KEEP = re.compile(r"(languages|territories|scripts|months/(format|stand-alone)/wide|days/(format|stand-alone)/wide"
                  r"|fields/[^/]+/(displayName|relative-type-[-0-9]+|relativeTime-type-\w+/relativeTimePattern-count-other)"
                  r"|annotations/[^/]+/(tts|default))(/|$)")
REGIONAL = re.compile(r"-([A-Z]{2}|\d{3})(-|$)")


def fetch(downloads: Path) -> dict[str, str]:
    return {f"npm:{p}": registry.npm(downloads, p, VERSION)[1] for p in PACKAGES}


def leaves(tree, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from leaves(v, f"{path}/{k}" if path else k)
    elif isinstance(tree, list):
        yield path, ", ".join(tree)
    elif isinstance(tree, str):
        yield path, tree


def read_locale(root: Path, kind: str, files: tuple[str, ...], loc: str) -> dict[str, str]:
    out = {}
    for name in files:
        f = root / kind / loc / name
        if f.is_file():
            doc = json.loads(f.read_text(encoding="utf-8"))
            body = doc["main"][loc] if kind == "main" else doc["annotations"]
            out.update((f"{name}:{k}", v) for k, v in leaves(body) if KEEP.search(k) and "-alt-" not in k)
    return out


def pairs(data: Path, downloads: Path) -> Iterator[Pair]:
    for package, (kind, files) in FILES.items():
        root = downloads / package / "package"
        english = read_locale(root, kind, files, "en")
        for loc_dir in sorted((root / kind).iterdir()):
            loc = loc_dir.name
            if loc == "en" or loc.startswith("en-") or REGIONAL.search(loc) or loc == "root":
                continue
            for key, text in read_locale(root, kind, files, loc).items():
                if key in english:
                    yield Pair(loc, clean_ui(text), "eng", clean_ui(english[key]))
