"""The bench commands end to end on the shared data, and BUCC F1 against an independent computation."""
import json

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import FLORES, NTREX, SHARED

from ems_mine.bench.bucc import load_split
from ems_mine.cli import main

TATOEBA = SHARED / "data/eval/tatoeba"


def run(args):
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    return r


def test_tatoeba_and_xsim_write_json_per_language(tiny_model_dir, tmp_path):
    run(["bench", "tatoeba", "--data", str(TATOEBA), "--langs", "deu,fra", "--model", str(tiny_model_dir),
         "--out", str(tmp_path), "--plot"])
    t = json.loads((tmp_path / "tatoeba.json").read_text())
    for lang in ("deu", "fra"):
        assert set(t[lang]) == {"xx2en", "en2xx"} and all(0 <= v <= 1 for v in t[lang].values())
    assert (tmp_path / "tatoeba.md").read_text().count("|") > 10 and (tmp_path / "tatoeba_scores.png").stat().st_size > 0
    run(["bench", "xsim", "--data", str(FLORES.parent), "--langs", "deu_Latn,fra", "--model", str(tiny_model_dir),
         "--out", str(tmp_path), "--plot"])
    assert (tmp_path / "xsim_scores.png").stat().st_size > 0
    x = json.loads((tmp_path / "xsim.json").read_text())
    assert set(x) >= {"deu_Latn", "fra_Latn", "average"} and 0 <= x["deu_Latn"]["xx2en"] <= 1


def independent_bucc_f1(x, y, src_ids, tgt_ids, gold, threshold, k=4):
    """Ratio margin + max strategy written plainly from LASER's description, no shared code."""
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    y = y / np.linalg.norm(y, axis=1, keepdims=True)
    sim = x @ y.T
    fwd_nn = np.argsort(-sim, axis=1)[:, :k]
    bwd_nn = np.argsort(-sim.T, axis=1)[:, :k]
    fwd_mean = np.array([sim[i, fwd_nn[i]].mean() for i in range(len(x))])
    bwd_mean = np.array([sim[bwd_nn[j], j].mean() for j in range(len(y))])
    cands = []
    for i in range(len(x)):
        best = max(fwd_nn[i], key=lambda j: sim[i, j] / ((fwd_mean[i] + bwd_mean[j]) / 2))
        cands.append((sim[i, best] / ((fwd_mean[i] + bwd_mean[best]) / 2), i, best))
    for j in range(len(y)):
        best = max(bwd_nn[j], key=lambda i: sim[i, j] / ((fwd_mean[i] + bwd_mean[j]) / 2))
        cands.append((sim[best, j] / ((fwd_mean[best] + bwd_mean[j]) / 2), best, j))
    cands.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_s, used_t, mined = set(), set(), []
    for score, i, j in cands:
        if i not in used_s and j not in used_t:
            used_s.add(i)
            used_t.add(j)
            if score >= threshold:
                mined.append((src_ids[i], tgt_ids[j]))
    tp = len(set(mined) & gold)
    p, r = tp / len(mined), tp / len(gold)
    return 2 * p * r / (p + r)


@pytest.fixture(scope="module")
def constructed(tmp_path_factory):
    d = tmp_path_factory.mktemp("bucc")
    extra_de = d / "de_extra.txt"
    extra_en = d / "en_extra.txt"
    extra_de.write_text("\n".join(NTREX.joinpath("newstest2019-ref.deu.txt").read_text(encoding="utf-8").splitlines()[:800]))
    extra_en.write_text("\n".join(NTREX.joinpath("newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()[1000:1800]))
    run(["bench", "build-bucc", "--src-file", str(FLORES / "deu_Latn.dev"), "--tgt-file", str(FLORES / "eng_Latn.dev"),
         "--pair", "de-en", "--gold", "60", "--noise", "600", "--extra-src", str(extra_de), "--extra-tgt", str(extra_en),
         "--out", str(d / "set")])
    return d / "set"


def test_constructed_set_layout(constructed):
    for split in ("sample", "training"):
        sp = load_split(constructed, "de-en", split)
        assert len(sp.gold) == 60 and len(sp.src_ids) == len(sp.tgt_ids) == 660
        flores_de = FLORES.joinpath("deu_Latn.dev").read_text(encoding="utf-8").splitlines()
        flores_en = FLORES.joinpath("eng_Latn.dev").read_text(encoding="utf-8").splitlines()
        src, tgt = dict(zip(sp.src_ids, sp.src_text)), dict(zip(sp.tgt_ids, sp.tgt_text))
        for a, b in sp.gold:      # every gold pair is a FLORES translation pair
            assert flores_en[flores_de.index(src[a])] == tgt[b]
    assert "CONSTRUCTED" in (constructed / "CONSTRUCTED.md").read_text()


def test_bucc_f1_equals_independent_computation(tiny_model_dir, tiny_encoder, constructed, tmp_path):
    run(["bench", "bucc", "--data", str(constructed), "--pair", "de-en", "--model", str(tiny_model_dir),
         "--out", str(tmp_path), "--plot"])
    rep = json.loads((tmp_path / "bucc.de-en.json").read_text())
    assert {"precision", "recall", "f1", "threshold"} <= set(rep)
    assert rep["meta"]["tune_split"] == "sample" and rep["meta"]["eval_split"] == "training" and rep["meta"]["constructed"]
    sp = load_split(constructed, "de-en", "training")
    x, y = tiny_encoder.encode(sp.src_text), tiny_encoder.encode(sp.tgt_text)
    assert rep["f1"] == pytest.approx(independent_bucc_f1(x, y, sp.src_ids, sp.tgt_ids, sp.gold, rep["threshold"]), abs=1e-9)
    assert (tmp_path / "bucc.de-en.prf.png").is_file() and (tmp_path / "bucc.de-en.scores.png").is_file()
    assert "constructed" in (tmp_path / "bucc.de-en.md").read_text().lower()


def test_bucc_xtreme_layout_oracle(tiny_model_dir, constructed, tmp_path):
    xt = tmp_path / "xtreme"
    xt.mkdir()
    for suffix in ("de", "en", "gold"):   # XTREME renames training → test and ships only that split here
        (xt / f"de-en.test.{suffix}").write_text((constructed / f"de-en.training.{suffix}").read_text())
    run(["bench", "bucc", "--data", str(xt), "--pair", "de-en", "--model", str(tiny_model_dir), "--out", str(tmp_path / "o")])
    rep = json.loads((tmp_path / "o/bucc.de-en.json").read_text())
    assert rep["meta"]["oracle"] and rep["meta"]["eval_split"] == "test"
    assert "oracle" in (tmp_path / "o/bucc.de-en.md").read_text()


def test_hugging_face_encoder_directory(tmp_path):
    from transformers import BertConfig, BertModel, BertTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "guten", "morgen", "good", "morning", "hallo", "hello", "welt", "world"]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=str(tmp_path / "vocab.txt")).save_pretrained(tmp_path / "hf")
    BertModel(BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=32)).save_pretrained(tmp_path / "hf", safe_serialization=True)
    from ems_mine.encoders import load_encoder
    from ems_mine.hf_encoder import HFEncoder

    enc = load_encoder(tmp_path / "hf", device="cpu")
    assert isinstance(enc, HFEncoder) and enc.dim == 16
    e = enc.encode(["guten morgen", "hello", "good morning world hello"], batch_size=2)
    one = np.stack([enc.encode([s])[0] for s in ["guten morgen", "hello", "good morning world hello"]])
    np.testing.assert_allclose(e, one, rtol=1e-4, atol=1e-5)
