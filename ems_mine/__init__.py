"""ems-mine: cross-lingual bitext mining and multilingual search with EMS sentence encoders.

Heavy dependencies load on first use: ``import ems_mine`` stays cheap.
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["EMSEncoder", "mine_embeddings", "mine_corpora"]


def __getattr__(name: str):
    if name == "EMSEncoder":
        from .encoder import EMSEncoder

        return EMSEncoder
    if name == "mine_embeddings":
        from .mining.mine import mine_embeddings

        return mine_embeddings
    if name == "mine_corpora":
        from .mining.stage import mine_corpora

        return mine_corpora
    raise AttributeError(f"module 'ems_mine' has no attribute {name!r}")
