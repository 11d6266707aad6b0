"""The mining pipeline: read → embed → kNN → margin + candidates → filters → write, over shards.

Stages are the modules beside this one (``read``, ``embed``, ``knn``/``knn_stage``, ``margin``,
``candidates``, ``filters``, ``write``); an executor (``ems_mine.executors``) schedules the embed and kNN
work. Memory beyond the memory-mapped embedding files is O((S + T)·k + tile) plus the kept rows' text.
"""
from __future__ import annotations

import json
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UserError
from .config import MineConfig


@dataclass(frozen=True)
class MineJob:
    """One mining run: what to mine, with which model, where to write; ``config`` says how."""

    src_corpus: str
    tgt_corpus: str
    src_lang: str
    tgt_lang: str
    output: str | None = None
    fmt: str | None = None
    overwrite: bool = False
    model: str | None = None
    src_emb: str | None = None
    tgt_emb: str | None = None
    cache_dir: str | None = None
    keep_rejected: str | None = None
    quiet: bool = False
    config: MineConfig = field(default_factory=MineConfig)


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


def check_destinations(job: MineJob) -> None:
    """Everything about the outputs that can be checked before any expensive work."""
    from ..io_utils import check_writable
    from .write import output_format, summary_path

    if job.output:
        fmt = output_format(job.output, job.fmt)
        if job.fmt is None and not str(job.output).endswith((".parquet", ".tsv", ".tsv.gz", ".jsonl", ".jsonl.gz")):
            raise UserError(f"-o {job.output}: name the output .parquet, .tsv(.gz) or .jsonl(.gz), or pass --format")
        if fmt == "parquet" and str(job.output).endswith(".gz"):
            raise UserError(f"-o {job.output}: Parquet is compressed already; drop the .gz")
        check_writable(job.output, job.overwrite)
        check_writable(summary_path(job.output), True)
    if job.keep_rejected:
        check_writable(job.keep_rejected, job.overwrite)


def run(job: MineJob, executor=None, encoder=None, threshold_note: str | None = None):
    """Mine ``job``; returns (pyarrow table of the kept pairs, summary dict). Writes them if ``job.output``."""
    from ..executors import get_executor
    from .read import Corpus

    executor = executor or get_executor("local")
    cfg = job.config
    check_destinations(job)
    stages = _Stages()
    src, tgt = Corpus(job.src_corpus), Corpus(job.tgt_corpus)
    precomputed = job.src_emb is not None and job.tgt_emb is not None
    if (job.src_emb is None) != (job.tgt_emb is None):
        raise UserError("give both --src-emb and --tgt-emb (or neither)")
    if encoder is None and not (precomputed and job.model is None):
        from ..encoders import load_encoder

        encoder = load_encoder(job.model)
    src_lang, tgt_lang = _langs(job, encoder)
    stages.done("read")

    cache = _cache_dir(job)
    x_paths, y_paths, model_id = _embeddings(job, executor, encoder, src, tgt, src_lang, tgt_lang, cache)
    stages.done("embed")

    fwd_sim, fwd_idx, bwd_sim, bwd_idx, knn_info = _neighbours(cfg, executor, x_paths, y_paths, cache, job.quiet)
    stages.done("knn")

    from .candidates import select_candidates
    from .margin import score_neighbours

    fwd_scores, bwd_scores = score_neighbours(fwd_sim, fwd_idx, bwd_sim, bwd_idx, cfg.margin)
    s_idx, t_idx, scores = select_candidates(fwd_scores, fwd_idx, bwd_scores, bwd_idx, cfg.mode)
    n_candidates = len(scores)
    stages.done("margin")

    table, rejected, dropped = _filter(cfg, src, tgt, s_idx, t_idx, scores, src_lang, tgt_lang, job.keep_rejected is not None,
                                       encoder)
    stages.done("filter")

    summary = {
        "src": {"lang": src_lang, "corpus": str(job.src_corpus), "sentences": src.rows, "shards": len(src.shards)},
        "tgt": {"lang": tgt_lang, "corpus": str(job.tgt_corpus), "sentences": tgt.rows, "shards": len(tgt.shards)},
        "model_id": model_id, "params": cfg.to_dict(), "knn": knn_info,
        "candidates": n_candidates, "dropped": dropped, "pairs": table.num_rows,
        "score_quantiles": _quantiles(table),
        "threshold_note": threshold_note or (f"threshold: {cfg.threshold}" if cfg.threshold is not None else "threshold: none"),
    }
    if job.output:
        from .write import output_format, write_table

        write_table(table, job.output, output_format(job.output, job.fmt), job.overwrite)
        if rejected is not None:
            write_table(rejected, job.keep_rejected, output_format(job.keep_rejected, None), job.overwrite)
        stages.done("write")
    summary["stages"] = stages.rows
    if job.output:
        from .write import write_summary

        write_summary(job.output, summary)
    if not job.quiet:
        from .write import print_summary

        print_summary(summary, table, job.output)
    return table, summary


