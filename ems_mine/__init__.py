"""ems-mine: cross-lingual bitext mining and multilingual sentence search with EMS sentence encoders.

Heavy dependencies load on first use: ``import ems_mine`` stays cheap.

>>> import ems_mine
>>> enc = ems_mine.EMSEncoder.from_pretrained()          # the bundled model  # doctest: +SKIP
>>> enc.encode("Guten Morgen", lang="de").shape          # doctest: +SKIP
(256,)
"""
from __future__ import annotations

__version__ = "0.2.0"
__all__ = ["EMSEncoder", "Index", "MineConfig", "load_encoder", "mine_corpora", "mine_embeddings", "mine_sentences", "train"]

_LAZY = {
    "EMSEncoder": ("encoder", "EMSEncoder"),
    "Index": ("search.index", "Index"),
    "MineConfig": ("mining.config", "MineConfig"),
    "load_encoder": ("encoders", "load_encoder"),
    "mine_corpora": ("mining.api", "mine_corpora"),
    "mine_embeddings": ("mining.mine", "mine_embeddings"),
    "mine_sentences": ("mining.api", "mine_sentences"),
    "train": ("training.api", "train"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module 'ems_mine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
