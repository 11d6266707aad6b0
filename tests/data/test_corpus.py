"""Monolingual corpus readers: text, gzip, Parquet shards, carried columns, bad input."""
import gzip

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ems_mine.data.corpus import Corpus
from ems_mine.errors import UserError


def test_text_and_gzip_ids_are_line_numbers(tmp_path):
    (tmp_path / "a.txt").write_text("eins\nzwei\r\ndrei\n", encoding="utf-8")
    with gzip.open(tmp_path / "b.txt.gz", "wt", encoding="utf-8") as f:
        f.write("vier\nfünf\n")
    c = Corpus(tmp_path)
    assert c.rows == 5 and [s.path.name for s in c.shards] == ["a.txt", "b.txt.gz"]
    t = c.table()
    assert t.column("text").to_pylist() == ["eins", "zwei", "drei", "vier", "fünf"]
    assert t.column("id").to_pylist() == [1, 2, 3, 1, 2]
    assert t.column("shard").to_pylist() == ["a.txt"] * 3 + ["b.txt.gz"] * 2


def test_parquet_with_and_without_id_carries_columns(tmp_path):
    pq.write_table(pa.table({"text": ["a", "b"], "url": ["u1", "u2"]}), tmp_path / "x.parquet")
    t = Corpus(tmp_path / "x.parquet").table()
    assert t.column_names == ["id", "text", "url"] and t.column("id").to_pylist() == [0, 1]
    pq.write_table(pa.table({"id": ["d1", "d2"], "text": ["a", "b"]}), tmp_path / "y.parquet")
    assert Corpus(tmp_path / "y.parquet").table().column("id").to_pylist() == ["d1", "d2"]
    assert Corpus(str(tmp_path / "*.parquet")).rows == 4


def test_bad_inputs(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        Corpus(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(UserError, match="empty corpus"):
        Corpus(tmp_path / "empty.txt")
    pq.write_table(pa.table({"sentence": ["a"]}), tmp_path / "nocol.parquet")
    with pytest.raises(UserError, match="no 'text' column.*sentence"):
        Corpus(tmp_path / "nocol.parquet")
    (tmp_path / "latin1.txt").write_bytes("gut\nschön\n".encode("latin-1"))
    c = Corpus(tmp_path / "latin1.txt")
    with pytest.raises(UserError, match=r"latin1.txt:2: invalid UTF-8"):
        c.table()
