"""A persistent cross-lingual search index: a FAISS index over L2-normalised sentence embeddings, the rows'
``id, text, lang`` (plus carried columns) as Parquet parts, and a manifest.

    INDEX_DIR/
      manifest.json         format, model (how to load it) and its identity, dimension, count, index type and
                            parameters, and each added shard (source, SHA-256, rows, language)
      index.faiss           the FAISS index (memory-mapped on load where FAISS allows it)
      rows/part-00000.parquet, …   one part per ``add``, rows in index order

>>> from ems_mine import Index
>>> ix = Index.build("en.txt", lang="en", output="en-index")                      # doctest: +SKIP
>>> ix.search(["Wo ist der Bahnhof?"], lang="de", k=3)[0][0]["text"]             # doctest: +SKIP
'Where is the train station?'
"""
from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..io_utils import write_json

FORMAT = "ems-mine-index/1"
KINDS = ("flat", "ivfpq")
MAX_K = 1000


def _faiss():
    from ..mining.faiss_knn import _faiss as f

    return f()


class Index:
    """Sentences of one or more corpora (any languages) searchable by sentences in any language."""

    def __init__(self, path: Path, manifest: dict, faiss_index, rows, encoder):
        self.path, self.manifest, self.faiss_index, self.rows, self.encoder = path, manifest, faiss_index, rows, encoder

    # -- building --------------------------------------------------------------------------------------
    @classmethod
    def build(cls, corpus: str | Path, lang: str, output: str | Path, model: str | None = None, index: str = "flat",
              encoder=None, overwrite: bool = False, batch_size: int = 128, progress: bool = False) -> "Index":
        """Embed ``corpus`` (text or Parquet, as ``ems-mine mine`` reads it) and write a new index directory."""
        from ..encoders import load_encoder, model_spec

        if index not in KINDS:
            raise UserError(f"--index {index!r}: choose one of {', '.join(KINDS)}")
        out = Path(output)
        if out.exists() and any(out.iterdir()) and not overwrite:
            raise UserError(f"{out}: output exists; pass --overwrite or choose another directory")
        encoder = encoder if encoder is not None else load_encoder(model)
        spec = model_spec(encoder)
        tmp = Path(tempfile.mkdtemp(dir=out.parent if str(out.parent) else ".", prefix=f".{out.name}.tmp-"))
        try:
            manifest = {"format": FORMAT, "model": spec, "model_id": encoder.model_id, "dim": int(encoder.dim), "count": 0,
                        "index": {"type": index}, "shards": []}
            (tmp / "rows").mkdir()
            ix = cls(tmp, manifest, None, None, encoder)
            ix._add(corpus, lang, batch_size, progress)
            if out.exists():
                shutil.rmtree(out)
            os.replace(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return cls.load(out, encoder=encoder)

    def add(self, corpus: str | Path, lang: str, batch_size: int = 128, progress: bool = False) -> "Index":
        """Add a corpus (another shard, another language) to this index, in place."""
        self._add(corpus, lang, batch_size, progress)
        return self

    def _add(self, corpus, lang: str, batch_size: int, progress: bool) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq
        from tqdm.auto import tqdm

        from ..languages import check_lang, normalize_lang
        from ..mining.read import Corpus
        from ..vectors import l2_normalize

        known = tuple(getattr(self.encoder, "languages", ()) or ())
        lang = check_lang(lang, known) if known else normalize_lang(lang)
        c = Corpus(corpus)
        done = {s["sha256"] for s in self.manifest["shards"]}
        new = [s for s in c.shards if s.sha256 not in done]
        if not new:
            raise UserError(f"{corpus}: every shard is in the index already")
        parts, tables = [], []
        with tqdm(total=sum(s.rows for s in new), desc="index", unit="sent", disable=not progress, dynamic_ncols=True) as bar:
            for shard in new:
                for t in c.chunks(shard):
                    parts.append(l2_normalize(self.encoder.encode(t.column("text").to_pylist(), lang=lang, batch_size=batch_size)))
                    tables.append(t.append_column("lang", pa.array([lang] * t.num_rows, pa.string())))
                    bar.update(t.num_rows)
        emb = np.concatenate(parts)
        table = pa.concat_tables(tables, promote_options="permissive")
        table = table.select(["id", "text", "lang"] + [n for n in table.column_names if n not in ("id", "text", "lang")])
        if pa.types.is_integer(table.schema.field("id").type):
            table = table.set_column(0, "id", table.column("id").cast(pa.string()))
        fi = self._trained(emb)
        fi.add(emb)
        n_part = len(self.manifest["shards"])
        part = self.path / "rows" / f"part-{n_part:05d}.parquet"
        tmp_part = part.with_name(f".{part.name}.tmp")
        pq.write_table(table, tmp_part)
        tmp_index = self.path / ".index.faiss.tmp"
        _faiss().write_index(fi, str(tmp_index))
        os.replace(tmp_part, part)
        os.replace(tmp_index, self.path / "index.faiss")
        self.manifest["shards"] += [{"source": str(s.path), "sha256": s.sha256, "rows": s.rows, "lang": lang,
                                     "part": part.name} for s in new]
        self.manifest["count"] = int(fi.ntotal)
        write_json(self.path / "manifest.json", self.manifest)
        self.faiss_index, self.rows = fi, None

    def _trained(self, emb: np.ndarray):
        """The existing FAISS index, or a new one (IVF-PQ trained on these first embeddings)."""
        faiss = _faiss()
        if (self.path / "index.faiss").is_file():
            return faiss.read_index(str(self.path / "index.faiss"))
        d = emb.shape[1]
        if self.manifest["index"]["type"] == "flat":
            return faiss.IndexFlatIP(d)
        n = len(emb)
        nlist = max(1, min(65536, int(4 * math.sqrt(n)), n // 39))
        m = next(m for m in (64, 48, 32, 16, 8, 4, 2, 1) if d % m == 0 and d // m >= 4 or m == 1)
        ix = faiss.index_factory(d, f"IVF{nlist},PQ{m}", faiss.METRIC_INNER_PRODUCT)
        if n < 39 * nlist or n < 256:
            raise UserError(f"--index ivfpq needs at least {max(256, 39 * nlist)} sentences to train on; use flat")
        sample = emb[np.random.default_rng(0).choice(n, size=min(n, max(100_000, 39 * nlist)), replace=False)]
        ix.train(np.ascontiguousarray(sample))
        nprobe = min(nlist, 32)
        faiss.extract_index_ivf(ix).nprobe = nprobe
        self.manifest["index"].update({"factory": f"IVF{nlist},PQ{m}", "nlist": nlist, "nprobe": nprobe, "trained_on": len(sample)})
        return ix

    # -- loading -----------------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, model: str | None = None, encoder=None) -> "Index":
        """Open an index directory; the encoder is the one it was built with unless given (then it must be the
        same model)."""
        from ..encoders import load_encoder

        path = Path(path)
        mf = path / "manifest.json"
        if not mf.is_file() or not (path / "index.faiss").is_file():
            raise UserError(f"{path}: not an index directory (no manifest.json / index.faiss); make one with "
                            "`ems-mine index build`")
        try:
            manifest = json.loads(mf.read_text(encoding="utf-8"))
            fmt = manifest["format"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise UserError(f"{mf}: not a valid index manifest; the index is damaged — build it again") from None
        if fmt != FORMAT:
            raise UserError(f"{mf}: format {fmt!r}, expected {FORMAT!r}")
        if encoder is None:
            encoder = load_encoder(model if model is not None else manifest["model"])
        if encoder.model_id != manifest["model_id"]:
            raise UserError(f"{path}: built with model {manifest['model_id']} but the query model is {encoder.model_id}; "
                            "search with the index's own model")
        faiss = _faiss()
        try:
            try:
                fi = faiss.read_index(str(path / "index.faiss"), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
            except RuntimeError:
                fi = faiss.read_index(str(path / "index.faiss"))
        except RuntimeError as e:
            raise UserError(f"{path / 'index.faiss'}: unreadable ({str(e).splitlines()[0][:120]}); build the index again") from None
        if fi.ntotal != manifest["count"] or fi.d != manifest["dim"]:
            raise UserError(f"{path}: index.faiss holds {fi.ntotal} × {fi.d} but the manifest says {manifest['count']} × "
                            f"{manifest['dim']}; build the index again")
        if "nprobe" in manifest["index"]:
            faiss.extract_index_ivf(fi).nprobe = manifest["index"]["nprobe"]
        return cls(path, manifest, fi, None, encoder)

    def _rows(self):
        if self.rows is None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            parts = sorted({s["part"] for s in self.manifest["shards"]})
            self.rows = pa.concat_tables([pq.read_table(self.path / "rows" / p, memory_map=True) for p in parts],
                                         promote_options="permissive")
        return self.rows

    @property
    def languages(self) -> list[str]:
        return sorted({s["lang"] for s in self.manifest["shards"]})

    def __len__(self) -> int:
        return int(self.manifest["count"])

    # -- searching ---------------------------------------------------------------------------------------
    def search(self, queries: str | Sequence[str], lang: str | None = None, k: int = 10, batch_size: int = 128):
        """Per query, its ``k`` best hits ``{"id", "text", "lang", "score"}`` (cosine), best first — the shape of
        sentence-transformers' ``semantic_search`` with the fields a search needs. A single string gives one list."""
        from ..languages import check_lang
        from ..vectors import l2_normalize

        single = isinstance(queries, str)
        qs = [queries] if single else list(queries)
        if not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise UserError(f"k={k}: choose from 1 to {MAX_K}")
        if lang is not None and getattr(self.encoder, "languages", ()):
            check_lang(lang, self.encoder.languages)
        if not qs:
            return []
        emb = l2_normalize(self.encoder.encode(qs, lang=lang, batch_size=batch_size))
        return self.search_embeddings(emb, k)[0] if single else self.search_embeddings(emb, k)

    def search_embeddings(self, emb: np.ndarray, k: int) -> list[list[dict]]:
        """Hits for unit-length query embeddings (n, dim)."""
        k_eff = min(k, len(self))
        scores, ids = self.faiss_index.search(np.ascontiguousarray(emb, np.float32), k_eff)
        rows = self._rows()
        flat = ids[ids >= 0]
        got = rows.take(flat).select(["id", "text", "lang"]).to_pydict() if len(flat) else {"id": [], "text": [], "lang": []}
        out, pos = [], 0
        for r in range(len(emb)):
            hits = []
            for s, i in zip(scores[r], ids[r]):
                if i < 0:
                    continue
                hits.append({"id": got["id"][pos], "text": got["text"][pos], "lang": got["lang"][pos], "score": float(s)})
                pos += 1
            out.append(hits)
        return out

    def info(self) -> dict:
        m = self.manifest
        return {"count": len(self), "dim": m["dim"], "model": m["model"], "model_id": m["model_id"], "index": m["index"],
                "languages": self.languages, "shards": len(m["shards"])}
