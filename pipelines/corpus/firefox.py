"""Firefox ESR language packs from Debian (``firefox-esr-l10n-<locale>``): the ``.xpi`` (a zip of Fluent
``.ftl`` and ``.properties`` files), paired with ``firefox-esr-l10n-en-gb`` by file path and message id
(Fluent attributes too). Access keys and command keys are left out; ``{ $var }`` placeables and
``%S`` placeholders are dropped, term references (``{ -brand-short-name }``) become the brand name and
a select expression (plural) gives its default variant.
"""
from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from . import Pair, registry
from .clean import clean_ui

PREFIX = "firefox-esr-l10n-"
ENGLISH = PREFIX + "en-gb"
SKIP_KEYS = re.compile(r"(accesskey|commandkey|\.key|key\d*|keycode|\.width|\.height|\.style)$", re.I)
BRAND = "Firefox"
PRINTF = re.compile(r"%(\d+\$)?[SsDd@]|#\d")


def fetch(downloads: Path) -> dict[str, str]:
    versions = {}
    for package in registry.debian_packages(PREFIX):
        if package.endswith("-all"):
            continue
        _, versions[f"debian:{package}"] = registry.debian(downloads, package)
    return versions


def _pattern_text(pattern) -> str:
    from fluent.syntax import ast

    out = []
    for el in pattern.elements:
        if isinstance(el, ast.TextElement):
            out.append(el.value)
        elif isinstance(el, ast.Placeable):
            expr = el.expression
            if isinstance(expr, ast.TermReference):
                out.append(BRAND)
            elif isinstance(expr, ast.StringLiteral):
                out.append(expr.parse()["value"])
            elif isinstance(expr, ast.SelectExpression):
                default = next(v for v in expr.variants if v.default)
                out.append(_pattern_text(default.value))
            else:
                out.append(" ")
    return "".join(out)


def read_ftl(text: str) -> dict[str, str]:
    from fluent.syntax import FluentParser, ast

    out = {}
    for entry in FluentParser(with_spans=False).parse(text).body:
        if not isinstance(entry, ast.Message):
            continue
        if entry.value is not None:
            out[entry.id.name] = _pattern_text(entry.value)
        for attr in entry.attributes:
            out[f"{entry.id.name}.{attr.id.name}"] = _pattern_text(attr.value)
    return out


def read_properties(text: str) -> dict[str, str]:
    """``key = value`` lines (``#``/``!`` comments, ``\\`` continuations, ``\\uXXXX`` escapes);
    a ``;``-separated plural list gives its last form."""
    out, pending = {}, ""
    for raw in text.splitlines():
        line = pending + raw.lstrip()
        pending = ""
        if not line or line[0] in "#!":
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1]
            continue
        key, sep, value = line.partition("=")
        if sep:
            value = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), value.strip())
            value = value.replace("\\n", " ").replace("\\", "")
            out[key.strip()] = value.split(";")[-1]
    return out


def read_xpi(path: Path) -> dict[str, str]:
    """``file path with the locale as @ / message id`` → text, for one language pack."""
    out = {}
    with zipfile.ZipFile(path) as z:
        loc = json.loads(z.read("manifest.json"))["langpack_id"]
        for name in z.namelist():
            if not name.endswith((".ftl", ".properties")):
                continue
            key = "/".join("@" if part == loc else part for part in name.split("/"))
            text = z.read(name).decode("utf-8", errors="replace")
            messages = read_ftl(text) if name.endswith(".ftl") else read_properties(text)
            out.update({f"{key}:{k}": v for k, v in messages.items() if not SKIP_KEYS.search(k)})
    return out


def _xpi(folder: Path) -> Path | None:
    return next(iter(sorted(folder.glob("usr/lib/firefox-esr/browser/extensions/langpack-*.xpi"))), None)


def _clean(text: str) -> str:
    return clean_ui(PRINTF.sub(" ", text), access="&")


def pairs(data: Path, downloads: Path) -> Iterator[Pair]:
    english = read_xpi(_xpi(downloads / ENGLISH))
    for folder in sorted(downloads.glob(PREFIX + "*")):
        xpi = _xpi(folder)
        if folder.name in (ENGLISH, PREFIX + "all") or folder.name.startswith(PREFIX + "en-") or xpi is None:
            continue
        with zipfile.ZipFile(xpi) as z:
            loc = json.loads(z.read("manifest.json"))["langpack_id"]
        for key, text in read_xpi(xpi).items():
            if key in english:
                yield Pair(loc, _clean(text), "eng", _clean(english[key]))
