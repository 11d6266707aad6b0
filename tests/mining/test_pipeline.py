"""The mining pipeline on corpora on disk: identity subsets, the CLI and its output schema, bad input, resuming
after a kill in the embed and in the kNN stage, and the Ray executor against the local one."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import FLORES, NTREX, read_lines

from ems_mine.cli import main
from ems_mine.mining.api import mine_corpora

COLUMNS = ["score", "src_lang", "tgt_lang", "src_id", "tgt_id", "src_text", "tgt_text"]


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
    table = mine_corpora(tmp_path / "src.parquet", tmp_path / "tgt.parquet", "de", "de", encoder=tiny_encoder,
                         threshold=None, dedup=False, cache_dir=str(tmp_path / "cache"))
    top = table.slice(0, len(subset_rows))
    assert sorted(top.column("src_id").to_pylist()) == sorted(f"s{i}" for i in subset_rows)
    assert [s[1:] for s in top.column("src_id").to_pylist()] == [t[1:] for t in top.column("tgt_id").to_pylist()]
    assert top.column("src_text").to_pylist() == top.column("tgt_text").to_pylist()


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def cli(args, cache):
    return CliRunner().invoke(main, [*args, "--cache-dir", cache, "-q"])


def test_cli_mines_text_and_writes_summary_tsv_and_jsonl(tiny_model_dir, de_lines, tmp_path):
    src = write_lines(tmp_path / "de.txt", de_lines[:50])
    tgt = write_lines(tmp_path / "de2.txt", de_lines[25:75])
    base = ["--src", "de", "--tgt", "deu", "--src-corpus", src, "--tgt-corpus", tgt, "--model", str(tiny_model_dir),
            "--threshold", "none", "--no-dedup"]
    r = cli([*base, "-o", str(tmp_path / "pairs.tsv")], str(tmp_path / "c"))
    assert r.exit_code == 0, r.output
    rows = (tmp_path / "pairs.tsv").read_text(encoding="utf-8").splitlines()
    assert rows[0].split("\t") == COLUMNS
    top = [r.split("\t") for r in rows[1:26]]
    assert all(int(a) == int(b) + 25 and sl == tl == "deu" for _, sl, tl, a, b, _, _ in top)  # line n of de2 = line n+25 of de
    summary = json.loads((tmp_path / "pairs.summary.json").read_text())
    assert summary["pairs"] == len(rows) - 1 and set(summary["stages"]) == {"read", "embed", "knn", "margin", "filter", "write"}
    assert summary["src"]["lang"] == "deu" and summary["params"]["margin"] == "ratio" and summary["knn"]["method"] == "exact"
    # the same run as Parquet and JSON Lines: the same rows and columns
    assert cli([*base, "-o", str(tmp_path / "pairs.parquet")], str(tmp_path / "c")).exit_code == 0
    assert cli([*base, "-o", str(tmp_path / "pairs.jsonl")], str(tmp_path / "c")).exit_code == 0
    table = pq.read_table(tmp_path / "pairs.parquet")
    assert table.column_names == COLUMNS
    lines = [json.loads(x) for x in (tmp_path / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [list(x) for x in lines[:1]] == [COLUMNS] and len(lines) == table.num_rows
    assert [x["src_text"] for x in lines] == table.column("src_text").to_pylist()
    assert [x["score"] for x in lines] == pytest.approx(table.column("score").to_pylist(), abs=1e-6)


@pytest.fixture
def two_files(tmp_path, de_lines):
    return write_lines(tmp_path / "a.txt", de_lines[:20]), write_lines(tmp_path / "b.txt", de_lines[10:30])


def one_line_error(r, pattern, code=2):
    assert r.exit_code == code, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and re.search(pattern, lines[0]) and "Traceback" not in r.stderr, r.stderr


def test_bad_input_errors(tiny_model_dir, two_files, tmp_path):
    a, b = two_files
    out = tmp_path / "o.parquet"
    base = ["--src", "de", "--tgt", "de", "--model", str(tiny_model_dir), "-o", str(out)]
    cache = str(tmp_path / "c")
    one_line_error(cli([*base, "--src-corpus", str(tmp_path / "nope.txt"), "--tgt-corpus", b], cache), "nope.txt: no such file")
    (tmp_path / "empty.txt").write_text("")
    one_line_error(cli([*base, "--src-corpus", str(tmp_path / "empty.txt"), "--tgt-corpus", b], cache), "empty corpus")
    (tmp_path / "blank.txt").write_text("\n  \n\t\n")
    one_line_error(cli([*base, "--src-corpus", str(tmp_path / "blank.txt"), "--tgt-corpus", b], cache), "empty corpus")
    pq.write_table(pa.table({"sentence": ["x"]}), tmp_path / "nt.parquet")
    one_line_error(cli([*base, "--src-corpus", str(tmp_path / "nt.parquet"), "--tgt-corpus", b], cache), "no 'text' column")
    (tmp_path / "bad.txt").write_bytes(b"ok\n\xff\xfe broken\n")
    one_line_error(cli([*base, "--src-corpus", str(tmp_path / "bad.txt"), "--tgt-corpus", b], cache), r"bad.txt:2: invalid UTF-8")
    one_line_error(cli(["--src", "xx", "--tgt", "de", "--model", str(tiny_model_dir), "-o", str(out),
                        "--src-corpus", a, "--tgt-corpus", b], cache), "unknown language code 'xx'")
    one_line_error(cli([*base, "--src-corpus", a, "--tgt-corpus", b, "--k", "0"], cache), "--k 0")
    one_line_error(cli([*base, "--src-corpus", a, "--tgt-corpus", b, "--threshold", "nan"], cache), "--threshold nan")
    assert not out.exists() and not list(tmp_path.glob(".o.parquet*"))
    out.write_text("keep me")
    one_line_error(cli([*base, "--src-corpus", a, "--tgt-corpus", b], cache), "output exists.*--overwrite")
    assert out.read_text() == "keep me"
    assert cli([*base, "--src-corpus", a, "--tgt-corpus", b, "--overwrite"], cache).exit_code == 0
    assert pq.read_table(out).num_rows > 0


def test_a_language_outside_the_model_is_a_warning(tiny_model_dir, two_files, tmp_path):
    a, b = two_files
    r = cli(["--src", "yi", "--tgt", "de", "--model", str(tiny_model_dir), "-o", str(tmp_path / "o.parquet"),
             "--src-corpus", a, "--tgt-corpus", b], str(tmp_path / "c"))
    assert r.exit_code == 0 and "'yi' (yid) is not among the model's training languages" in r.stderr


def test_embeddings_of_another_model_or_dimension(tiny_model_dir, tiny_encoder, two_files, tmp_path):
    a, b = two_files
    runner = CliRunner()
    for name, path in (("a", a), ("b", b)):
        r = runner.invoke(main, ["embed", path, "-o", str(tmp_path / f"{name}.npy"), "--model", str(tiny_model_dir), "--lang", "de", "-q"])
        assert r.exit_code == 0, r.output
    base = ["--src", "de", "--tgt", "de", "--src-corpus", a, "--tgt-corpus", b, "-q", "--cache-dir", str(tmp_path / "c")]
    ok = runner.invoke(main, [*base, "--src-emb", str(tmp_path / "a.npy"), "--tgt-emb", str(tmp_path / "b.npy"),
                              "-o", str(tmp_path / "ok.parquet")])
    assert ok.exit_code == 0, ok.output
    other = tmp_path / "other"
    tiny_encoder.save_pretrained(other, half=True)     # another model: the same weights rounded to fp16
    runner.invoke(main, ["embed", b, "-o", str(tmp_path / "b_other.npy"), "--model", str(other), "-q"])
    r = runner.invoke(main, [*base, "--src-emb", str(tmp_path / "a.npy"), "--tgt-emb", str(tmp_path / "b_other.npy"),
                             "-o", str(tmp_path / "x.parquet")])
    one_line_error(r, "different models")
    meta = json.loads((tmp_path / "b.json").read_text())
    np.save(tmp_path / "b_wide.npy", np.ones((20, 7), np.float32))
    (tmp_path / "b_wide.json").write_text(json.dumps({**meta, "dim": 7}))
    r = runner.invoke(main, [*base, "--src-emb", str(tmp_path / "a.npy"), "--tgt-emb", str(tmp_path / "b_wide.npy"),
                             "-o", str(tmp_path / "x.parquet")])
    one_line_error(r, "dimensions differ: src .*, tgt 7")
    r = runner.invoke(main, [*base, "--src-emb", str(tmp_path / "a.npy"), "--tgt-emb", str(tmp_path / "b_other.npy"),
                             "--model", str(tiny_model_dir), "-o", str(tmp_path / "x.parquet")])
    one_line_error(r, "this run uses model")
    r = runner.invoke(main, [*base, "--src-emb", str(tmp_path / "b.npy"), "--tgt-emb", str(tmp_path / "b.npy"),
                             "-o", str(tmp_path / "x.parquet")])
    one_line_error(r, "embeddings of another corpus")          # same row count, other sentences
    assert not (tmp_path / "x.parquet").exists()


def _sharded(tmp_path, name, lines, n):
    d = tmp_path / name
    d.mkdir()
    per = -(-len(lines) // n)
    for i in range(n):
        pq.write_table(pa.table({"text": lines[i * per:(i + 1) * per]}), d / f"part{i:02d}.parquet")
    return str(d)


@pytest.fixture(scope="module")
def big_corpora(tmp_path_factory):
    """Thousands of real sentences per side in several shards: NTREX German vs English plus FLORES English."""
    tmp = tmp_path_factory.mktemp("corpora")
    de = read_lines(NTREX / "newstest2019-ref.deu.txt")
    en = read_lines(NTREX / "newstest2019-src.eng.txt")[300:] + read_lines(FLORES / "eng_Latn.dev")
    return _sharded(tmp, "de", de, 5), _sharded(tmp, "en", en, 4)


def test_killed_knn_stage_resumes_to_the_same_output_and_reuses_blocks(tiny_model_dir, big_corpora, tmp_path):
    src, tgt = big_corpora
    args = ["--src", "de", "--tgt", "en", "--src-corpus", src, "--tgt-corpus", tgt, "--model", str(tiny_model_dir), "-q"]
    args += ["--block-rows", "64"]
    env = dict(os.environ)
    ref = tmp_path / "ref.parquet"
    r = subprocess.run([sys.executable, "-m", "ems_mine.cli", *args, "-o", str(ref), "--cache-dir", str(tmp_path / "c1")],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    full = json.loads((tmp_path / "ref.summary.json").read_text())
    cache = tmp_path / "c2"
    out = tmp_path / "out.parquet"
    cmd = [sys.executable, "-m", "ems_mine.cli", *args, "-o", str(out), "--cache-dir", str(cache)]
    proc = subprocess.Popen(cmd, env=env)
    deadline = time.monotonic() + 600

    def committed() -> int:
        m = list(cache.glob("knn/*/manifest.json"))
        try:
            return len(json.loads(m[0].read_text())["done"]) if m else 0
        except ValueError:
            return 0

    while committed() < 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert committed() >= 4 and not out.exists()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == ref.read_bytes()
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["knn"]["blocks_reused"] >= 4 and summary["knn"]["blocks"] == full["knn"]["blocks"]
    assert summary["knn"]["blocks_reused"] < summary["knn"]["blocks"]
    assert not list(tmp_path.glob(".out.parquet.tmp-*"))


def test_ray_executor_gives_byte_identical_output(tiny_model_dir, big_corpora, tmp_path):
    pytest.importorskip("ray")
    src, tgt = big_corpora
    args = ["--src", "de", "--tgt", "en", "--src-corpus", src, "--tgt-corpus", tgt, "--model", str(tiny_model_dir),
            "-q", "--threshold", "none", "--block-rows", "512"]
    env = dict(os.environ)
    for name in ("local", "ray"):
        r = subprocess.run([sys.executable, "-m", "ems_mine.cli", *args, "--executor", name, "-o", str(tmp_path / f"{name}.parquet"),
                            "--cache-dir", str(tmp_path / f"cache-{name}")], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
    local, ray = (tmp_path / "local.parquet").read_bytes(), (tmp_path / "ray.parquet").read_bytes()
    assert local == ray and pq.read_table(tmp_path / "local.parquet").num_rows > 1000


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
    while not list(cache.glob("*.json")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = sorted(cache.glob("*.json"))
    assert 1 <= len(done) < 9 and not out.exists()           # killed inside the embed stage, nothing written
    stamps = {p: p.stat().st_mtime_ns for p in done}
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())  # finished shards were not redone
    assert out.read_bytes() == ref.read_bytes()


def test_approximate_index_reports_its_recall(tiny_model_dir, big_corpora, tmp_path):
    src, tgt = big_corpora
    out = tmp_path / "ivf.parquet"
    r = cli(["--src", "de", "--tgt", "en", "--src-corpus", src, "--tgt-corpus", tgt, "--model", str(tiny_model_dir),
             "--index", "ivf", "--threshold", "none", "-o", str(out)], str(tmp_path / "c"))
    assert r.exit_code == 0, r.output
    knn = json.loads((tmp_path / "ivf.summary.json").read_text())["knn"]
    assert knn["method"] == "faiss" and knn["index"] == "ivf" and 0.5 < knn["recall_at_k"] <= 1.0
    assert pq.read_table(out).num_rows > 1000
