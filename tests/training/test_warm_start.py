"""A 0-layer first stage grows into a Transformer: init=DIR brings tokenizer and encoder weights."""
import dataclasses
import json
import tempfile

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file
from safetensors.torch import save_file

from ems_mine.config import PRESETS, TrainConfig
from ems_mine.errors import UserError
from ems_mine.model import EMSModel
from ems_mine.training.checkpoint import warm_start
from ems_mine.training.trainer import train

STAGE = TrainConfig(batch_size=16, val_pairs=50, val_every=1000, ckpt_every=1000, tokenizer_sample=3000,
                    warmup_steps=2, xtr_weight=0.0)
BAG = dataclasses.replace(PRESETS["ems-tiny"], n_layers=0, proj_dim=0, dropout=0.0)


def test_two_stage_run_starts_from_the_first_stage(pairs_file, tmp_path):
    # a large first-stage rate moves the embeddings far (~0.1) from the seed's initialisation, which the
    # second stage would reproduce without init=
    first = train(pairs_file, tmp_path / "bag", BAG, dataclasses.replace(STAGE, lr=0.05), max_steps=3, progress=False)
    assert not any(k.startswith("layers.") for k in load_file(first / "model.safetensors"))
    second_cfg = dataclasses.replace(STAGE, init=str(first), xtr_weight=1.0)
    # compare the step-1 weights with the init: one small Adam step away
    second = train(pairs_file, tmp_path / "tf", PRESETS["ems-tiny"], second_cfg, max_steps=1, progress=False)
    assert (second / "tokenizer.model").read_bytes() == (first / "tokenizer.model").read_bytes()
    a, b = load_file(first / "model.safetensors"), load_file(second / "model.safetensors")
    moved = np.abs(b["tok_emb.weight"] - a["tok_emb.weight"]).max()
    assert moved < 2 * second_cfg.lr                                 # one Adam step moves a weight by about lr
    assert np.abs(a["tok_emb.weight"]).max() > 0.1                   # while stage 1 moved them far
    assert any(k.startswith("layers.layers.1.") for k in b)          # the Transformer layers are new
    assert json.loads((second / "training.json").read_text())["train"]["init"] == str(first)
    # a warm-started run is resumable like any other (and the resume does not load the init again)
    third = train(pairs_file, tmp_path / "tf2", PRESETS["ems-tiny"], second_cfg, max_steps=3, stop_after_steps=1,
                  progress=False)
    assert json.loads((third / "run.json").read_text())["train"]["init"] == str(first)
    train(pairs_file, third, PRESETS["ems-tiny"], second_cfg, resume=True, progress=False)
    assert json.loads((third / "training.json").read_text())["steps"] == 3


def test_warm_start_loads_matching_weights_and_keeps_fresh_layers():
    bag, tf = EMSModel(dataclasses.replace(BAG, vocab_size=50)), EMSModel(dataclasses.replace(PRESETS["ems-tiny"], vocab_size=50))
    fresh = tf.layers.layers[0].linear1.weight.detach().clone()
    with torch.no_grad():
        bag.tok_emb.weight.fill_(0.5)

    with tempfile.TemporaryDirectory() as d:
        save_file({k: v.contiguous() for k, v in bag.state_dict().items()}, f"{d}/model.safetensors")
        assert warm_start(tf, d) == "4 tensors loaded, layers [0, 1] fresh"
        assert torch.all(tf.tok_emb.weight == 0.5)
        assert torch.equal(tf.layers.layers[0].linear1.weight, fresh)
        wide = EMSModel(dataclasses.replace(PRESETS["ems-tiny"], vocab_size=50, d_model=256))
        with pytest.raises(UserError, match=r"emb_norm.bias is \(128,\) but this model needs \(256,\); set d_model"):
            warm_start(wide, d)
    with pytest.raises(UserError, match="no model.safetensors"):
        warm_start(tf, "/nonexistent")


def test_init_and_tokenizer_together_is_an_error():
    with pytest.raises(UserError, match="drop tokenizer"):
        TrainConfig(init="runs/a", tokenizer="tok.model")


def test_bag_model_is_the_mean_of_normalised_token_plus_position_embeddings():
    torch.manual_seed(0)
    m = EMSModel(dataclasses.replace(BAG, vocab_size=20, max_len=8, d_model=4, n_heads=1)).eval()
    ids = torch.tensor([[5, 7, 9], [3, 4, 0]])                       # second sentence padded
    e = m(ids)                                                       # (2, 4)
    ln = torch.nn.functional.layer_norm
    w, b = m.emb_norm.weight, m.emb_norm.bias
    tok = lambda i, p: ln(m.tok_emb.weight[i] + m.pos_emb.weight[p], (4,), w, b, 1e-12)  # noqa: E731
    torch.testing.assert_close(e[0], (tok(5, 1) + tok(7, 2) + tok(9, 3)) / 3)
    torch.testing.assert_close(e[1], (tok(3, 1) + tok(4, 2)) / 2)


def test_proj_dim_zero_contrasts_the_embeddings_themselves():
    from ems_mine.heads import ContrastiveProjection

    u = torch.randn(3, 128)
    assert torch.equal(ContrastiveProjection(dataclasses.replace(BAG, proj_dim=0))(u), u)
    assert ContrastiveProjection(PRESETS["ems-tiny"])(u).shape == (3, 128)


def test_shape_in_words_for_cards():
    assert PRESETS["ems-tiny"].describe() == "2 layers, 4 heads, FFN 512, d_model 128, vocabulary 4000, max 64 tokens"
    assert BAG.describe().startswith("no Transformer layers: the mean of layer-normalised token + position embeddings")
