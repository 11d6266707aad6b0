"""Read stage: a corpus as shards of sentences, counted and checksummed in one read, chunked for encoding,
and fetched by global row index for the output (only the rows that are kept).

Formats: Parquet (a file, a directory of shards or a glob) with a ``text`` column, an optional ``id``
column (else the row number) and any other columns (carried to the output); or plain / gzipped text, one
sentence per line, where the 1-based line number is the id. Every decoding, decompression or Parquet error
is a one-line :class:`UserError` naming the file (and the row where known).
"""
from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.paths import expand_paths
from ..errors import UserError

SUFFIXES = (".parquet", ".txt", ".txt.gz", ".gz", ".tsv")
CHUNK_ROWS = 4096


@dataclass(frozen=True)
class Shard:
    path: Path
    rows: int
    sha256: str           # of the file's (decompressed) bytes: names its embeddings in the cache
    blank: bool = False   # every line is blank

    @property
    def is_parquet(self) -> bool:
        return self.path.name.endswith(".parquet")


class Corpus:
    """One side of a mining job: ordered shards addressed by a global row index."""

    def __init__(self, spec: str | Path, shards: list[Shard] | None = None):
        self.spec = str(spec)
        self.shards = shards if shards is not None else [scan_shard(p) for p in expand_paths(spec, SUFFIXES)]
        if self.rows == 0 or all(s.blank for s in self.shards):
            raise UserError(f"{self.spec}: empty corpus (no sentence that is not blank); give a file with one sentence per line "
                            "or Parquet with a 'text' column")
        self.offsets = np.cumsum([0] + [s.rows for s in self.shards])
        _check_unique_ids(self.shards)

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.shards)

    def chunks(self, shard: Shard, rows: int = CHUNK_ROWS) -> Iterator["pa.Table"]:  # noqa: F821
        """Tables with columns ``id``, ``text`` and any carried columns, in file order."""
        yield from (_parquet_chunks if shard.is_parquet else _text_chunks)(shard.path, rows)

    def texts(self, shard: Shard, rows: int = CHUNK_ROWS) -> Iterator[list[str]]:
        for t in self.chunks(shard, rows):
            yield t.column("text").to_pylist()

    def fetch(self, idx: np.ndarray) -> "pa.Table":  # noqa: F821
        """The rows at global indices ``idx`` (in that order), reading only the shards and chunks that hold
        them; a ``shard`` column names the file when the corpus has several."""
        import pyarrow as pa

        idx = np.asarray(idx, dtype=np.int64)
        shard_of = np.searchsorted(self.offsets, idx, side="right") - 1
        parts, where = [], []
        for s in np.unique(shard_of):
            sel = np.flatnonzero(shard_of == s)
            local = idx[sel] - self.offsets[s]
            t = _take(self.shards[s], local, self)
            if len(self.shards) > 1:
                t = t.append_column("shard", pa.array([self.shards[s].path.name] * t.num_rows, pa.string()))
            parts.append(t)
            where.append(sel)
        if not parts:
            return _empty_table()
        table = pa.concat_tables(parts, promote_options="permissive")
        order = np.argsort(np.concatenate(where), kind="stable")
        return table.take(pa.array(order))


