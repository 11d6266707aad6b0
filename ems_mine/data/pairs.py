"""Parallel training pairs from Parquet (columns ``src_lang, src, tgt_lang, tgt``), read lazily.

Text is streamed in record batches, tokenised batch by batch and kept as flat int32 arrays with
offsets, so a large corpus never sits in memory as Python strings.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..languages import normalize_lang
from .paths import expand_paths

COLUMNS = ("src_lang", "src", "tgt_lang", "tgt")
MINED = {"src_lang": "src_lang", "src": "src_text", "tgt_lang": "tgt_lang", "tgt": "tgt_text"}  # `ems-mine mine` output


def iter_pair_batches(spec: str | Path, rows: int = 16384, min_score: float | None = None) -> Iterator[tuple[Path, dict[str, list]]]:
    """Yield (file, {column: python list}) chunks of at most ``rows`` pairs, languages normalised.

    A file has the training columns ``src_lang, src, tgt_lang, tgt`` or is mining output (``score, src_lang,
    tgt_lang, src_text, tgt_text``); ``min_score`` keeps only mined pairs scoring at least that."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    for path in expand_paths(spec, (".parquet",)):
        try:
            pf = pq.ParquetFile(path)
        except Exception as e:  # noqa: BLE001 - pyarrow raises several types for a bad file
            raise UserError(f"{path}: not a readable Parquet file ({e})") from None
        names = pf.schema_arrow.names
        source = dict(zip(COLUMNS, COLUMNS)) if all(c in names for c in COLUMNS) else MINED
        missing = [c for c in source.values() if c not in names]
        if missing:
            raise UserError(f"{path}: missing column(s) {', '.join(missing)}; training pairs need "
                            f"{', '.join(COLUMNS)} or mined pairs {', '.join(MINED.values())} (found {', '.join(names)})")
        if min_score is not None and "score" not in names:
            raise UserError(f"{path}: --min-score needs a 'score' column (mined pairs); this file has none")
        read = list(source.values()) + (["score"] if min_score is not None else [])
        try:
            for batch in pf.iter_batches(batch_size=rows, columns=read):
                if min_score is not None:
                    batch = batch.filter(pc.greater_equal(batch.column("score"), min_score))
                cols = {c: batch.column(source[c]).to_pylist() for c in COLUMNS}
                for c in ("src_lang", "tgt_lang"):
                    cols[c] = [normalize_lang(x) if x is not None else _missing_lang(path, c) for x in cols[c]]
                yield path, cols
        except UserError:
            raise
        except Exception as e:  # noqa: BLE001 - corrupt pages
            raise UserError(f"{path}: unreadable Parquet data ({str(e).splitlines()[0]}); the file is damaged") from None


def _missing_lang(path: Path, column: str):
    raise UserError(f"{path}: null in column {column!r}; every pair needs its languages")


@dataclass
class TokenizedPairs:
    """All pairs as flat token arrays: sentence i of a side is ``ids[off[i]:off[i+1]]``."""

    src_ids: np.ndarray   # (total src tokens,) int32
    src_off: np.ndarray   # (N + 1,) int64
    tgt_ids: np.ndarray
    tgt_off: np.ndarray
    src_lang: np.ndarray  # (N,) int16 index into languages
    tgt_lang: np.ndarray

    def __len__(self) -> int:
        return len(self.src_lang)

    def lengths(self) -> np.ndarray:
        """(N,) the longer side's token count, for length bucketing."""
        return np.maximum(np.diff(self.src_off), np.diff(self.tgt_off))

    def side(self, which: str, rows: np.ndarray) -> list[np.ndarray]:
        ids, off = (self.src_ids, self.src_off) if which == "src" else (self.tgt_ids, self.tgt_off)
        return [ids[off[i] : off[i + 1]] for i in rows]


def scan_pairs(spec: str | Path, per_lang_cap: int, min_score: float | None = None) -> tuple[tuple[str, ...], dict[str, list[str]], int]:
    """First pass: the sorted language list, up to ``per_lang_cap`` distinct sentences per language
    (for the tokenizer sample) and the number of pairs. Empty data is an error."""
    sample: dict[str, dict[str, None]] = {}
    n = 0
    for _, cols in iter_pair_batches(spec, min_score=min_score):
        n += len(cols["src"])
        for lc, tc in (("src_lang", "src"), ("tgt_lang", "tgt")):
            for lang, text in zip(cols[lc], cols[tc]):
                bucket = sample.setdefault(lang, {})
                if len(bucket) < per_lang_cap and text:
                    bucket[text] = None
    if n == 0:
        more = f" scoring at least {min_score}" if min_score is not None else ""
        raise UserError(f"{spec}: no training pairs{more}; the Parquet files are empty")
    return tuple(sorted(sample)), {k: list(v) for k, v in sample.items()}, n


def tokenize_pairs(spec: str | Path, tokenizer, languages: tuple[str, ...], min_score: float | None = None) -> TokenizedPairs:
    """Second pass: tokenise every pair into flat arrays."""
    index = {lang: i for i, lang in enumerate(languages)}
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("src_ids", "src_len", "tgt_ids", "tgt_len", "sl", "tl")}
    for path, cols in iter_pair_batches(spec, min_score=min_score):
        for side in ("src", "tgt"):
            if any(t is None for t in cols[side]):
                raise UserError(f"{path}: null in column {side!r}; drop incomplete pairs first")
            ids = tokenizer.encode(cols[side])
            parts[f"{side}_len"].append(np.fromiter((len(s) for s in ids), dtype=np.int64, count=len(ids)))
            parts[f"{side}_ids"].append(np.fromiter((t for s in ids for t in s), dtype=np.int32))
        for lc, key in (("src_lang", "sl"), ("tgt_lang", "tl")):
            try:
                parts[key].append(np.array([index[x] for x in cols[lc]], dtype=np.int16))
            except KeyError as e:
                raise UserError(f"{path}: language {e.args[0]!r} is not among the model's languages "
                                f"({', '.join(languages)}); train a new model to add it") from None

    def offsets(lens: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(np.concatenate(lens))]).astype(np.int64)

    return TokenizedPairs(np.concatenate(parts["src_ids"]), offsets(parts["src_len"]),
                          np.concatenate(parts["tgt_ids"]), offsets(parts["tgt_len"]),
                          np.concatenate(parts["sl"]), np.concatenate(parts["tl"]))
