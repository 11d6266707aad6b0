"""Embed stage: corpus shards → embedding shards with manifests, skipping shards already done.

Each shard's embeddings are stored as ``<cache>/<key>.npy`` with ``<key>.json`` beside it, where the
key hashes the model identity and the shard's content. A killed run leaves no partial shard (files
are written to a temporary name and renamed), so running again resumes where it stopped.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from .data.corpus import Corpus, Shard
from .encoder import EMSEncoder
from .errors import UserError
from .io_utils import atomic_path, file_sha256, write_json
from .vectors import l2_normalize


def default_cache_dir() -> Path:
    root = os.environ.get("EMS_MINE_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ems-mine"
    return Path(root) / "embeddings"


def _save_npy(path: Path, emb: np.ndarray) -> None:
    """Write ``emb`` to ``path`` under a temporary name, renamed when complete."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, emb)


def manifest_for(encoder: EMSEncoder, shard: Shard, source_sha: str) -> dict:
    return {"model_id": encoder.model_id, "model_dir": str(encoder.model_dir), "dim": encoder.dim,
            "rows": shard.rows, "source": str(shard.path), "source_sha256": source_sha, "dtype": "float32"}


def _encode_shard(encoder: EMSEncoder, corpus: Corpus, shard: Shard, lang: str | None, batch_size: int,
                  bar) -> np.ndarray:
    parts = []
    for chunk in corpus.chunks(shard, rows=4096):
        parts.append(encoder.encode(chunk.column("text").to_pylist(), lang=lang, batch_size=batch_size))
        bar.update(chunk.num_rows)
    return np.concatenate(parts) if parts else np.zeros((0, encoder.dim), np.float32)


def embed_corpus(corpus: Corpus, encoder: EMSEncoder, lang: str | None, cache_dir: Path | None = None,
                 batch_size: int = 128, progress: bool = True, desc: str = "embed") -> np.ndarray:
    """(N, D) float32 embeddings of every sentence of ``corpus`` in order, using and filling the cache."""
    from tqdm.auto import tqdm

    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    arrays = []
    with tqdm(total=corpus.rows, desc=desc, unit="sent", disable=not progress, dynamic_ncols=True) as bar:
        for shard in corpus.shards:
            sha = file_sha256(shard.path)
            key = hashlib.sha256(f"{encoder.model_id}:{sha}".encode()).hexdigest()[:24]
            npy, meta = cache / f"{key}.npy", cache / f"{key}.json"
            if npy.is_file() and meta.is_file() and json.loads(meta.read_text()).get("rows") == shard.rows:
                bar.update(shard.rows)
            else:
                emb = _encode_shard(encoder, corpus, shard, lang, batch_size, bar)
                write_json(meta, manifest_for(encoder, shard, sha))  # manifest first: an .npy implies both
                _save_npy(npy, emb)
            arrays.append(np.load(npy, mmap_mode="r"))
    return np.concatenate(arrays).astype(np.float32, copy=False)


def embed_file(input_path: str, output: str, model: str | None, lang: str | None, batch_size: int = 128,
               normalize: bool = False, overwrite: bool = False) -> Path:
    """`ems-mine embed`: one corpus → OUT.npy plus OUT.json (model identity, dimension, rows, checksum)."""
    from tqdm.auto import tqdm

    out = Path(output)
    if out.suffix != ".npy":
        raise UserError(f"{out}: the output must end in .npy")
    if out.exists() and not overwrite:
        raise UserError(f"{out}: output exists; pass --overwrite or choose another path")
    corpus = Corpus(input_path)
    encoder = EMSEncoder.from_pretrained(model)
    t0 = time.monotonic()
    with tqdm(total=corpus.rows, desc="embed", unit="sent", dynamic_ncols=True) as bar:
        emb = np.concatenate([_encode_shard(encoder, corpus, s, lang, batch_size, bar) for s in corpus.shards])
    if normalize:
        emb = l2_normalize(emb)
    _save_npy(out, emb)
    write_json(out.with_suffix(".json"), {
        "model_id": encoder.model_id, "model_dir": str(encoder.model_dir), "dim": encoder.dim,
        "rows": int(emb.shape[0]), "source": str(input_path), "normalized": normalize,
        "source_sha256": [file_sha256(s.path) for s in corpus.shards], "lang": lang,
        "seconds": round(time.monotonic() - t0, 3)})
    return out
