"""Text cleaning shared by the corpus readers: whitespace, markup, placeholders and access keys.

Interface strings carry things no sentence has: ``$1``, ``%1$s``, ``{name}``, ``{{PLURAL:$1|a|b}}``,
HTML tags, entities, wiki links and access-key markers (``&File``, ``_File``, ``~File``). Each reader
calls the cleaners its format needs; the result is plain text, or "" when nothing is left.
"""
from __future__ import annotations

import html
import re
import unicodedata

CJK = "\u3000-\u9fff\uf900-\ufaff\uff00-\uffef"
CJK_SPACE = re.compile(rf"(?<=[{CJK}])[ \u3000]+(?=[{CJK}])")
TAG = re.compile(r"</?[A-Za-z][^<>]*>")
WIKI_TEMPLATE = re.compile(r"\{\{\s*(PLURAL|GENDER|GRAMMAR|PLURAL\+?)\s*:[^|{}]*\|([^{}]*)\}\}", re.I)
WIKI_OTHER_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
WIKI_LINK = re.compile(r"\[\[(?:[^\[\]|]*\|)?([^\[\]]*)\]\]")
WIKI_EXTERNAL = re.compile(r"\[(?:https?:)?//\S+\s+([^\]]*)\]|\[(?:https?:)?//\S+\]")
WIKI_EMPHASIS = re.compile(r"'{2,}")
PLACEHOLDERS = re.compile(
    r"%\d+\$[-#+ 0,(]*\d*(?:\.\d+)?[a-zA-Z@]"   # %1$s, %2$d (Android, printf with position)
    r"|%\([A-Za-z_]\w*\)[-#+ 0]*\d*(?:\.\d+)?[a-zA-Z]"  # %(name)s
    r"|%[-#+ 0,']*\d*(?:\.\d+)?[sdifuxXeEgGc@S]"  # %s, %d, %.2f, %,d, %S
    r"|%[A-Z][A-Z0-9_]+%?"                     # %PRODUCTNAME, %FOO% (LibreOffice)
    r"|%\d+"                                   # %1 (LibreOffice, Qt)
    r"|\$\(\w+\)"                              # $(ARG1) (LibreOffice)
    r"|\$\d+"                                  # $1 (MediaWiki)
    r"|\{\s*\$?[\w.-]*\s*\}"                   # {name}, {0}, { $count } (ICU, Fluent)
)
ACCESS_AMP = re.compile(r"&(?=[^\W_])(?![A-Za-z]+;|#\d+;|#x[0-9a-fA-F]+;)")
ACCESS_UNDERSCORE = re.compile(r"(?<![\w_])_(?=[^\W_])")
ACCESS_TILDE = re.compile(r"~(?=\S)")
ACCESS_PAREN = re.compile(r"\s*\((?:&|_|~)?[A-Za-z0-9]\)(?=\s*(?:\.\.\.|…|:)?\s*$)")  # "ファイル(&F)" / "(_F)"
NON_WORD = re.compile(r"[\W\d_]+")


def normalize_space(text: str) -> str:
    """NFC, runs of whitespace to one space, and no spaces between CJK characters."""
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    return CJK_SPACE.sub("", text)


def strip_wiki(text: str) -> str:
    """MediaWiki message syntax → text: the last form of PLURAL/GENDER, links to their label, no templates."""
    text = WIKI_TEMPLATE.sub(lambda m: m.group(2).split("|")[-1], text)
    text = WIKI_OTHER_TEMPLATE.sub(" ", text)
    text = WIKI_LINK.sub(lambda m: m.group(1), text)
    text = WIKI_EXTERNAL.sub(lambda m: m.group(1) or " ", text)
    return WIKI_EMPHASIS.sub("", text)


def strip_html(text: str) -> str:
    """Tags removed, entities (``&amp;``, ``&#8230;``) decoded."""
    return html.unescape(TAG.sub(" ", text))


def strip_placeholders(text: str) -> str:
    """Placeholders removed; a literal ``%%`` is a percent sign."""
    return PLACEHOLDERS.sub(" ", text.replace("%%", "\0")).replace("\0", "%")


def strip_access_keys(text: str, markers: str = "&_~") -> str:
    """Remove access-key markers: ``&File``, ``_File``, ``~File`` and a trailing ``(&F)``."""
    text = ACCESS_PAREN.sub("", text)
    if "&" in markers:
        text = ACCESS_AMP.sub("", text)
    if "_" in markers:
        text = ACCESS_UNDERSCORE.sub("", text)
    if "~" in markers:
        text = ACCESS_TILDE.sub("", text)
    return text


def clean_ui(text: str, *, wiki: bool = False, markup: bool = True, access: str = "") -> str:
    """One interface string → plain text ("" when only markup and placeholders were there)."""
    if wiki:
        text = strip_wiki(text)
    if access:
        text = strip_access_keys(text, access)
    if markup:
        text = strip_html(text)
    text = strip_placeholders(text)
    text = normalize_space(text)
    text = text.strip(" :|,;-–—·•")
    return text


def has_words(text: str) -> bool:
    """At least two letters (in any script) once digits, punctuation and symbols are removed."""
    return len(NON_WORD.sub("", text)) >= 2
