"""Monolingual corpora for mining: Parquet shards (column ``text``, optional ``id``, other columns
carried through) or plain / gzipped text, one sentence per line (the 1-based line number is the id).

Shards are read in Arrow chunks; texts only become Python strings one chunk at a time.
"""
from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from ..errors import UserError
from .paths import expand_paths

SUFFIXES = (".parquet", ".txt", ".txt.gz", ".gz")


@dataclass(frozen=True)
class Shard:
    path: Path
    rows: int

    @property
    def is_parquet(self) -> bool:
        return self.path.name.endswith(".parquet")


class Corpus:
    """One side of a mining job: an ordered list of shards, addressed by a global row index."""

    def __init__(self, spec: str | Path):
        self.spec = str(spec)
        self.shards = [Shard(p, _count_rows(p)) for p in expand_paths(spec, SUFFIXES)]
        if self.rows == 0:
            raise UserError(f"{self.spec}: empty corpus (0 sentences); give a file with one sentence per line "
                            "or Parquet with a 'text' column")

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.shards)

    def chunks(self, shard: Shard, rows: int = 8192) -> Iterator[pa.Table]:
        """Tables with columns ``id``, ``text`` and any carried columns, in file order."""
        if shard.is_parquet:
            yield from _parquet_chunks(shard.path, rows)
        else:
            yield from _text_chunks(shard.path, rows)

    def table(self) -> pa.Table:
        """The whole corpus as one Arrow table (compact: no Python strings); shard name added if several."""
        tables = []
        for shard in self.shards:
            t = pa.concat_tables(list(self.chunks(shard, 1 << 16)))
            if len(self.shards) > 1:
                t = t.append_column("shard", pa.array([shard.path.name] * t.num_rows))
            tables.append(t)
        return pa.concat_tables(tables, promote_options="permissive")


def _count_rows(path: Path) -> int:
    if path.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
        except Exception as e:  # noqa: BLE001
            raise UserError(f"{path}: not a readable Parquet file ({e})") from None
        if "text" not in pf.schema_arrow.names:
            raise UserError(f"{path}: no 'text' column (found: {', '.join(pf.schema_arrow.names)}); "
                            "rename the sentence column to 'text'")
        return pf.metadata.num_rows
    with _open_text(path) as f:
        return sum(1 for _ in f)


def _open_text(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def _text_chunks(path: Path, rows: int) -> Iterator[pa.Table]:
    ids, texts = [], []
    with _open_text(path) as f:
        for lineno, raw in enumerate(f, start=1):
            try:
                texts.append(raw.rstrip(b"\r\n").decode("utf-8"))
            except UnicodeDecodeError as e:
                raise UserError(f"{path}:{lineno}: invalid UTF-8 ({e.reason} at byte {e.start}); convert the file "
                                "to UTF-8, e.g. iconv -f LATIN1 -t UTF-8") from None
            ids.append(lineno)
            if len(texts) == rows:
                yield pa.table({"id": pa.array(ids, pa.int64()), "text": pa.array(texts, pa.string())})
                ids, texts = [], []
    if texts:
        yield pa.table({"id": pa.array(ids, pa.int64()), "text": pa.array(texts, pa.string())})


def _parquet_chunks(path: Path, rows: int) -> Iterator[pa.Table]:
    import pyarrow.parquet as pq

    start = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
        t = pa.Table.from_batches([batch])
        text = t.column("text")
        if not pa.types.is_string(text.type) and not pa.types.is_large_string(text.type):
            raise UserError(f"{path}: column 'text' has type {text.type}, expected strings")
        try:
            text.validate(full=True)
        except pa.ArrowInvalid:
            bad = next(i for i, v in enumerate(text.cast(pa.binary()).to_pylist()) if v is not None and not _utf8(v))
            raise UserError(f"{path}: row {start + bad}: invalid UTF-8 in 'text'; re-encode the column as UTF-8") from None
        if text.null_count:
            raise UserError(f"{path}: row {start + text.to_pylist().index(None)}: null 'text'; drop or fill empty rows")
        if "id" not in t.column_names:
            t = t.add_column(0, "id", pa.array(range(start, start + t.num_rows), pa.int64()))
        cols = ["id", "text"] + [c for c in t.column_names if c not in ("id", "text")]
        yield t.select(cols)
        start += t.num_rows


def _utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False
