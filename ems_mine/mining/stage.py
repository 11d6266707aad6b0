"""The mining stage: corpora on disk → embeddings → mined pairs → Parquet/TSV + a JSON summary.

The algorithm lives in :func:`ems_mine.mining.mine.mine_embeddings`; this module handles files,
filters, the output and the summary.
"""
from __future__ import annotations

import json
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..vectors import l2_normalize

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "samples"


@dataclass(frozen=True)
class MineOptions:
    """Every setting of a mining run (the CLI's options, one source of truth)."""

    src: str | None = None
    tgt: str | None = None
    src_corpus: str | None = None
    tgt_corpus: str | None = None
    output: str | None = None
    model: str | None = None
    k: int = 4
    margin: str = "ratio"
    mode: str = "max"
    threshold: float | None = None
    max_score: float | None = None
    max_length_ratio: float | None = None
    dedup: bool = True
    index: str = "flat"
    src_emb: str | None = None
    tgt_emb: str | None = None
    cache_dir: str | None = None
    fmt: str | None = None
    batch_size: int = 128
    overwrite: bool = False
    quiet: bool = False


@dataclass
class _Stages:
    """Wall time and peak resident memory after each stage, for the summary."""

    rows: dict = field(default_factory=dict)
    t: float = field(default_factory=time.monotonic)

    def done(self, name: str) -> None:
        now = time.monotonic()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.rows[name] = {"seconds": round(now - self.t, 3), "peak_rss_mb": round(peak_mb, 1)}
        self.t = now


def _load_precomputed(path: str, corpus, model_id: str | None, side: str) -> tuple[np.ndarray, dict]:
    npy, meta_path = Path(path), Path(path).with_suffix(".json")
    if not npy.is_file():
        raise UserError(f"{npy}: no such embeddings file; write one with `ems-mine embed`")
    if not meta_path.is_file():
        raise UserError(f"{meta_path}: manifest missing beside {npy.name}; re-create the embeddings with `ems-mine embed`")
    meta = json.loads(meta_path.read_text())
    emb = np.load(npy, mmap_mode="r")
    if emb.ndim != 2 or emb.shape[1] != meta.get("dim"):
        raise UserError(f"{npy}: shape {emb.shape} does not match its manifest (dim {meta.get('dim')}); re-embed")
    if emb.shape[0] != corpus.rows:
        raise UserError(f"{npy}: {emb.shape[0]} rows but the {side} corpus {corpus.spec} has {corpus.rows}; "
                        "embed that corpus again")
    if model_id is not None and meta.get("model_id") != model_id:
        raise UserError(f"{npy}: embeddings of model {meta.get('model_id')} ({meta.get('model_dir')}), but this run "
                        f"uses model {model_id}; re-embed with the same model or pass its --model")
    return np.asarray(emb, dtype=np.float32), meta


def _filters(src_text: list[str], tgt_text: list[str], scores: np.ndarray, o: MineOptions) -> tuple[np.ndarray, dict]:
    """Boolean mask of pairs to keep, and how many each filter dropped (applied in this order)."""
    keep = np.ones(len(scores), dtype=bool)
    dropped = {}

    def apply(name: str, bad: np.ndarray) -> None:
        dropped[name] = int((keep & bad).sum())
        keep[bad] = False

    apply("empty", np.array([not a.strip() or not b.strip() for a, b in zip(src_text, tgt_text)], dtype=bool))
    if o.max_score is not None:
        apply("max_score", scores > o.max_score)
    if o.max_length_ratio is not None:
        la = np.array([max(len(a), 1) for a in src_text], dtype=np.float64)
        lb = np.array([max(len(b), 1) for b in tgt_text], dtype=np.float64)
        apply("length_ratio", np.maximum(la, lb) / np.minimum(la, lb) > o.max_length_ratio)
    if o.dedup:
        seen, dup = set(), np.zeros(len(scores), dtype=bool)
        for n, pair in enumerate(zip(src_text, tgt_text)):
            if keep[n]:
                dup[n] = pair in seen
                seen.add(pair)
        apply("duplicate", dup)
    return keep, dropped


