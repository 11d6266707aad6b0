"""LibreOffice interface translations from Debian (``libreoffice-l10n-<ll>``):
``usr/lib/libreoffice/program/resource/<ll>/LC_MESSAGES/*.mo`` (gettext; the msgid is the English).

Access-key markers (``_Tools``, ``~File``) and placeholders (``%1``, ``%PRODUCTNAME``, ``$(ARG1)``) are dropped;
a plural entry gives its last form.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from . import Pair, registry
from .clean import clean_ui

PREFIX = "libreoffice-l10n-"
RESOURCES = "usr/lib/libreoffice/program/resource"


def fetch(downloads: Path) -> dict[str, str]:
    versions = {}
    for package in registry.debian_packages(PREFIX):
        if package.startswith(PREFIX + "en-"):
            continue
        _, versions[f"debian:{package}"] = registry.debian(downloads, package)
    return versions


def read_mo(path: Path) -> Iterator[tuple[str, str]]:
    """(english, translation) for every translated entry of a .mo file."""
    import polib

    for entry in polib.mofile(str(path)):
        if entry.msgid_plural:
            forms = [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
            if forms and forms[-1]:
                yield entry.msgid_plural, forms[-1]
        elif entry.msgstr:
            yield entry.msgid, entry.msgstr


def _clean(text: str) -> str:
    return clean_ui(text, markup=True, access="_~")


def pairs(data: Path, downloads: Path) -> Iterator[Pair]:
    for folder in sorted(downloads.glob(PREFIX + "*")):
        for res in sorted((folder / RESOURCES).glob("*")):
            if res.name.startswith("en"):
                continue
            for mo in sorted(res.glob("LC_MESSAGES/*.mo")):
                for en, text in read_mo(mo):
                    yield Pair(res.name.replace("_", "-"), _clean(text), "eng", _clean(en))
