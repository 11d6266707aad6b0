"""``ems-mine embed``: one corpus → OUT.npy (N, D) float32 plus OUT.json (model identity, dimension, rows,
normalisation, the corpus shards' checksums), written under temporary names and renamed."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .errors import UserError
from .io_utils import atomic_path, check_writable, file_sha256, write_json
from .vectors import l2_normalize


def embed_file(input_path: str, output: str, model: str | None, lang: str | None, batch_size: int = 128,
               normalize: bool = False, overwrite: bool = False, device: str | None = None, progress: bool = True) -> Path:
    from tqdm.auto import tqdm

    from .encoders import load_encoder
    from .languages import check_lang
    from .mining.read import Corpus

    out = Path(output)
    if out.suffix != ".npy":
        raise UserError(f"-o {out}: the output must end in .npy")
    check_writable(out, overwrite)
    check_writable(out.with_suffix(".json"), True)
    corpus = Corpus(input_path)
    encoder = load_encoder(model, device)
    if lang is not None and getattr(encoder, "languages", ()):
        lang = check_lang(lang, encoder.languages)
    t0 = time.monotonic()
    with atomic_path(out, overwrite) as tmp:
        mm = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(corpus.rows, encoder.dim))
        row = 0
        with tqdm(total=corpus.rows, desc="embed", unit="sent", disable=not progress, dynamic_ncols=True) as bar:
            for shard in corpus.shards:
                for texts in corpus.texts(shard):
                    emb = encoder.encode(texts, lang=lang, batch_size=batch_size)
                    mm[row : row + len(texts)] = l2_normalize(emb) if normalize else emb
                    row += len(texts)
                    bar.update(len(texts))
        mm.flush()
        del mm
    write_json(out.with_suffix(".json"), {
        "model_id": encoder.model_id, "model_dir": str(getattr(encoder, "model_dir", "") or ""), "dim": int(encoder.dim),
        "rows": corpus.rows, "source": str(input_path), "normalized": normalize,
        "source_sha256": [s.sha256 for s in corpus.shards], "sha256": file_sha256(out), "lang": lang,
        "seconds": round(time.monotonic() - t0, 3)})
    return out
