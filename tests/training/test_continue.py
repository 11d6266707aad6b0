"""Mined pairs back into training: `ems-mine train` reads mining output as it is; `--init` continues a model with its
own shape (the bundled one with `--init default`) and refuses a --set that contradicts it."""
import json

import pyarrow.parquet as pq
from click.testing import CliRunner
from conftest import FLORES, NTREX, read_lines

from ems_mine.cli import main
from ems_mine.encoders import bundled_models


def test_mine_then_train_on_the_output_with_no_column_edits(tiny_model_dir, tmp_path):
    de, en = read_lines(NTREX / "newstest2019-ref.deu.txt")[:300], read_lines(NTREX / "newstest2019-src.eng.txt")[:300]
    (tmp_path / "de.txt").write_text("\n".join(de) + "\n", encoding="utf-8")
    (tmp_path / "en.txt").write_text("\n".join(en) + "\n", encoding="utf-8")
    mined = tmp_path / "mined.parquet"
    r = CliRunner().invoke(main, ["--src", "de", "--tgt", "en", "--src-corpus", str(tmp_path / "de.txt"), "--tgt-corpus",
                                  str(tmp_path / "en.txt"), "--model", str(tiny_model_dir), "--threshold", "none", "-o", str(mined),
                                  "-q", "--cache-dir", str(tmp_path / "c")])
    assert r.exit_code == 0, r.output
    t = pq.read_table(mined)
    cut = sorted(t.column("score").to_pylist())[len(t) // 2]
    r = CliRunner().invoke(main, ["train", "--train", str(mined), "-o", str(tmp_path / "m"), "--init", str(tiny_model_dir),
                                  "--min-score", str(cut), "--max-steps", "3", "--set", "batch_size=16", "--set", "val_pairs=20", "-q"])
    assert r.exit_code == 0, r.output
    info = json.loads((tmp_path / "m/training.json").read_text())
    assert info["steps"] == 3 and info["pairs"] <= (t.num_rows + 1) // 2 + 1      # only the pairs scoring at least the cut
    r = CliRunner().invoke(main, ["train", "--train", str(mined), "-o", str(tmp_path / "m2"), "--init", str(tiny_model_dir),
                                  "--min-score", "99", "--max-steps", "3"])
    assert r.exit_code == 2 and "no training pairs scoring at least 99" in r.stderr


def test_init_default_continues_the_bundled_shape(pairs_file, tmp_path):
    out = tmp_path / "cont"
    r = CliRunner().invoke(main, ["train", "--train", str(pairs_file), "-o", str(out), "--init", "default", "--max-steps", "2",
                                  "--set", "batch_size=16", "--set", "val_pairs=20", "-q"])
    assert r.exit_code == 0, r.output
    bundled = json.loads((bundled_models()["default"] / "config.json").read_text())
    new = json.loads((out / "config.json").read_text())
    shape = ("n_layers", "d_model", "vocab_size", "max_len", "proj_dim")
    assert {k: new["model"][k] for k in shape} == {k: bundled["model"][k] for k in shape}
    run = json.loads((out / "run.json").read_text())
    assert run["train"]["xtr_weight"] == bundled["objective"]["xtr_weight"] == 0.0        # its own objective
    assert run["train"]["warmup_steps"] == bundled["objective"]["warmup_steps"]            # (the schedule caps it at 10 %)
    r = CliRunner().invoke(main, ["train", "--train", str(pairs_file), "-o", str(tmp_path / "x"), "--init", "default",
                                  "--set", "n_layers=4"])
    assert r.exit_code == 2 and "--set n_layers=4: the init model has n_layers=0" in r.stderr
    r = CliRunner().invoke(main, ["train", "--train", str(pairs_file), "-o", str(tmp_path / "y"), "--init", "default",
                                  "--preset", "ems-mini"])
    assert r.exit_code == 2 and "give one of them" in r.stderr
    assert read_lines(FLORES / "deu_Latn.dev")
