"""Bad input and machine faults through the command line, for every command: one stderr line without a traceback,
exit 2 (130 for Ctrl-C), and no output file left; damaged caches recomputed; kills at random points leave no
partial or stale files and the rerun gives the same output."""
import gzip
import json
import os
import random
import re
import signal
import stat
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


def run(args):
    return CliRunner().invoke(main, args)


def one_line(r, pattern, code=2):
    assert r.exit_code == code, (r.exit_code, r.output)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr and re.search(pattern, lines[0]), r.stderr


@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    de, en = read_lines(FLORES / "deu_Latn.dev")[:80], read_lines(FLORES / "eng_Latn.dev")[:80]
    (d / "de.txt").write_text("\n".join(de) + "\n", encoding="utf-8")
    (d / "en.txt").write_text("\n".join(en) + "\n", encoding="utf-8")
    return d


def mine_args(texts, model, out, *extra, src=None):
    return ["--src", "de", "--tgt", "en", "--src-corpus", str(src or texts / "de.txt"), "--tgt-corpus", str(texts / "en.txt"),
            "--model", str(model), "-o", str(out), "-q", "--cache-dir", str(out.parent / "cache"), *extra]


def test_bad_corpora(tiny_model_dir, texts, tmp_path):
    out = tmp_path / "o.parquet"
    with gzip.open(tmp_path / "t.txt.gz", "wt", encoding="utf-8") as f:
        f.write("ein Satz\n" * 20000)
    data = (tmp_path / "t.txt.gz").read_bytes()
    (tmp_path / "t.txt.gz").write_bytes(data[: len(data) // 3])
    one_line(run(mine_args(texts, tiny_model_dir, out, src=tmp_path / "t.txt.gz")), r"t.txt.gz: cannot be read")
    pq.write_table(pa.table({"text": [f"Satz Nummer {i}" for i in range(3000)]}), tmp_path / "c.parquet", compression="NONE")
    raw = bytearray((tmp_path / "c.parquet").read_bytes())
    raw[200:4000] = os.urandom(3800)                       # data pages broken, footer intact
    (tmp_path / "c.parquet").write_bytes(bytes(raw))
    one_line(run(mine_args(texts, tiny_model_dir, out, src=tmp_path / "c.parquet")), r"c.parquet: .*(unreadable|damaged)")
    (tmp_path / "blank.txt").write_text("\n\n  \n")
    one_line(run(mine_args(texts, tiny_model_dir, out, src=tmp_path / "blank.txt")), "empty corpus")
    pq.write_table(pa.table({"id": ["a", "b", "a"], "text": ["x", "y", "z"]}), tmp_path / "dup.parquet")
    one_line(run(mine_args(texts, tiny_model_dir, out, src=tmp_path / "dup.parquet")), "id 'a' occurs 2 times")
    pq.write_table(pa.table({"text": [1, 2]}), tmp_path / "int.parquet")
    one_line(run(mine_args(texts, tiny_model_dir, out, src=tmp_path / "int.parquet")), "expected strings")
    assert not out.exists() and not list(tmp_path.glob(".o.parquet*"))


def test_bad_options_fail_before_any_work(tiny_model_dir, texts, tmp_path):
    out = tmp_path / "o.parquet"
    for extra, pattern in ((["--k", "0"], "--k 0"), (["--k", "100000"], "--k 100000"), (["--threshold", "nan"], "--threshold nan"),
                           (["--threshold", "abc"], "--threshold 'abc'"), (["--max-score", "inf"], "--max-score inf"),
                           (["--max-length-ratio", "0.5"], "--max-length-ratio"), (["--batch-size", "0"], "batch-size"),
                           (["--executor", "dask"], "executor"), (["--block-rows", "-3"], "block-rows")):
        one_line(run(mine_args(texts, tiny_model_dir, out, *extra)), pattern)
    one_line(run(mine_args(texts, tiny_model_dir, tmp_path / "o.csv")), r"o.csv: name the output")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.geteuid() != 0:                                  # root writes anywhere
        one_line(run(mine_args(texts, tiny_model_dir, ro / "o.parquet")), "cannot write")
    one_line(run(["--src", "de", "--tgt", "en", "--src-corpus", str(texts / "de.txt"), "-o", str(out)]), "both --src-corpus")
    one_line(run(["--k", "8", "train"]), "unexpected extra argument")
    assert not out.exists()


def test_damaged_model_directories(tiny_model_dir, texts, tmp_path):
    import shutil

    out = tmp_path / "o.parquet"
    for n, (name, damage, pattern) in enumerate((("model.safetensors", b"", "model.safetensors: unreadable weights"),
                                  ("model.safetensors", None, "model.safetensors: unreadable weights"),
                                  ("config.json", b"{not json", "config.json: not valid JSON"),
                                  ("config.json", b"[1, 2]", "config.json: not a model config"),
                                  ("tokenizer.model", None, "tokenizer.model: not a readable SentencePiece model"))):
        m = tmp_path / f"m{n}"
        shutil.copytree(tiny_model_dir, m)
        data = (m / name).read_bytes()
        (m / name).write_bytes(damage if damage is not None else data[: len(data) // 2])
        one_line(run(mine_args(texts, m, out)), pattern)
        one_line(run(["embed", str(texts / "de.txt"), "-o", str(tmp_path / "e.npy"), "--model", str(m), "-q"]), pattern)
        one_line(run(["bench", "tatoeba", "--data", str(FLORES), "--model", str(m), "-o", str(tmp_path / "b")]), pattern)
    one_line(run(mine_args(texts, tmp_path / "nowhere", out)), "no such directory")
    assert not out.exists() and not (tmp_path / "e.npy").exists()


def test_bad_precomputed_embeddings(tiny_model_dir, texts, tmp_path):
    r = run(["embed", str(texts / "de.txt"), "-o", str(tmp_path / "a.npy"), "--model", str(tiny_model_dir), "-q"])
    assert r.exit_code == 0, r.output
    r = run(["embed", str(texts / "en.txt"), "-o", str(tmp_path / "b.npy"), "--model", str(tiny_model_dir), "-q"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "o.parquet"
    base = mine_args(texts, tiny_model_dir, out)
    (tmp_path / "bad.json").write_text("{broken")
    np.save(tmp_path / "bad.npy", np.zeros((80, 4), np.float32))
    one_line(run([*base, "--src-emb", str(tmp_path / "bad.npy"), "--tgt-emb", str(tmp_path / "b.npy")]),
             "bad.json: not a valid embeddings manifest")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}] * 80, dtype=object), allow_pickle=True)
    (tmp_path / "obj.json").write_text((tmp_path / "a.json").read_text())
    one_line(run([*base, "--src-emb", str(tmp_path / "obj.npy"), "--tgt-emb", str(tmp_path / "b.npy")]),
             "obj.npy: not a readable float .npy")
    one_line(run([*base, "--src-emb", str(tmp_path / "b.npy"), "--tgt-emb", str(tmp_path / "b.npy")]), "another corpus")
    one_line(run([*base, "--src-emb", str(tmp_path / "a.npy")]), "both --src-emb and --tgt-emb")
    assert not out.exists()


def test_damaged_cache_entries_are_recomputed(tiny_model_dir, texts, tmp_path):
    out = tmp_path / "ref.parquet"
    assert run(mine_args(texts, tiny_model_dir, out)).exit_code == 0
    cache = tmp_path / "cache"
    npys = sorted(cache.glob("*.npy"))
    assert len(npys) == 2
    npys[0].write_bytes(npys[0].read_bytes()[:100])              # truncated
    npys[1].write_bytes(os.urandom(npys[1].stat().st_size))       # random bytes of the right size
    again = tmp_path / "again.parquet"
    r = run(mine_args(texts, tiny_model_dir, again))
    assert r.exit_code == 0 and r.stderr.count("damaged or incomplete; recomputing") == 2, r.stderr
    assert again.read_bytes() == out.read_bytes()
    json_files = sorted(cache.glob("*.json"))
    json_files[0].write_text("{half")
    r = run(mine_args(texts, tiny_model_dir, tmp_path / "third.parquet"))
    assert r.exit_code == 0 and (tmp_path / "third.parquet").read_bytes() == out.read_bytes()


def test_an_output_that_appears_meanwhile_is_not_replaced(tiny_model_dir, texts, tmp_path, monkeypatch):
    from ems_mine.mining import pipeline

    out = tmp_path / "o.parquet"
    real = pipeline._filter

    def late(*a, **k):          # someone else writes the output while the run works
        out.write_text("theirs")
        return real(*a, **k)

    monkeypatch.setattr(pipeline, "_filter", late)
    one_line(run(mine_args(texts, tiny_model_dir, out)), "appeared while this run was working")
    assert out.read_text() == "theirs" and not list(tmp_path.glob(".o.parquet.tmp-*"))


def test_stale_temporaries_of_a_killed_run_are_removed(tiny_model_dir, texts, tmp_path):
    out = tmp_path / "o.parquet"
    stale = tmp_path / ".o.parquet.tmp-999999"
    stale.write_text("half-written")
    assert run(mine_args(texts, tiny_model_dir, out)).exit_code == 0
    assert out.exists() and not stale.exists()


def test_ctrl_c_is_130_and_one_line(tiny_model_dir, texts, tmp_path):
    big = tmp_path / "big.txt"
    de = read_lines(FLORES / "deu_Latn.dev")    # 200k distinct lines (copies would be embedded once): far past 8 s
    big.write_text("\n".join(f"{i} {line}" for i in range(200) for line in de) + "\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "ems_mine.cli", *mine_args(texts, tiny_model_dir, tmp_path / "o.parquet", src=big)],
                            stderr=subprocess.PIPE, text=True)
    time.sleep(8)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == "ems-mine: interrupted" and "Traceback" not in err
    assert not (tmp_path / "o.parquet").exists()


def test_kill_at_random_points_then_rerun_is_identical(tiny_model_dir, texts, tmp_path):
    shards = tmp_path / "src"
    shards.mkdir()
    de = read_lines(FLORES / "deu_Latn.dev")
    for n in range(4):
        (shards / f"p{n}.txt").write_text("\n".join(de[n * 240:(n + 1) * 240]) + "\n", encoding="utf-8")
    ref = tmp_path / "ref.parquet"
    assert run(mine_args(texts, tiny_model_dir, ref, "--block-rows", "64", src=shards)).exit_code == 0
    rng = random.Random(0)
    out = tmp_path / "out.parquet"
    cmd = [sys.executable, "-m", "ems_mine.cli", *mine_args(texts, tiny_model_dir, out, "--block-rows", "64", src=shards)]
    for _ in range(4):
        proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.0, 9.0))
        proc.kill()
        proc.wait()
        if out.exists():                                  # the run finished before the kill: it must be right
            assert out.read_bytes() == ref.read_bytes()
            out.unlink()
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0 and out.read_bytes() == ref.read_bytes()
    assert not [p for p in tmp_path.rglob("*.tmp-*")]