def _quantiles(table) -> dict:
    from .write import quantiles

    return quantiles(table.column("score").to_numpy())


def _langs(job: MineJob, encoder) -> tuple[str, str]:
    from ..languages import check_lang, normalize_lang

    if encoder is None:
        return normalize_lang(job.src_lang), normalize_lang(job.tgt_lang)
    known = tuple(getattr(encoder, "languages", ()) or ())
    if not known:
        return normalize_lang(job.src_lang), normalize_lang(job.tgt_lang)
    return check_lang(job.src_lang, known), check_lang(job.tgt_lang, known)


def _cache_dir(job: MineJob) -> Path:
    from .embed import default_cache_dir

    cache = Path(job.cache_dir) if job.cache_dir else default_cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"--cache-dir {cache}: cannot be created ({e.strerror}); choose a writable directory") from None
    return cache


def _embeddings(job, executor, encoder, src, tgt, src_lang, tgt_lang, cache):
    """Both sides' embedding files (normalised, one per shard or one precomputed), and the model identity."""
    from . import embed

    if job.src_emb is not None:
        x, x_model, x_dim = _precomputed(job.src_emb, src, encoder, "src", cache)
        y, y_model, y_dim = _precomputed(job.tgt_emb, tgt, encoder, "tgt", cache)
    else:
        x_model = y_model = encoder.model_id
        x_dim = y_dim = encoder.dim
        x_tasks, x = embed.plan(src, encoder, src_lang, cache)
        y_tasks, y = embed.plan(tgt, encoder, tgt_lang, cache)
        executor.embed(x_tasks, src, encoder, job.config.batch_size, progress=not job.quiet, desc="embed src")
        executor.embed(y_tasks, tgt, encoder, job.config.batch_size, progress=not job.quiet, desc="embed tgt")
    if x_dim != y_dim:
        raise UserError(f"embedding dimensions differ: src {x_dim}, tgt {y_dim}; embed both corpora with the same model")
    if x_model != y_model:
        raise UserError(f"src and tgt embeddings come from different models ({x_model} vs {y_model}); "
                        "embed both corpora with the same model")
    return x, y, x_model


def _precomputed(path: str, corpus, encoder, side: str, cache: Path) -> tuple[list[Path], str, int]:
    """A ``ems-mine embed`` output checked against its manifest, the corpus and the model; normalised into the
    cache when it is not already."""
    from ..io_utils import atomic_path
    from ..vectors import l2_normalize

    npy, meta_path = Path(path), Path(path).with_suffix(".json")
    if not npy.is_file():
        raise UserError(f"--{side}-emb {npy}: no such embeddings file; write one with `ems-mine embed`")
    if not meta_path.is_file():
        raise UserError(f"{meta_path}: manifest missing beside {npy.name}; re-create the embeddings with `ems-mine embed`")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        model_id, dim, rows = meta["model_id"], int(meta["dim"]), int(meta["rows"])
        shas = meta.get("source_sha256")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise UserError(f"{meta_path}: not a valid embeddings manifest (model_id, dim, rows); "
                        "re-create the embeddings with `ems-mine embed`") from None
    try:
        emb = np.load(npy, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as e:
        raise UserError(f"{npy}: not a readable float .npy ({str(e).splitlines()[0]}); re-create it with `ems-mine embed`") from None
    if emb.dtype.kind != "f" or emb.ndim != 2 or emb.shape != (rows, dim):
        raise UserError(f"{npy}: {emb.dtype} array of shape {emb.shape}, but its manifest says ({rows}, {dim}) floats; re-embed")
    if emb.shape[0] != corpus.rows:
        raise UserError(f"{npy}: {emb.shape[0]} rows but the {side} corpus {corpus.spec} has {corpus.rows}; "
                        "embed that corpus again")
    if shas is not None and list(shas) != [s.sha256 for s in corpus.shards]:
        raise UserError(f"{npy}: embeddings of another corpus than {corpus.spec} (its checksum differs); "
                        "embed this corpus with `ems-mine embed`")
    if encoder is not None and model_id != encoder.model_id:
        raise UserError(f"{npy}: embeddings of model {model_id} ({meta.get('model_dir')}), but this run "
                        f"uses model {encoder.model_id}; re-embed with the same model or pass its --model")
    if meta.get("normalized"):
        return [npy], model_id, dim
    out = cache / f"normalized-{meta.get('sha256') or hash_file(npy)}.npy"
    if not out.is_file():
        with atomic_path(out) as tmp:
            mm = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=emb.shape)
            for i in range(0, len(emb), 65536):
                mm[i : i + 65536] = l2_normalize(emb[i : i + 65536])
            mm.flush()
            del mm
    return [out], model_id, dim


def hash_file(path: Path) -> str:
    from ..io_utils import file_sha256

    return file_sha256(path)[:24]


