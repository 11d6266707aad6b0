"""Teacher embeddings of the English side of the training pairs, computed once and stored as Parquet.

The file has one row per distinct sentence: ``text`` (string) and ``embedding`` (fixed-size list of
float32, unit length); its schema metadata names the teacher. The trainer maps every pair's ``tgt``
sentence to its row (pairs whose sentence is missing get no distillation target).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.pairs import iter_pair_batches
from ..errors import UserError
from ..io_utils import atomic_path

SIDE = "tgt"


def build_teacher_targets(pairs_spec: str | Path, teacher_name: str, out: str | Path, batch_size: int = 256,
                          progress: bool = True) -> Path:
    """Embed every distinct ``tgt`` sentence of the pairs with the teacher; write ``out`` atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tqdm.auto import tqdm

    from ..teachers import load_teacher

    out = Path(out)
    if out.exists():
        raise UserError(f"{out} exists; delete it or choose another output")
    texts = list(dict.fromkeys(t for _, cols in iter_pair_batches(pairs_spec) for t in cols[SIDE] if t))
    if not texts:
        raise UserError(f"{pairs_spec}: no {SIDE!r} sentences to embed")
    teacher = load_teacher(teacher_name)
    order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths per batch: less padding
    emb = None
    for start in tqdm(range(0, len(texts), batch_size), desc=f"teacher {teacher_name}", unit="batch",
                      disable=not progress):
        rows = order[start:start + batch_size]
        e = teacher.encode([texts[i] for i in rows], batch_size=batch_size)
        if emb is None:
            emb = np.zeros((len(texts), e.shape[1]), dtype=np.float32)
        emb[rows] = e
    flat = pa.array(emb.reshape(-1), type=pa.float32())
    table = pa.table({"text": pa.array(texts, type=pa.string()),
                      "embedding": pa.FixedSizeListArray.from_arrays(flat, emb.shape[1])})
    table = table.replace_schema_metadata({"teacher": teacher.model_id})
    with atomic_path(out) as tmp:
        pq.write_table(table, tmp)
    return out


def load_teacher_targets(path: str | Path, pairs_spec: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(targets (U, Dt) float32, row (N,) int64): pair i's target is ``targets[row[i]]``, none where row is −1."""
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no teacher targets; build them with "
                        "python pipelines/teacher_targets.py --pairs PAIRS --teacher use --out FILE")
    table = pq.read_table(path)
    if {"text", "embedding"} - set(table.column_names):
        raise UserError(f"{path}: teacher targets need columns text, embedding (found {', '.join(table.column_names)})")
    col = table.column("embedding").combine_chunks()
    dim = col.type.list_size
    targets = col.values.to_numpy(zero_copy_only=False).astype(np.float32).reshape(-1, dim)
    index = {t: i for i, t in enumerate(table.column("text").to_pylist())}
    rows = np.concatenate([np.array([index.get(t, -1) for t in cols[SIDE]], dtype=np.int64)
                           for _, cols in iter_pair_batches(pairs_spec)])
    return targets, rows
