"""kNN stage: the exact neighbours of two sharded embedding sets, computed block by block with checkpoints.

The work directory (``<cache>/knn/<key>``, the key hashing both sides' cache entries and the settings) holds

- ``manifest.json``: settings, the source blocks finished, and which column state goes with them;
- ``rows-<block>.{sims,ids}.npy``: the exact forward top-k of each finished block of source rows;
- ``cols-<round>-<worker>.{sims,ids}.npy``: the backward (target → source) approximate top-K lists over
  the finished blocks, one per worker;
- ``result.{fwd,bwd}.{sims,ids}.npy`` once everything is done.

A round's files are written first and the manifest is replaced last (atomically): a kill at any instant
leaves the previous round's state intact, and a rerun resumes at the first unfinished block. The merge of
the column lists is order-independent (score, then lower index) and pass 2 is exact, so a resumed run, a run
with another number of workers and a run on another executor give identical neighbours.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from ..io_utils import atomic_path, write_json
from .knn import EXTRA, ErrorBound, Stack, TopK, resolve_precision

VERSION = 1


@dataclass
class KnnPlan:
    """What to compute: x (sources) and y (targets) as embedding files, k, and how to cut the work."""

    x_paths: list[Path]
    y_paths: list[Path]
    k: int
    workdir_root: Path
    block_rows: int = 8192
    precision: str = "auto"
    extra: int = EXTRA

    def __post_init__(self):
        self.precision = resolve_precision(self.precision)

    @property
    def K(self) -> int:
        return self.k + self.extra

    @property
    def key(self) -> str:
        h = hashlib.sha256(json.dumps({"v": VERSION, "x": [p.name for p in self.x_paths], "y": [p.name for p in self.y_paths],
                                       "k": self.k, "K": self.K, "rows": self.block_rows, "p": self.precision}).encode())
        return h.hexdigest()[:20]

    @property
    def workdir(self) -> Path:
        return self.workdir_root / self.key


@dataclass
class KnnStage:
    """The state of one kNN stage on disk; executors call :meth:`commit` after each round of blocks."""

    plan: KnnPlan
    x: Stack
    y: Stack
    blocks: list[tuple[int, int]]
    done: set[int] = field(default_factory=set)
    round: int = 0
    reused: int = 0
    saved_cols: list[TopK] = field(default_factory=list)

    @classmethod
    def open(cls, plan: KnnPlan) -> "KnnStage":
        x = Stack([np.load(p, mmap_mode="r") for p in plan.x_paths])
        y = Stack([np.load(p, mmap_mode="r") for p in plan.y_paths])
        blocks = [(i, min(i + plan.block_rows, len(x))) for i in range(0, len(x), plan.block_rows)]
        st = cls(plan, x, y, blocks)
        st._load()
        return st

    @cached_property
    def bound(self) -> ErrorBound:
        """Pass 1's error bound over both sides (one read of the embeddings)."""
        return ErrorBound.of(self.x, self.y, precision=self.plan.precision)

    def todo(self) -> list[int]:
        return [b for b in range(len(self.blocks)) if b not in self.done]

    def col_states(self, workers: int) -> list[TopK]:
        """One backward top-K list per worker, the saved ones merged into the first."""
        from .knn import merge_topk

        K = min(self.plan.K, len(self.x))
        states = [TopK.empty(len(self.y), K, self.plan.precision) for _ in range(workers)]
        if self.saved_cols:
            states[0] = merge_topk(self.saved_cols, K)
        return states

    def commit(self, rows: dict[int, tuple[np.ndarray, np.ndarray]], cols: list[TopK]) -> None:
        """Record finished blocks (their exact forward top-k) with the column lists that include them."""
        wd = self.plan.workdir
        for b, (sims, ids) in rows.items():
            _save(wd / f"rows-{b:06d}.sims.npy", sims)
            _save(wd / f"rows-{b:06d}.ids.npy", ids)
        self.round += 1
        names = []
        for w, c in enumerate(cols):
            name = f"cols-{self.round:06d}-{w:03d}"
            _save(wd / f"{name}.sims.npy", c.sims)
            _save(wd / f"{name}.ids.npy", c.ids)
            names.append(name)
        self.done |= set(rows)
        self._write_manifest(names)
        self._remove_stale(keep=set(names))

    def finish(self, bwd: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Store the backward result; return (fwd_sims, fwd_ids, bwd_sims, bwd_ids)."""
        fs, fi = self._forward()
        wd = self.plan.workdir
        for name, arr in (("fwd.sims", fs), ("fwd.ids", fi), ("bwd.sims", bwd[0]), ("bwd.ids", bwd[1])):
            _save(wd / f"result.{name}.npy", arr)
        self._write_manifest([], complete=True)
        self._remove_stale(keep=set())
        return fs, fi, bwd[0], bwd[1]

    def result(self):
        """The stored result of a finished stage, or None."""
        wd = self.plan.workdir
        m = self._manifest()
        if not (m and m.get("complete")):
            return None
        try:
            return tuple(np.load(wd / f"result.{n}.npy") for n in ("fwd.sims", "fwd.ids", "bwd.sims", "bwd.ids"))
        except (OSError, ValueError):
            return None

    # -- internals ---------------------------------------------------------------------------------------
    def _forward(self) -> tuple[np.ndarray, np.ndarray]:
        wd = self.plan.workdir
        sims = [np.load(wd / f"rows-{b:06d}.sims.npy") for b in range(len(self.blocks))]
        ids = [np.load(wd / f"rows-{b:06d}.ids.npy") for b in range(len(self.blocks))]
        return np.concatenate(sims), np.concatenate(ids)

    def _manifest(self) -> dict | None:
        f = self.plan.workdir / "manifest.json"
        try:
            return json.loads(f.read_text())
        except (OSError, ValueError):
            return None

    def _settings(self) -> dict:
        p = self.plan
        return {"version": VERSION, "k": p.k, "K": p.K, "block_rows": p.block_rows, "precision": p.precision,
                "sources": len(self.x), "targets": len(self.y), "blocks": len(self.blocks)}

    def _load(self) -> None:
        wd = self.plan.workdir
        wd.mkdir(parents=True, exist_ok=True)
        m = self._manifest()
        if not m or m.get("settings") != self._settings():
            return
        try:
            self.saved_cols = [TopK(np.load(wd / f"{n}.sims.npy"), np.load(wd / f"{n}.ids.npy")) for n in m["cols"]]
            for b in m["done"]:
                for part in ("sims", "ids"):
                    np.load(wd / f"rows-{b:06d}.{part}.npy", mmap_mode="r")
        except (OSError, ValueError):       # a damaged checkpoint: start the stage again
            self.saved_cols = []
            return
        self.done, self.round = set(m["done"]), m["round"]
        self.reused = len(self.done)
        self._remove_stale(keep=set(m["cols"]))

    def _write_manifest(self, cols: list[str], complete: bool = False) -> None:
        write_json(self.plan.workdir / "manifest.json", {"settings": self._settings(), "done": sorted(self.done),
                                                         "round": self.round, "cols": cols, "complete": complete})

    def _remove_stale(self, keep: set[str]) -> None:
        """Column files of other rounds and temporary files of killed writes."""
        for f in self.plan.workdir.iterdir():
            stale_cols = f.name.startswith("cols-") and f.name.rsplit(".", 2)[0] not in keep
            if stale_cols or ".tmp-" in f.name:
                f.unlink(missing_ok=True)


def _save(path: Path, arr: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, arr)


def remove(workdir: Path) -> None:
    """Delete a finished stage's directory."""
    if workdir.is_dir():
        for f in workdir.iterdir():
            f.unlink(missing_ok=True)
        os.rmdir(workdir)
