"""``ems-mine mine``: the command's options → a :class:`MineJob` (with the bundled sample as the default corpus)."""
from __future__ import annotations

import math
from pathlib import Path

from ..errors import UserError
from .config import MineConfig

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "samples"


def parse_threshold(text: str | None) -> float | None | str:
    """``--threshold``: a number, ``none`` (keep everything) or unset (``"model"``: the model's calibrated one)."""
    if text is None:
        return "model"
    if text.strip().lower() in ("none", "off"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"--threshold {text!r}: give a number (e.g. 1.06) or 'none'") from None
    if not math.isfinite(value):
        raise UserError(f"--threshold {text}: give a finite number or 'none'")
    return value


def sample_corpora(src: str, tgt: str) -> tuple[Path, Path]:
    """The bundled de–en sample in the asked direction."""
    from ..languages import normalize_lang

    short = {"deu": "de", "eng": "en"}
    try:
        a, b = short[normalize_lang(src)], short[normalize_lang(tgt)]
    except KeyError:
        raise UserError("the bundled sample corpus is German–English only; pass --src-corpus and --tgt-corpus") from None
    if a == b:
        raise UserError("the bundled sample corpus is German–English only; pass --src-corpus and --tgt-corpus")
    return SAMPLE_DIR / f"sample.{a}.txt", SAMPLE_DIR / f"sample.{b}.txt"


def config_from(opts: dict, threshold) -> MineConfig:
    given = {k: opts[k] for k in ("k", "margin", "mode", "max_score", "max_length_ratio", "dedup", "index", "batch_size",
                                  "block_rows")
             if opts.get(k) is not None}
    return MineConfig(threshold=threshold if isinstance(threshold, float) else None, **given)


def mine_command(src, tgt, src_corpus, tgt_corpus, output, model, device, threshold, src_emb, tgt_emb, cache_dir,
                 fmt, keep_rejected, executor, ray_address, overwrite, quiet, **opts) -> None:
    from ..executors import get_executor
    from .pipeline import MineJob, run
    from .thresholds import resolve_threshold

    if not src or not tgt:
        raise UserError("name the languages with --src and --tgt, e.g. --src de --tgt en")
    if (src_corpus is None) != (tgt_corpus is None):
        raise UserError("give both --src-corpus and --tgt-corpus (or neither, to mine the bundled sample)")
    if src_corpus is None:
        src_corpus, tgt_corpus = sample_corpora(src, tgt)
    if output is None:
        raise UserError("name the output with -o OUT.parquet (or .tsv, .jsonl)")
    wanted = parse_threshold(threshold)
    cfg = config_from(opts, None)
    job = MineJob(str(src_corpus), str(tgt_corpus), src, tgt, output=output, fmt=fmt, overwrite=overwrite, model=model,
                  src_emb=src_emb, tgt_emb=tgt_emb, cache_dir=cache_dir, keep_rejected=keep_rejected, quiet=quiet, config=cfg)
    from .pipeline import check_destinations

    check_destinations(job)
    ex = get_executor(executor, ray_address)
    encoder = None
    if not (src_emb and tgt_emb and model is None):
        from ..encoders import load_encoder

        encoder = load_encoder(model, device)
    value, note = resolve_threshold(wanted, encoder, cfg)
    import dataclasses

    job = dataclasses.replace(job, config=cfg.replace(threshold=value))
    run(job, ex, encoder, threshold_note=note)