def mine_corpora(src_corpus: str, tgt_corpus: str, src_lang: str, tgt_lang: str, output: str | None = None,
                 options: MineOptions | None = None, encoder=None):
    """Mine two corpora the way the CLI does; returns the pairs as a pyarrow Table (written if ``output``)."""
    import pyarrow as pa

    from ..data.corpus import Corpus
    from ..embed_stage import embed_corpus
    from ..encoder import EMSEncoder
    from ..languages import resolve_lang
    from .mine import mine_embeddings

    o = options or MineOptions()
    fmt = o.fmt or ("tsv" if output and output.endswith((".tsv", ".tsv.gz")) else "parquet")
    if output and Path(output).exists() and not o.overwrite:
        raise UserError(f"{output}: output exists; pass --overwrite or choose another path")
    stages = _Stages()
    src, tgt = Corpus(src_corpus), Corpus(tgt_corpus)
    need_model = encoder is None and not (o.src_emb and o.tgt_emb and o.model is None)
    encoder = encoder or (EMSEncoder.from_pretrained(o.model) if need_model else None)
    model_id = encoder.model_id if encoder is not None else None
    if encoder is not None:
        src_lang, tgt_lang = resolve_lang(src_lang, encoder.languages), resolve_lang(tgt_lang, encoder.languages)
    stages.done("load")

    def side_embeddings(corpus, emb_path, lang, name):
        if emb_path:
            emb, meta = _load_precomputed(emb_path, corpus, model_id, name)
            return emb, meta["model_id"], meta["dim"]
        emb = embed_corpus(corpus, encoder, lang, o.cache_dir, o.batch_size, progress=not o.quiet, desc=f"embed {name}")
        return emb, model_id, encoder.dim

    x, x_model, x_dim = side_embeddings(src, o.src_emb, src_lang, "src")
    y, y_model, y_dim = side_embeddings(tgt, o.tgt_emb, tgt_lang, "tgt")
    if x_dim != y_dim:
        raise UserError(f"embedding dimensions differ: src {x_dim}, tgt {y_dim}; embed both corpora with the same model")
    if x_model != y_model:
        raise UserError(f"src and tgt embeddings come from different models ({x_model} vs {y_model}); "
                        "embed both corpora with the same model")
    stages.done("embed")

    s_idx, t_idx, scores = mine_embeddings(l2_normalize(x), l2_normalize(y), k=o.k, margin=o.margin, mode=o.mode,
                                           threshold=o.threshold, index=o.index, progress=not o.quiet)
    n_candidates = len(scores)
    stages.done("mine")

    src_table, tgt_table = src.table(), tgt.table()
    src_rows, tgt_rows = src_table.take(pa.array(s_idx)), tgt_table.take(pa.array(t_idx))
    keep, dropped = _filters(src_rows.column("text").to_pylist(), tgt_rows.column("text").to_pylist(), scores, o)
    mask = pa.array(keep)
    src_rows, tgt_rows, scores = src_rows.filter(mask), tgt_rows.filter(mask), scores[keep]
    cols = {"score": pa.array(scores, pa.float32()),
            "src_id": src_rows.column("id"), "tgt_id": tgt_rows.column("id"),
            "src_text": src_rows.column("text"), "tgt_text": tgt_rows.column("text")}
    for side, rows in (("src", src_rows), ("tgt", tgt_rows)):
        for name in rows.column_names:
            if name not in ("id", "text"):
                cols[f"{side}_{name}"] = rows.column(name)
    table = pa.table(cols)
    stages.done("filter")

    summary = {
        "src": {"lang": src_lang, "corpus": str(src_corpus), "sentences": src.rows},
        "tgt": {"lang": tgt_lang, "corpus": str(tgt_corpus), "sentences": tgt.rows},
        "model_id": x_model, "params": {"k": o.k, "margin": o.margin, "mode": o.mode, "threshold": o.threshold,
                                        "max_score": o.max_score, "max_length_ratio": o.max_length_ratio,
                                        "dedup": o.dedup, "index": o.index},
        "candidates": n_candidates, "dropped": dropped, "pairs": table.num_rows,
        "score_quantiles": _quantiles(scores),
    }
    if output:
        _write(table, output, fmt)
        stages.done("write")
    summary["stages"] = stages.rows
    if output:
        from ..io_utils import write_json

        write_json(summary_path(output), summary)
    if not o.quiet:
        _print_summary(summary, table, output)
    return table


