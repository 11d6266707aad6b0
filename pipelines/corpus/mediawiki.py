"""MediaWiki interface messages (translatewiki.net), from Debian's ``mediawiki`` package:
``usr/share/mediawiki/languages/i18n/<lang>.json`` paired with ``en.json`` by message key.

Skipped: ``qqq`` (documentation), ``qqx`` (message keys), ``en-*`` and ``@metadata``. Message syntax is
stripped: ``$1``, ``{{PLURAL:$1|a|b}}`` (the last form), ``{{…}}``, ``[[link|label]]``, HTML.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from . import Pair, registry
from .clean import clean_ui

PACKAGE = "mediawiki"
I18N = "usr/share/mediawiki/languages/i18n"


def fetch(downloads: Path) -> dict[str, str]:
    _, version = registry.debian(downloads, PACKAGE)
    return {f"debian:{PACKAGE}": version}


def read(path: Path) -> dict[str, str]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in doc.items() if not k.startswith("@") and isinstance(v, str)}


def pairs(data: Path, downloads: Path) -> Iterator[Pair]:
    root = downloads / PACKAGE / I18N
    english = read(root / "en.json")
    for f in sorted(root.glob("*.json")):
        code = f.stem
        if code in ("qqq", "qqx", "en") or code.startswith("en-"):
            continue
        for key, text in read(f).items():
            if key in english and text != english[key]:
                yield Pair(code, clean_ui(text, wiki=True), "eng", clean_ui(english[key], wiki=True))
