"""Mining from Python: two corpora on disk (:func:`mine_corpora`) or two lists of sentences (:func:`mine_sentences`),
with the same stages, filters and default threshold as ``ems-mine mine``."""
from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import UserError
from .config import MineConfig, fields


def _job_parts(model, encoder, threshold, config: dict):
    from ..encoders import load_encoder
    from .thresholds import resolve_threshold

    unknown = set(config) - fields()
    if unknown:
        raise UserError(f"unknown mining setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(fields()))}")
    if "threshold" in config:
        raise UserError("pass threshold= as its own argument (a number, None to keep all, or 'model')")
    cfg = MineConfig(**config)
    encoder = encoder if encoder is not None else load_encoder(model)
    if isinstance(threshold, (int, float)) and not isinstance(threshold, bool):
        threshold = float(threshold)
    elif threshold not in (None, "model"):
        raise UserError(f"threshold={threshold!r}: a number, None (keep every candidate) or 'model' (the calibrated default)")
    value, note = resolve_threshold(threshold, encoder, cfg)
    return encoder, cfg.replace(threshold=value), note


def mine_corpora(src_corpus: str | Path, tgt_corpus: str | Path, src_lang: str, tgt_lang: str, output: str | Path | None = None,
                 *, model: str | None = None, encoder=None, threshold: float | str | None = "model", executor: str = "local",
                 cache_dir: str | None = None, overwrite: bool = False, quiet: bool = True, **config):
    """Mine two corpora (Parquet shards or text files) the way ``ems-mine mine`` does; returns the pairs as a
    pyarrow Table (``score, src_lang, tgt_lang, src_id, tgt_id, src_text, tgt_text``, carried columns) and
    writes them (plus ``<name>.summary.json``) when ``output`` is given. ``config``: any :class:`MineConfig`
    field (``k``, ``margin``, ``mode``, ``max_score``, …).

    >>> import ems_mine
    >>> table = ems_mine.mine_corpora("de.txt", "en.txt", "de", "en")  # doctest: +SKIP
    """
    from ..executors import get_executor
    from .pipeline import MineJob, run

    encoder, cfg, note = _job_parts(model, encoder, threshold, config)
    job = MineJob(str(src_corpus), str(tgt_corpus), src_lang, tgt_lang, output=str(output) if output else None,
                  overwrite=overwrite, cache_dir=cache_dir, quiet=quiet, config=cfg)
    table, _ = run(job, get_executor(executor), encoder, threshold_note=note)
    return table


def mine_sentences(src: Sequence[str], tgt: Sequence[str], src_lang: str, tgt_lang: str, model: str | None = None, *,
                   encoder=None, threshold: float | str | None = "model", as_table: bool = False,
                   cache_dir: str | None = None, **config):
    """Mine two lists of sentences; returns ``(score, src_index, tgt_index, src_text, tgt_text)`` records sorted by
    score (or, with ``as_table=True``, the pyarrow Table ``mine_corpora`` returns, ids being list positions).
    The pairs are those ``ems-mine mine`` finds in the same sentences stored as files.

    >>> import ems_mine
    >>> pairs = ems_mine.mine_sentences(["Guten Morgen", "Danke"], ["Thank you", "Good morning"], "de", "en")
    >>> [(p[1], p[2]) for p in pairs]  # doctest: +SKIP
    [(0, 1), (1, 0)]
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    for name, side in (("src", src), ("tgt", tgt)):
        if isinstance(side, str) or not all(isinstance(s, str) for s in side):
            raise UserError(f"{name}: give a list of sentences (strings), not {type(side).__name__}")
        if not side:
            raise UserError(f"{name}: the list of sentences is empty")
    with tempfile.TemporaryDirectory(prefix="ems-mine-") as tmp:
        files = []
        for name, side in (("src", src), ("tgt", tgt)):
            f = Path(tmp) / f"{name}.parquet"
            pq.write_table(pa.table({"text": pa.array(list(side), pa.string())}), f)
            files.append(f)
        table = mine_corpora(files[0], files[1], src_lang, tgt_lang, model=model, encoder=encoder, threshold=threshold,
                             cache_dir=cache_dir or str(Path(tmp) / "cache"), **config)
    if as_table:
        return table
    cols = [table.column(c).to_pylist() for c in ("score", "src_id", "tgt_id", "src_text", "tgt_text")]
    return list(zip(*cols))


__all__ = ["mine_corpora", "mine_sentences"]
