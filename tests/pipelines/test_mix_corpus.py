"""pipelines/mix_corpus.py: integer weights by source and language multiply into row repeats."""
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SCRIPT = Path(__file__).resolve().parents[2] / "pipelines/mix_corpus.py"


def test_weights_multiply_and_rows_are_repeated(tmp_path):
    pairs = tmp_path / "pairs.parquet"
    pq.write_table(pa.table({"src_lang": ["deu", "deu", "fra", "fra"], "src": ["a", "b", "c", "d"],
                             "tgt_lang": ["eng"] * 4, "tgt": ["A", "B", "C", "D"],
                             "source": ["ntrex128", "bible", "ntrex128", "bible"]}), pairs)
    out = tmp_path / "mix.parquet"
    subprocess.run([sys.executable, str(SCRIPT), "--pairs", str(pairs), "--out", str(out),
                    "--source", "ntrex128=3", "--langs", "deu,spa=2"], check=True, capture_output=True)
    src = pq.read_table(out).column("src").to_pylist()
    # a: ntrex × deu = 6, b: deu = 2, c: ntrex = 3, d: 1
    assert sorted(src) == ["a"] * 6 + ["b"] * 2 + ["c"] * 3 + ["d"]
    assert (tmp_path / "mix.parquet.stats.md").read_text().count("|") > 10
    bad = subprocess.run([sys.executable, str(SCRIPT), "--pairs", str(pairs), "--out", str(tmp_path / "x.parquet"),
                          "--source", "ntrex128=0"], capture_output=True, text=True)
    assert bad.returncode != 0 and "integer weight" in bad.stderr and not (tmp_path / "x.parquet").exists()
    only = subprocess.run([sys.executable, str(SCRIPT), "--pairs", str(pairs), "--out", str(tmp_path / "fra.parquet"),
                           "--only", "fra", "--source", "ntrex128=2"], check=True, capture_output=True)
    assert only.returncode == 0 and sorted(pq.read_table(tmp_path / "fra.parquet").column("src").to_pylist()) == ["c", "c", "d"]
    none = subprocess.run([sys.executable, str(SCRIPT), "--pairs", str(pairs), "--out", str(tmp_path / "y.parquet"),
                           "--only", "jpn"], capture_output=True, text=True)
    assert none.returncode != 0 and "no pairs" in none.stderr and not (tmp_path / "y.parquet").exists()
