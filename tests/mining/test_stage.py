"""Mining corpora on disk: identity subsets, the CLI, bad input, resume after a kill."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import FLORES, read_lines

from ems_mine.cli import main
from ems_mine.mining.stage import MineOptions, mine_corpora


@pytest.fixture(scope="module")
def de_lines():
    return read_lines(FLORES / "deu_Latn.dev")


def test_identity_subset_comes_out_on_top(tiny_encoder, de_lines, tmp_path):
    full = de_lines[:400]
    rng = np.random.default_rng(0)
    subset_rows = np.sort(rng.choice(len(full), 60, replace=False))
    shuffled = rng.permutation(subset_rows)
    pq.write_table(pa.table({"id": [f"s{i}" for i in range(len(full))], "text": full}), tmp_path / "src.parquet")
    pq.write_table(pa.table({"id": [f"t{i}" for i in shuffled], "text": [full[i] for i in shuffled]}), tmp_path / "tgt.parquet")
    table = mine_corpora(str(tmp_path / "src.parquet"), str(tmp_path / "tgt.parquet"), "de", "de",
                         options=MineOptions(quiet=True, cache_dir=str(tmp_path / "cache")), encoder=tiny_encoder)
    top = table.slice(0, len(subset_rows))
    assert sorted(top.column("src_id").to_pylist()) == sorted(f"s{i}" for i in subset_rows)
    assert [s[1:] for s in top.column("src_id").to_pylist()] == [t[1:] for t in top.column("tgt_id").to_pylist()]
    assert top.column("src_text").to_pylist() == top.column("tgt_text").to_pylist()


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def cli(args, env_cache):
    return CliRunner().invoke(main, [*args, "--cache-dir", env_cache, "-q"])


def test_cli_mines_text_and_writes_summary_and_tsv(tiny_model_dir, de_lines, tmp_path):
    src = write_lines(tmp_path / "de.txt", de_lines[:50])
    tgt = write_lines(tmp_path / "de2.txt", de_lines[25:75])
    out = tmp_path / "pairs.tsv"
    r = cli(["--src", "de", "--tgt", "deu", "--src-corpus", src, "--tgt-corpus", tgt, "-o", str(out),
             "--model", str(tiny_model_dir)], str(tmp_path / "c"))
    assert r.exit_code == 0, r.output
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows[0].split("\t") == ["score", "src_id", "tgt_id", "src_text", "tgt_text"]
    top = [r.split("\t") for r in rows[1:26]]
    assert all(int(a) == int(b) + 25 for _, a, b, _, _ in top)   # line n of de2 is line n+25 of de
    summary = json.loads((tmp_path / "pairs.summary.json").read_text())
    assert summary["pairs"] == len(rows) - 1 and set(summary["stages"]) == {"load", "embed", "mine", "filter", "write"}
    assert summary["src"]["lang"] == "deu" and summary["params"]["margin"] == "ratio"


@pytest.fixture
def two_files(tmp_path, de_lines):
    return write_lines(tmp_path / "a.txt", de_lines[:20]), write_lines(tmp_path / "b.txt", de_lines[10:30])


def one_line_error(r, pattern):
    import re

    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and re.search(pattern, lines[0]), r.stderr


def test_bad_input_errors(tiny_model_dir, two_files, tmp_path):
    a, b = two_files
    out = tmp_path / "o.parquet"
    base = ["--src", "de", "--tgt", "de", "--model", str(tiny_model_dir), "-o", str(out)]
    cache = str(tmp_path / "c")
    one_line_error(cli([*base, "--src-corpus", str(tmp_path / "nope.txt"), "--tgt-corpus", b], cache), "nope.txt: no such file")
    (tmp_path / "empty.txt").write_text("")
    one_line_error(cli([*base, "--src-corpus", str(tmp_path / "empty.txt"), "--tgt-corpus", b], cache), "empty corpus")
    pq.write_table(pa.table({"sentence": ["x"]}), tmp_path / "nt.parquet")
    one_line_error(cli([*base, "--src-corpus", str(tmp_path / "nt.parquet"), "--tgt-corpus", b], cache), "no 'text' column")
    (tmp_path / "bad.txt").write_bytes(b"ok\n\xff\xfe broken\n")
    one_line_error(cli([*base, "--src-corpus", str(tmp_path / "bad.txt"), "--tgt-corpus", b], cache), r"bad.txt:2: invalid UTF-8")
    one_line_error(cli(["--src", "xx", "--tgt", "de", "--model", str(tiny_model_dir), "-o", str(out),
                        "--src-corpus", a, "--tgt-corpus", b], cache), "unknown language code 'xx'.*known: deu, eng")
    assert not out.exists() and not list(tmp_path.glob(".o.parquet*"))
    out.write_text("keep me")
    one_line_error(cli([*base, "--src-corpus", a, "--tgt-corpus", b], cache), "output exists.*--overwrite")
    assert out.read_text() == "keep me"
    assert cli([*base, "--src-corpus", a, "--tgt-corpus", b, "--overwrite"], cache).exit_code == 0
    assert pq.read_table(out).num_rows > 0


def test_embeddings_of_another_model_or_dimension(tiny_model_dir, tiny_encoder, two_files, tmp_path):
    a, b = two_files
    runner = CliRunner()
    for name, path in (("a", a), ("b", b)):
        r = runner.invoke(main, ["embed", path, "-o", str(tmp_path / f"{name}.npy"), "--model", str(tiny_model_dir), "--lang", "de"])
        assert r.exit_code == 0, r.output
    base = ["--src", "de", "--tgt", "de", "--src-corpus", a, "--tgt-corpus", b, "-q"]
    ok = runner.invoke(main, [*base, "--src-emb", str(tmp_path / "a.npy"), "--tgt-emb", str(tmp_path / "b.npy"),
                              "-o", str(tmp_path / "ok.parquet")])
    assert ok.exit_code == 0, ok.output
    # the same corpus embedded by another model (a copy trained no further, but different weights)
    other = tmp_path / "other"
    tiny_encoder.save_pretrained(other, half=True)
    runner.invoke(main, ["embed", b, "-o", str(tmp_path / "b_other.npy"), "--model", str(other)])
    r = runner.invoke(main, [*base, "--src-emb", str(tmp_path / "a.npy"), "--tgt-emb", str(tmp_path / "b_other.npy"),
                             "-o", str(tmp_path / "x.parquet")])
    one_line_error(r, "different models")
    # a wrong dimension
    meta = json.loads((tmp_path / "b.json").read_text())
    np.save(tmp_path / "b_wide.npy", np.ones((20, 7), np.float32))
    (tmp_path / "b_wide.json").write_text(json.dumps({**meta, "dim": 7}))
    r = runner.invoke(main, [*base, "--src-emb", str(tmp_path / "a.npy"), "--tgt-emb", str(tmp_path / "b_wide.npy"),
                             "-o", str(tmp_path / "x.parquet")])
    one_line_error(r, "dimensions differ: src .*, tgt 7")
    # embeddings made by another model than the one named with --model
    r = runner.invoke(main, [*base, "--src-emb", str(tmp_path / "a.npy"), "--tgt-emb", str(tmp_path / "b_other.npy"),
                             "--model", str(tiny_model_dir), "-o", str(tmp_path / "x.parquet")])
    one_line_error(r, "this run uses model")
    assert not (tmp_path / "x.parquet").exists()


def test_killed_embed_stage_resumes_to_the_same_output(tiny_model_dir, de_lines, tmp_path):
    shards = tmp_path / "src"
    shards.mkdir()
    for n in range(8):
        write_lines(shards / f"part{n}.txt", de_lines[n * 120:(n + 1) * 120])
    tgt = write_lines(tmp_path / "tgt.txt", de_lines[::3])
    args = ["--src", "de", "--tgt", "de", "--src-corpus", str(shards), "--tgt-corpus", tgt, "--model", str(tiny_model_dir), "-q"]
    ref = tmp_path / "ref.parquet"
    assert CliRunner().invoke(main, [*args, "-o", str(ref), "--cache-dir", str(tmp_path / "c1")]).exit_code == 0
    cache = tmp_path / "c2"
    out = tmp_path / "out.parquet"
    cmd = [sys.executable, "-m", "ems_mine.cli", *args, "-o", str(out), "--cache-dir", str(cache)]
    proc = subprocess.Popen(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.monotonic() + 300
    while not list(cache.glob("*.npy")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = sorted(cache.glob("*.npy"))
    assert 1 <= len(done) < 9 and not out.exists()           # killed inside the embed stage, nothing written
    stamps = {p: p.stat().st_mtime_ns for p in done}
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())  # finished shards were not redone
    assert pq.read_table(out).equals(pq.read_table(ref))
