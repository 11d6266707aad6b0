"""Filters over mined candidates: pure functions, arrays and lists in, a boolean "drop" mask out.

:func:`apply_filters` runs them in a fixed order; a pair is counted (and reported as the reason it was
dropped) under the first filter that drops it.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

import numpy as np


def empty(src: Sequence[str], tgt: Sequence[str]) -> np.ndarray:
    """A side that is blank."""
    return np.array([not a.strip() or not b.strip() for a, b in zip(src, tgt)], dtype=bool)


def below_threshold(scores: np.ndarray, threshold: float | None) -> np.ndarray:
    return scores < threshold if threshold is not None else np.zeros(len(scores), bool)


def above_max_score(scores: np.ndarray, max_score: float | None) -> np.ndarray:
    """Suspiciously high scores (LASER issue 129: they are often junk)."""
    return scores > max_score if max_score is not None else np.zeros(len(scores), bool)


def length_ratio(src: Sequence[str], tgt: Sequence[str], max_ratio: float | None) -> np.ndarray:
    """Character lengths that differ by more than ``max_ratio`` times."""
    if max_ratio is None:
        return np.zeros(len(src), bool)
    a = np.array([max(len(s), 1) for s in src], dtype=np.float64)
    b = np.array([max(len(t), 1) for t in tgt], dtype=np.float64)
    return np.maximum(a, b) / np.minimum(a, b) > max_ratio


def _letters(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def copies(src: Sequence[str], tgt: Sequence[str]) -> np.ndarray:
    """The same text on both sides once case, punctuation and spaces are ignored (untranslated copies,
    numbers, URLs, names). Applied only between two different languages."""
    return np.array([_letters(a) == _letters(b) for a, b in zip(src, tgt)], dtype=bool)


def truncated(token_counts: np.ndarray, max_tokens: int, factor: float = 2.0) -> np.ndarray:
    """Sentences the encoder saw less than half of: more than ``factor`` × its ``max_tokens`` tokens."""
    return np.asarray(token_counts) > factor * max_tokens


def repeated(src: Sequence[str], tgt: Sequence[str], dropped: np.ndarray) -> np.ndarray:
    """A (src, tgt) text pair already kept earlier in the list (the list is in score order)."""
    seen, out = set(), np.zeros(len(src), bool)
    for n, pair in enumerate(zip(src, tgt)):
        if not dropped[n]:
            out[n] = pair in seen
            seen.add(pair)
    return out


def apply_filters(checks: Sequence[tuple[str, Callable[[np.ndarray], np.ndarray]]], n: int) -> tuple[np.ndarray, list[str], dict]:
    """Run ``checks`` (name, fn(dropped so far) → drop mask) in order. Returns (keep mask, reason of each
    dropped pair ("" when kept), count per filter)."""
    dropped = np.zeros(n, bool)
    reason = np.full(n, "", dtype=object)
    counts = {}
    for name, fn in checks:
        bad = fn(dropped) & ~dropped
        counts[name] = int(bad.sum())
        reason[bad] = name
        dropped |= bad
    return ~dropped, reason.tolist(), counts
