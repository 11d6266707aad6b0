"""The Python API: mine_sentences against the CLI on the same sentences in files; training from Python."""
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import FLORES, read_lines

import ems_mine
from ems_mine.cli import main
from ems_mine.errors import UserError


def test_mine_sentences_gives_the_cli_pairs(tiny_model_dir, tiny_encoder, tmp_path):
    de = read_lines(FLORES / "deu_Latn.dev")[:120]
    en = read_lines(FLORES / "eng_Latn.dev")[60:200]
    pairs = ems_mine.mine_sentences(de, en, "de", "en", model=str(tiny_model_dir), threshold=None, k=3)
    assert pairs and all(len(p) == 5 for p in pairs)
    assert [p[0] for p in pairs] == sorted((p[0] for p in pairs), reverse=True)
    assert all(de[p[1]] == p[3] and en[p[2]] == p[4] for p in pairs)          # indices are list positions
    for name, side in (("de", de), ("en", en)):
        pq.write_table(pa.table({"text": side}), tmp_path / f"{name}.parquet")
    r = CliRunner().invoke(main, ["--src", "de", "--tgt", "en", "--src-corpus", str(tmp_path / "de.parquet"),
                                  "--tgt-corpus", str(tmp_path / "en.parquet"), "--model", str(tiny_model_dir), "--k", "3",
                                  "--threshold", "none", "-o", str(tmp_path / "cli.parquet"), "-q",
                                  "--cache-dir", str(tmp_path / "c")])
    assert r.exit_code == 0, r.output
    t = pq.read_table(tmp_path / "cli.parquet")
    cli_pairs = list(zip(*(t.column(c).to_pylist() for c in ("score", "src_id", "tgt_id", "src_text", "tgt_text"))))
    assert pairs == cli_pairs
    table = ems_mine.mine_sentences(de, en, "de", "en", encoder=tiny_encoder, threshold=None, k=3, as_table=True)
    assert table.column_names[:7] == ["score", "src_lang", "tgt_lang", "src_id", "tgt_id", "src_text", "tgt_text"]
    assert table.num_rows == len(pairs)


def test_mine_sentences_bad_input(tiny_encoder):
    with pytest.raises(UserError, match="src: give a list of sentences"):
        ems_mine.mine_sentences("Hallo", ["Hello"], "de", "en", encoder=tiny_encoder)
    with pytest.raises(UserError, match="tgt: the list of sentences is empty"):
        ems_mine.mine_sentences(["Hallo"], [], "de", "en", encoder=tiny_encoder)
    with pytest.raises(UserError, match="unknown mining setting"):
        ems_mine.mine_sentences(["Hallo"], ["Hello"], "de", "en", encoder=tiny_encoder, kk=3)


def test_train_from_python_then_continue_with_init(pairs_file, tmp_path):
    first = ems_mine.train(pairs_file, tmp_path / "a", preset="ems-tiny", max_steps=6,
                           settings={"batch_size": 32, "tokenizer_sample": 3000, "val_pairs": 50}, progress=False)
    enc = ems_mine.EMSEncoder.from_pretrained(first)
    assert enc.encode("Hallo").shape == (128,)
    cfg = json.loads((first / "config.json").read_text())
    assert cfg["objective"]["batch_size"] == 32 and cfg["objective"]["xtr_weight"] == 1.0
    more = ems_mine.train(pairs_file, tmp_path / "b", init=str(first), max_steps=4, progress=False)
    again = ems_mine.EMSEncoder.from_pretrained(more)
    assert again.config.n_layers == enc.config.n_layers and again.tokenizer.path.read_bytes() == enc.tokenizer.path.read_bytes()
    assert json.loads((more / "run.json").read_text())["train"]["batch_size"] == 32       # the init model's objective
    with pytest.raises(UserError, match="--set d_model=64: the init model has d_model=128"):
        ems_mine.train(pairs_file, tmp_path / "c", init=str(first), settings={"d_model": 64}, max_steps=2, progress=False)
