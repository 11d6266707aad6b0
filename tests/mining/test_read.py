"""The read stage: text, gzip and Parquet shards counted and checksummed in one read, fetched by global index;
carried columns; every damaged or malformed input a one-line error naming the file (and row)."""
import gzip

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ems_mine.errors import UserError
from ems_mine.mining.read import Corpus


def test_text_and_gzip_ids_are_line_numbers_and_fetch_by_index(tmp_path):
    (tmp_path / "a.txt").write_text("eins\nzwei\r\ndrei\n", encoding="utf-8")
    with gzip.open(tmp_path / "b.txt.gz", "wt", encoding="utf-8") as f:
        f.write("vier\nfünf")                                     # no final newline
    c = Corpus(tmp_path)
    assert c.rows == 5 and [s.path.name for s in c.shards] == ["a.txt", "b.txt.gz"]
    assert [t for s in c.shards for x in c.texts(s) for t in x] == ["eins", "zwei", "drei", "vier", "fünf"]
    got = c.fetch(np.array([4, 0, 2, 3]))
    assert got.column("text").to_pylist() == ["fünf", "eins", "drei", "vier"]
    assert got.column("id").to_pylist() == [2, 1, 3, 1]
    assert got.column("shard").to_pylist() == ["b.txt.gz", "a.txt", "a.txt", "b.txt.gz"]
    assert len({s.sha256 for s in c.shards}) == 2


def test_parquet_with_and_without_id_carries_columns(tmp_path):
    pq.write_table(pa.table({"text": ["a", "b"], "url": ["u1", "u2"]}), tmp_path / "x.parquet")
    t = Corpus(tmp_path / "x.parquet").fetch(np.array([1, 0]))
    assert t.column_names == ["id", "text", "url"] and t.column("id").to_pylist() == [1, 0]
    assert t.column("url").to_pylist() == ["u2", "u1"]
    pq.write_table(pa.table({"id": ["d1", "d2"], "text": ["a", "b"]}), tmp_path / "y.parquet")
    assert Corpus(tmp_path / "y.parquet").fetch(np.array([0, 1])).column("id").to_pylist() == ["d1", "d2"]
    assert Corpus(str(tmp_path / "*.parquet")).rows == 4


def test_bad_inputs(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        Corpus(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(UserError, match="empty corpus"):
        Corpus(tmp_path / "empty.txt")
    (tmp_path / "blank.txt").write_text("\n \n\t\n")
    with pytest.raises(UserError, match="empty corpus"):
        Corpus(tmp_path / "blank.txt")
    pq.write_table(pa.table({"sentence": ["a"]}), tmp_path / "nocol.parquet")
    with pytest.raises(UserError, match="no 'text' column.*sentence"):
        Corpus(tmp_path / "nocol.parquet")
    (tmp_path / "latin1.txt").write_bytes("gut\nschön\n".encode("latin-1"))
    with pytest.raises(UserError, match=r"latin1.txt:2: invalid UTF-8"):
        Corpus(tmp_path / "latin1.txt")
    with gzip.open(tmp_path / "t.txt.gz", "wt", encoding="utf-8") as f:
        f.write("ein Satz\n" * 5000)
    data = (tmp_path / "t.txt.gz").read_bytes()
    (tmp_path / "t.txt.gz").write_bytes(data[: len(data) // 2])    # a truncated download
    with pytest.raises(UserError, match=r"t.txt.gz: cannot be read .*truncated"):
        Corpus(tmp_path / "t.txt.gz")
    (tmp_path / "nul.parquet").write_bytes(b"PAR1" + b"\0" * 100)
    with pytest.raises(UserError, match="nul.parquet: not a readable Parquet file"):
        Corpus(tmp_path / "nul.parquet")
