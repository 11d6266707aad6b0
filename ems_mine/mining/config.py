"""MineConfig: the one source of every mining default (the CLI, ``mine_corpora``, ``mine_sentences`` and the
executors all read them from here)."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from ..errors import UserError

MARGINS = ("ratio", "distance", "absolute")
MODES = ("max", "forward", "backward", "intersect")
INDEXES = ("flat", "ivf", "ivfpq")
FORMATS = ("parquet", "tsv", "jsonl")
MAX_K = 1024


@dataclass(frozen=True)
class MineConfig:
    """How pairs are mined and filtered (not where from or to: that is the job's)."""

    k: int = 4                              # neighbourhood size of the margin
    margin: str = "ratio"                   # ratio | distance | absolute (Artetxe & Schwenk 2019)
    mode: str = "max"                       # max | forward | backward | intersect (LASER's --retrieval)
    threshold: float | None = None          # keep pairs scoring at least this; None: keep all
    max_score: float | None = None          # drop pairs scoring above this (junk cap, stopes' score_max)
    max_length_ratio: float | None = None   # drop pairs whose character lengths differ more than this factor
    dedup: bool = True                      # drop repeated (src, tgt) text pairs
    index: str = "flat"                     # flat (exact) | ivf | ivfpq (approximate, FAISS)
    nprobe: int = 64                        # IVF lists visited per query
    recall_sample: int = 1000               # sources checked against exact search to report an index's recall
    block_rows: int = 8192                  # source rows per kNN block (the unit of work and of resumption)
    precision: str = "auto"                 # pass-1 kNN precision: auto | bf16 | fp32 (the result is exact either way)
    batch_size: int = 128                   # sentences per encoder batch

    def __post_init__(self) -> None:
        if not isinstance(self.k, int) or not 1 <= self.k <= MAX_K:
            raise UserError(f"--k {self.k}: choose a neighbourhood size from 1 to {MAX_K} (LASER uses 4)")
        for name, value, allowed in (("margin", self.margin, MARGINS), ("mode", self.mode, MODES),
                                     ("index", self.index, INDEXES), ("precision", self.precision, ("auto", "bf16", "fp32"))):
            if value not in allowed:
                raise UserError(f"--{name} {value!r}: choose one of {', '.join(allowed)}")
        for name in ("threshold", "max_score", "max_length_ratio"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise UserError(f"--{name.replace('_', '-')} {value}: give a finite number")
        if self.max_length_ratio is not None and self.max_length_ratio < 1:
            raise UserError(f"--max-length-ratio {self.max_length_ratio}: a ratio of lengths is at least 1")
        if self.batch_size < 1 or self.block_rows < 1 or self.nprobe < 1:
            raise UserError("--batch-size, block_rows and nprobe must be at least 1")

    def replace(self, **changes) -> "MineConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def fields() -> set[str]:
    return {f.name for f in dataclasses.fields(MineConfig)}