def _check_unique_ids(shards: list[Shard]) -> None:
    """Parquet ``id`` columns must name each row once across the corpus (mined pairs are reported by id)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    cols, names = [], []
    for s in shards:
        if s.is_parquet and "id" in pq.ParquetFile(s.path).schema_arrow.names:
            try:
                col = pq.read_table(s.path, columns=["id"]).column("id")
            except Exception as e:  # noqa: BLE001
                raise UserError(f"{s.path}: unreadable Parquet data ({_reason(e)}); the file is damaged — re-create it") from None
            cols.append(col.cast(pa.string()))
            names.append(s.path)
    if not cols:
        return
    counts = pc.value_counts(pa.chunked_array([c for col in cols for c in col.chunks], pa.string()))
    dup = counts.filter(pc.greater(counts.field("counts"), 1))
    if len(dup):
        first = dup[0]["values"].as_py()
        where = next(p for p, c in zip(names, cols) if pc.any(pc.equal(c, first)).as_py())
        raise UserError(f"{where}: id {first!r} occurs {dup[0]['counts'].as_py()} times in the corpus ({len(dup)} ids repeat); "
                        "ids must be unique — drop the id column to number rows instead")


def _empty_table():
    import pyarrow as pa

    return pa.table({"id": pa.array([], pa.int64()), "text": pa.array([], pa.string())})


def _take(shard: Shard, local: np.ndarray, corpus: Corpus):
    """Rows ``local`` (shard-relative, any order) of one shard, in that order."""
    import pyarrow as pa

    want = np.unique(local)
    got, start = [], 0
    for t in corpus.chunks(shard, 1 << 16):
        lo, hi = np.searchsorted(want, [start, start + t.num_rows])
        if hi > lo:
            got.append(t.take(pa.array(want[lo:hi] - start)))
        start += t.num_rows
        if hi == len(want):
            break
    table = pa.concat_tables(got, promote_options="permissive")
    return table.take(pa.array(np.searchsorted(want, local)))


def scan_shard(path: Path) -> Shard:
    """Count the rows and checksum the bytes of one shard in a single read, validating it on the way."""
    if path.name.endswith(".parquet"):
        rows = _parquet_rows(path)
        return Shard(path, rows, _file_sha256(path))
    h, rows, lineno, blank = hashlib.sha256(), 0, 0, True
    try:
        with _open_text(path) as f:
            raw = gzip.GzipFile(fileobj=f) if path.name.endswith(".gz") else f
            tail = b""
            while block := raw.read(1 << 20):
                h.update(block)
                data = tail + block
                cut = data.rfind(b"\n") + 1
                lines = data[:cut].split(b"\n")[:-1]
                for line in lines:
                    lineno += 1
                    _check_utf8(line, path, lineno)
                    blank = blank and not line.strip()
                rows += len(lines)
                tail = data[cut:]
            if tail:
                lineno += 1
                _check_utf8(tail, path, lineno)
                blank = blank and not tail.strip()
                rows += 1
    except (OSError, EOFError, zlib.error) as e:
        raise UserError(f"{path}: cannot be read ({_reason(e)}); the file is damaged or truncated — "
                        "re-create or re-download it") from None
    return Shard(path, rows, h.hexdigest(), blank)


def _check_utf8(line: bytes, path: Path, lineno: int) -> None:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"{path}:{lineno}: invalid UTF-8 ({e.reason} at byte {e.start}); convert the file "
                        "to UTF-8, e.g. iconv -f LATIN1 -t UTF-8") from None


def _reason(e: Exception) -> str:
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _open_text(path: Path):
    try:
        return open(path, "rb")
    except OSError as e:
        raise UserError(f"{path}: cannot be opened ({_reason(e)})") from None


def _decoded(path: Path):
    return gzip.open(path, "rt", encoding="utf-8", newline="\n") if path.name.endswith(".gz") \
        else open(path, encoding="utf-8", newline="\n")


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for a bad file
        raise UserError(f"{path}: not a readable Parquet file ({_reason(e)})") from None
    if "text" not in pf.schema_arrow.names:
        raise UserError(f"{path}: no 'text' column (found: {', '.join(pf.schema_arrow.names)}); "
                        "rename the sentence column to 'text'")
    return pf.metadata.num_rows


def _text_chunks(path: Path, rows: int):
    import pyarrow as pa

    ids, texts = [], []
    try:
        with _decoded(path) as f:
            for lineno, line in enumerate(f, start=1):
                texts.append(line.rstrip("\r\n"))
                ids.append(lineno)
                if len(texts) == rows:
                    yield pa.table({"id": pa.array(ids, pa.int64()), "text": pa.array(texts, pa.string())})
                    ids, texts = [], []
    except UnicodeDecodeError as e:
        raise UserError(f"{path}:{len(ids) + 1}: invalid UTF-8 ({e.reason}); convert the file to UTF-8") from None
    except (OSError, EOFError, zlib.error) as e:
        raise UserError(f"{path}: cannot be read ({_reason(e)}); the file is damaged or truncated") from None
    if texts:
        yield pa.table({"id": pa.array(ids, pa.int64()), "text": pa.array(texts, pa.string())})


def _parquet_chunks(path: Path, rows: int):
    import pyarrow as pa
    import pyarrow.parquet as pq

    start = 0
    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=rows)
        for batch in batches:
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
    except UserError:
        raise
    except Exception as e:  # noqa: BLE001 - corrupt pages raise OSError / ArrowInvalid / others
        raise UserError(f"{path}: row {start}: unreadable Parquet data ({_reason(e)}); the file is damaged — "
                        "re-create it") from None


def _utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False