def _neighbours(cfg: MineConfig, executor, x_paths, y_paths, cache: Path, quiet: bool):
    """(fwd_sim, fwd_idx, bwd_sim, bwd_idx, info): exact blocks with checkpoints, or FAISS (approximate / GPU)."""
    from .faiss_knn import gpu_count

    if cfg.index == "flat" and gpu_count() == 0:
        from .knn_stage import KnnPlan, KnnStage

        plan = KnnPlan(x_paths, y_paths, cfg.k, cache / "knn", cfg.block_rows, cfg.precision)
        stage = KnnStage.open(plan)
        result = stage.result()
        reused = len(stage.blocks) if result is not None else stage.reused
        if result is None:
            result = executor.knn(stage, progress=not quiet)
        info = {"method": "exact", "precision": plan.precision, "blocks": len(stage.blocks), "blocks_reused": reused,
                "executor": executor.name}
        return (*result, info)
    from .ann import approximate_neighbours

    return approximate_neighbours(cfg, x_paths, y_paths, quiet)


def _filter(cfg: MineConfig, src, tgt, s_idx, t_idx, scores, src_lang, tgt_lang, keep_rejected: bool, encoder=None):
    """Score filters first (no text needed), then fetch the candidates' rows and run the text filters."""
    import pyarrow as pa

    from . import filters
    from .write import pairs_table

    score_bad = filters.below_threshold(scores, cfg.threshold) | filters.above_max_score(scores, cfg.max_score)
    below = filters.below_threshold(scores, cfg.threshold)
    dropped = {"threshold": int(below.sum()), "max_score": int((score_bad & ~below).sum())}
    cand = ~score_bad if not keep_rejected else np.ones(len(scores), bool)
    s_rows, t_rows = src.fetch(s_idx[cand]), tgt.fetch(t_idx[cand])
    st, tt = s_rows.column("text").to_pylist(), t_rows.column("text").to_pylist()
    sc = scores[cand]
    checks = [("threshold", lambda d: filters.below_threshold(sc, cfg.threshold)),
              ("max_score", lambda d: filters.above_max_score(sc, cfg.max_score)),
              ("empty", lambda d: filters.empty(st, tt)),
              ("copy", lambda d: filters.copies(st, tt) if src_lang != tgt_lang else np.zeros(len(st), bool)),
              ("language", lambda d: _wrong_language(st, tt, src_lang, tgt_lang, d)),
              ("length_ratio", lambda d: filters.length_ratio(st, tt, cfg.max_length_ratio)),
              ("truncated", lambda d: _truncated(st, tt, encoder, d))]
    if cfg.dedup:
        checks.append(("duplicate", lambda d: filters.repeated(st, tt, d)))
    keep, reason, counts = filters.apply_filters(checks, len(sc))
    if counts.get("truncated"):
        import warnings

        warnings.warn(f"{counts['truncated']} pairs dropped: a side has more than twice the "
                      f"{encoder.tokenizer.max_tokens} tokens the model embeds, so most of it was never embedded",
                      stacklevel=2)
    counts["threshold"], counts["max_score"] = dropped["threshold"], dropped["max_score"]
    table = pairs_table(sc[keep], src_lang, tgt_lang, s_rows.filter(pa.array(keep)), t_rows.filter(pa.array(keep)))
    rejected = None
    if keep_rejected:
        rejected = pairs_table(sc[~keep], src_lang, tgt_lang, s_rows.filter(pa.array(~keep)), t_rows.filter(pa.array(~keep)))
        rejected = rejected.add_column(1, "reason", pa.array([r for r, k in zip(reason, keep) if not k], pa.string()))
    return table, rejected, counts


def _wrong_language(st: list[str], tt: list[str], src_lang: str, tgt_lang: str, dropped: np.ndarray) -> np.ndarray:
    """Either side confidently in another language (``lid.py``), checked on the pairs not dropped yet."""
    from .lid import wrong_language

    out = np.zeros(len(st), bool)
    todo = np.flatnonzero(~dropped)
    if src_lang == tgt_lang or not len(todo):
        return out
    a = wrong_language([st[i] for i in todo], src_lang, tgt_lang)
    b = wrong_language([tt[i] for i in todo], tgt_lang, src_lang)
    out[todo] = a | b
    return out


def _truncated(st: list[str], tt: list[str], encoder, dropped: np.ndarray) -> np.ndarray:
    """A side the encoder cut to less than half (only for encoders with an ems-mine tokenizer)."""
    from . import filters

    tok = getattr(encoder, "tokenizer", None)
    out = np.zeros(len(st), bool)
    if tok is None or not hasattr(tok, "sp"):
        return out
    todo = np.flatnonzero(~dropped)
    for side in (st, tt):
        counts = np.array([len(x) for x in tok.sp.encode([side[i] for i in todo])], dtype=np.int64)
        out[todo] |= filters.truncated(counts, tok.max_tokens)
    return out