def summary_path(output: str) -> Path:
    p = Path(output)
    name = p.name
    for suffix in (".parquet", ".tsv.gz", ".tsv"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return p.with_name(name + ".summary.json")


def _quantiles(scores: np.ndarray) -> dict:
    if len(scores) == 0:
        return {}
    qs = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
    return {f"p{int(q * 100)}": round(float(v), 4) for q, v in zip(qs, np.quantile(scores, qs))}


def _write(table, output: str, fmt: str) -> None:
    from ..io_utils import atomic_path

    with atomic_path(output) as tmp:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, tmp)
        else:
            import gzip

            opener = gzip.open if output.endswith(".gz") else open
            with opener(tmp, "wt", encoding="utf-8", newline="") as f:
                f.write("\t".join(table.column_names) + "\n")
                for row in zip(*(table.column(c).to_pylist() for c in table.column_names)):
                    f.write("\t".join(_tsv_cell(v) for v in row) + "\n")


def _tsv_cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.6f}"
    return str(v).replace("\t", " ").replace("\n", " ")


def _print_summary(summary: dict, table, output: str | None) -> None:
    err = sys.stderr
    print(f"mined {summary['pairs']} pairs from {summary['src']['sentences']} {summary['src']['lang']} × "
          f"{summary['tgt']['sentences']} {summary['tgt']['lang']} sentences "
          f"({summary['candidates']} candidates; dropped {summary['dropped']})", file=err)
    if summary["score_quantiles"]:
        print("score quantiles: " + ", ".join(f"{k} {v}" for k, v in summary["score_quantiles"].items()), file=err)
    print("stages: " + ", ".join(f"{k} {v['seconds']}s/{v['peak_rss_mb']}MB" for k, v in summary["stages"].items()), file=err)
    for s, a, b in zip(table.column("score").to_pylist()[:5], table.column("src_text").to_pylist()[:5],
                       table.column("tgt_text").to_pylist()[:5]):
        print(f"  {s:.3f}  {a[:60]}  |||  {b[:60]}", file=err)
    if output:
        print(f"wrote {output} and {summary_path(output)}", file=err)


def mine_command(o: MineOptions) -> None:
    """The CLI's default action: mine the given corpora, or the bundled de–en sample."""
    src_corpus, tgt_corpus, output = o.src_corpus, o.tgt_corpus, o.output
    src, tgt = o.src or "de", o.tgt or "en"
    if src_corpus is None and tgt_corpus is None:
        if {src, tgt} != {"de", "en"} and (o.src or o.tgt):
            from ..languages import normalize_lang

            if {normalize_lang(src), normalize_lang(tgt)} != {"deu", "eng"}:
                raise UserError("the bundled sample corpus is German–English only; pass --src-corpus and --tgt-corpus")
        src_corpus, tgt_corpus = (SAMPLE_DIR / f"sample.{_short(src)}.txt", SAMPLE_DIR / f"sample.{_short(tgt)}.txt")
        output = output or f"ems-mine-sample.{_short(src)}-{_short(tgt)}.parquet"
    elif src_corpus is None or tgt_corpus is None:
        raise UserError("give both --src-corpus and --tgt-corpus (or neither, to mine the bundled sample)")
    if not o.src or not o.tgt:
        if o.src_corpus:
            raise UserError("name the languages with --src and --tgt, e.g. --src de --tgt en")
    if output is None:
        raise UserError("name the output with -o OUT.parquet (or OUT.tsv)")
    mine_corpora(str(src_corpus), str(tgt_corpus), src, tgt, output, o)


def _short(code: str) -> str:
    from ..languages import normalize_lang

    return {"deu": "de", "eng": "en"}[normalize_lang(code)]
