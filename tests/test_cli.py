"""The command line: lazy imports, `train` then `from_pretrained(...).encode`, `embed`."""
import json
import subprocess
import sys

import numpy as np
from click.testing import CliRunner

from ems_mine.cli import main
from ems_mine.encoder import EMSEncoder


def test_help_imports_no_heavy_module():
    code = ("import sys, ems_mine.cli as c; from click.testing import CliRunner; "
            "r = CliRunner().invoke(c.main, ['--help']); assert r.exit_code == 0, r.output; "
            "print(','.join(m for m in ('torch', 'faiss', 'pyarrow', 'sentencepiece', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_train_cli_with_time_budget_then_encode_from_python(pairs_file, tmp_path):
    out = tmp_path / "m"
    r = CliRunner().invoke(main, ["train", "--train", str(pairs_file), "--out", str(out), "--preset", "ems-tiny",
                                  "--max-minutes", "0.4", "--set", "batch_size=32", "--set", "tokenizer_sample=5000",
                                  "--set", "val_pairs=100"])
    assert r.exit_code == 0, r.output
    info = json.loads((out / "training.json").read_text())
    assert info["steps"] >= 10 and info["steps"] <= info["schedule_steps"] + 1
    enc = EMSEncoder.from_pretrained(out)
    emb = enc.encode(["Hallo Welt", "Hello world"], lang="de")
    assert emb.shape == (2, 128) and emb.dtype == np.float32
    # the same run cannot be started twice by accident
    again = CliRunner().invoke(main, ["train", "--train", str(pairs_file), "--out", str(out), "--preset", "ems-tiny"])
    assert again.exit_code == 2 and "--resume" in again.stderr


def test_train_cli_rejects_unknown_settings(pairs_file, tmp_path):
    r = CliRunner().invoke(main, ["train", "--train", str(pairs_file), "--out", str(tmp_path / "x"), "--set", "colour=blue"])
    assert r.exit_code == 2 and "unknown setting 'colour'" in r.stderr
    r = CliRunner().invoke(main, ["train", "--train", str(pairs_file), "--out", str(tmp_path / "x"), "--preset", "huge"])
    assert r.exit_code == 2 and "ems-base" in r.stderr


def test_embed_cli_writes_npy_and_manifest(tiny_model_dir, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("Erster Satz.\nZweiter, etwas längerer Satz.\nDritter.\n", encoding="utf-8")
    out = tmp_path / "e.npy"
    r = CliRunner().invoke(main, ["embed", str(src), "-o", str(out), "--model", str(tiny_model_dir), "--lang", "de"])
    assert r.exit_code == 0, r.output
    emb, meta = np.load(out), json.loads((tmp_path / "e.json").read_text())
    enc = EMSEncoder.from_pretrained(tiny_model_dir)
    np.testing.assert_allclose(emb, enc.encode(["Erster Satz.", "Zweiter, etwas längerer Satz.", "Dritter."]), rtol=1e-5, atol=1e-6)
    assert meta["rows"] == 3 and meta["dim"] == enc.dim and meta["model_id"] == enc.model_id
    r = CliRunner().invoke(main, ["embed", str(src), "-o", str(out), "--model", str(tiny_model_dir)])
    assert r.exit_code == 2 and "output exists" in r.stderr
