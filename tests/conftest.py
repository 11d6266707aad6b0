"""Shared fixtures: real data from ../shared/data and one small EMS model trained once per session."""
from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EMS_MINE_SHARED", REPO.parent / "shared"))
NTREX = SHARED / "data/train/ntrex128/NTREX-128"
FLORES = SHARED / "data/eval/flores200-dev/flores-200-dev"


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def ntrex_pairs(langs: tuple[str, ...], n: int) -> pa.Table:
    """The first ``n`` NTREX-128 lines of each language paired with the English source."""
    eng = read_lines(NTREX / "newstest2019-src.eng.txt")[:n]
    rows = {"src_lang": [], "src": [], "tgt_lang": [], "tgt": []}
    for lang in langs:
        for a, b in zip(read_lines(NTREX / f"newstest2019-ref.{lang}.txt")[:n], eng):
            rows["src_lang"].append(lang)
            rows["src"].append(a)
            rows["tgt_lang"].append("eng")
            rows["tgt"].append(b)
    return pa.table(rows)


@pytest.fixture(scope="session")
def pairs_file(tmp_path_factory) -> Path:
    """3 languages × 1,997 real NTREX pairs with English, as Parquet."""
    path = tmp_path_factory.mktemp("pairs") / "ntrex.parquet"
    pq.write_table(ntrex_pairs(("deu", "fra", "spa"), 2000), path)
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, pairs_file) -> Path:
    """An ems-tiny model trained for 40 steps: small but real, for API and mechanics tests."""
    from ems_mine.config import PRESETS, TrainConfig
    from ems_mine.training.trainer import train

    out = tmp_path_factory.mktemp("models") / "tiny"
    tcfg = TrainConfig(batch_size=32, val_pairs=200, val_every=1000, ckpt_every=1000, tokenizer_sample=6000)
    train(pairs_file, out, PRESETS["ems-tiny"], tcfg, max_steps=40, progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_encoder(tiny_model_dir):
    from ems_mine.encoder import EMSEncoder

    return EMSEncoder.from_pretrained(tiny_model_dir, device="cpu")
