"""Optional distillation: teacher targets round-trip, the trainer uses them, reusing a tokenizer."""
import dataclasses
import json

import numpy as np
import pytest

from ems_mine import teachers
from ems_mine.config import PRESETS, TrainConfig
from ems_mine.errors import UserError
from ems_mine.training.teacher_targets import build_teacher_targets, load_teacher_targets
from ems_mine.training.trainer import train


class LengthTeacher:
    """A deterministic stand-in teacher: the unit vector of (len, words, 1)."""

    model_id = "length-teacher"

    def encode(self, sentences, batch_size=64, **_):
        e = np.array([[len(s), len(s.split()), 1.0] for s in sentences], dtype=np.float32)
        return e / np.linalg.norm(e, axis=1, keepdims=True)


@pytest.fixture()
def length_teacher(monkeypatch):
    monkeypatch.setitem(teachers.TEACHERS, "length", LengthTeacher)


def test_targets_round_trip_and_map_every_pair(pairs_file, tmp_path, length_teacher):
    import pyarrow.parquet as pq

    out = build_teacher_targets(pairs_file, "length", tmp_path / "t.parquet", batch_size=100, progress=False)
    targets, rows = load_teacher_targets(out, pairs_file)
    english = pq.read_table(pairs_file).column("tgt").to_pylist()
    assert len(rows) == len(english) and rows.min() >= 0
    assert len(targets) == len(set(english))                      # one row per distinct sentence
    np.testing.assert_allclose(targets[rows[:50]], LengthTeacher().encode(english[:50]), rtol=1e-6)
    with pytest.raises(UserError, match="exists"):
        build_teacher_targets(pairs_file, "length", out, progress=False)
    with pytest.raises(UserError, match="unknown teacher"):
        build_teacher_targets(pairs_file, "nope", tmp_path / "u.parquet", progress=False)


def test_trainer_adds_the_distillation_loss_and_reuses_a_tokenizer(pairs_file, tmp_path, tiny_model_dir, length_teacher):
    targets = build_teacher_targets(pairs_file, "length", tmp_path / "t.parquet", progress=False)
    tok = tiny_model_dir / "tokenizer.model"
    tcfg = TrainConfig(batch_size=16, val_pairs=50, val_every=2, ckpt_every=100, distill_weight=1.0,
                       teacher_targets=str(targets), tokenizer=str(tok))
    out = train(pairs_file, tmp_path / "kd", PRESETS["ems-tiny"], tcfg, max_steps=4, progress=False)
    assert (out / "tokenizer.model").read_bytes() == tok.read_bytes()
    logged = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert all(0.0 < r["kd"] <= 4.0 for r in logged if "kd" in r) and any("kd" in r for r in logged)
    with pytest.raises(UserError, match="teacher_targets"):
        TrainConfig(distill_weight=1.0)
    with pytest.raises(UserError, match="no teacher targets"):
        train(pairs_file, tmp_path / "kd2", PRESETS["ems-tiny"],
              dataclasses.replace(tcfg, teacher_targets=str(tmp_path / "missing.parquet")), max_steps=1, progress=False)
