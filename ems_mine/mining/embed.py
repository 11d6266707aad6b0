"""Embed stage: each corpus shard → L2-normalised float32 ``.npy`` in the cache, with a JSON manifest, read back
memory-mapped (nothing concatenates the shards).

An entry is ``<cache>/<key>.npy`` + ``<key>.json``, the key hashing the model identity and the shard's content.
The manifest records rows, dimension, the ``.npy``'s byte size and SHA-256; an entry that does not match its
manifest (a truncated or damaged file) is reported once and recomputed. Files are written under a temporary
name and renamed, the manifest last, so a killed run leaves no entry that looks complete.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io_utils import atomic_path, file_sha256, write_json
from ..vectors import l2_normalize
from .read import Corpus, Shard

FORMAT = "ems-mine-embeddings/1"


def default_cache_dir() -> Path:
    root = os.environ.get("EMS_MINE_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ems-mine"
    return Path(root) / "embeddings"


@dataclass(frozen=True)
class EmbedTask:
    """One shard to embed into ``npy`` (and its manifest ``meta``)."""

    shard: Shard
    lang: str | None
    npy: Path
    meta: Path


def entry(cache: Path, model_id: str, shard: Shard) -> tuple[Path, Path]:
    key = hashlib.sha256(f"{model_id}:{shard.sha256}".encode()).hexdigest()[:24]
    return cache / f"{key}.npy", cache / f"{key}.json"


def is_valid(npy: Path, meta: Path, model_id: str, dim: int, shard: Shard) -> bool:
    """True when the entry exists and matches its manifest; a damaged one is reported (and will be redone)."""
    if not npy.exists() and not meta.exists():
        return False
    try:
        m = json.loads(meta.read_text())
        ok = (m.get("format") == FORMAT and m.get("model_id") == model_id and m.get("rows") == shard.rows
              and m.get("dim") == dim and npy.stat().st_size == m.get("npy_bytes") and file_sha256(npy) == m.get("npy_sha256"))
    except (OSError, ValueError, AttributeError):
        ok = False
    if not ok:
        warnings.warn(f"{npy}: cached embeddings of {shard.path} are damaged or incomplete; recomputing them", stacklevel=2)
    return ok


def plan(corpus: Corpus, encoder, lang: str | None, cache: Path) -> tuple[list[EmbedTask], list[Path]]:
    """(the shards still to embed, every shard's .npy path in order)."""
    tasks, paths = [], []
    for shard in corpus.shards:
        npy, meta = entry(cache, encoder.model_id, shard)
        paths.append(npy)
        if not is_valid(npy, meta, encoder.model_id, encoder.dim, shard):
            tasks.append(EmbedTask(shard, lang, npy, meta))
    return tasks, paths


def encode_texts(encoder, texts: list[str], lang: str | None, batch_size: int) -> np.ndarray:
    """(n, dim) unit-length float32 rows."""
    return l2_normalize(encoder.encode(texts, lang=lang, batch_size=batch_size))


def write_entry(task: EmbedTask, emb: np.ndarray, encoder) -> None:
    """The embeddings of one shard, then its manifest (an .npy without a matching manifest is not an entry)."""
    with atomic_path(task.npy) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, np.ascontiguousarray(emb, np.float32))
    write_json(task.meta, {"format": FORMAT, "model_id": encoder.model_id, "dim": int(encoder.dim),
                           "rows": task.shard.rows, "source": str(task.shard.path), "source_sha256": task.shard.sha256,
                           "lang": task.lang, "dtype": "float32", "normalized": True,
                           "npy_bytes": task.npy.stat().st_size, "npy_sha256": file_sha256(task.npy)})


def embed_shard(task: EmbedTask, corpus: Corpus, encoder, batch_size: int, bar=None) -> None:
    """Encode one shard chunk by chunk and write its entry."""
    parts = []
    for texts in corpus.texts(task.shard):
        parts.append(encode_texts(encoder, texts, task.lang, batch_size))
        if bar is not None:
            bar.update(len(texts))
    write_entry(task, np.concatenate(parts) if parts else np.zeros((0, encoder.dim), np.float32), encoder)


def load(paths: list[Path]) -> list[np.ndarray]:
    """The shards' embeddings, memory-mapped."""
    return [np.load(p, mmap_mode="r") for p in paths]