def test_training_bad_input_and_a_kill_between_checkpoint_renames(pairs_file, tmp_path):
    import shutil

    one_line(run(["train", "--train", str(tmp_path / "none.parquet"), "-o", str(tmp_path / "m")]), "no such file")
    pq.write_table(pa.table({"a": [1]}), tmp_path / "cols.parquet")
    one_line(run(["train", "--train", str(tmp_path / "cols.parquet"), "-o", str(tmp_path / "m")]), "missing column")
    one_line(run(["train", "--train", str(pairs_file), "-o", str(tmp_path / "m"), "--init", str(tmp_path / "nope")]), "--init")
    out = tmp_path / "run"
    base = ["train", "--train", str(pairs_file), "-o", str(out), "--preset", "ems-tiny", "--max-steps", "12", "-q",
            "--set", "batch_size=32", "--set", "ckpt_every=4", "--set", "tokenizer_sample=3000", "--set", "val_pairs=50"]
    from ems_mine.config import PRESETS, TrainConfig
    from ems_mine.training.trainer import train

    train(pairs_file, out, PRESETS["ems-tiny"], TrainConfig(batch_size=32, ckpt_every=4, tokenizer_sample=3000, val_pairs=50),
          max_steps=12, stop_after_steps=8, progress=False)
    ck = out / "checkpoint"
    shutil.copytree(ck, out / "checkpoint.tmp")             # a save killed between its two renames
    ck.rename(out / "checkpoint.old")
    r = run([*base, "--resume"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "training.json").read_text())["steps"] == 12
    (out / "checkpoint" / "model.safetensors").write_bytes(b"junk")
    shutil.rmtree(out / "checkpoint.old", ignore_errors=True)
    one_line(run([*base, "--resume", "--max-steps", "16"]), "damaged checkpoint")
    one_line(run(base), "holds a training run already")


def test_search_and_index_bad_input(tiny_model_dir, texts, tmp_path):
    one_line(run(["index", "build", str(texts / "nope.txt"), "--lang", "en", "-o", str(tmp_path / "ix"), "--model",
                  str(tiny_model_dir)]), "no such file")
    one_line(run(["search", str(tmp_path), "hello"]), "not an index directory")
    assert run(["index", "build", str(texts / "en.txt"), "--lang", "en", "-o", str(tmp_path / "ix"), "--model",
                str(tiny_model_dir), "-q"]).exit_code == 0
    (tmp_path / "ix" / "manifest.json").write_text("{")
    one_line(run(["search", str(tmp_path / "ix"), "hello"]), "manifest.json: not a valid index manifest")
    one_line(run(["search", str(tmp_path / "ix")]), "give a query")
    one_line(run(["serve", str(tmp_path / "ix"), "--port", "0"]), "port")
    one_line(run(["export", str(tmp_path / "nope"), "--onnx", "-o", str(tmp_path / "x")]), "not an ems-mine model directory")
