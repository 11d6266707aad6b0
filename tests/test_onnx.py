"""ONNX export: the same embeddings as PyTorch (cosine ≥ 0.9999 on real Tatoeba sentences), every ``--model`` takes
the export, and the bench gives the same accuracy."""
import json

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SHARED

from ems_mine.cli import main
from ems_mine.encoders import load_encoder

pytest.importorskip("onnxruntime")
TATOEBA = SHARED / "data/eval/tatoeba"


@pytest.fixture(scope="module")
def onnx_dir(tiny_model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("onnx") / "tiny-onnx"
    r = CliRunner().invoke(main, ["export", str(tiny_model_dir), "--onnx", "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out


def test_export_matches_pytorch_on_tatoeba(onnx_dir, tiny_encoder):
    from ems_mine.onnx_encoder import ONNXEncoder

    sents = (TATOEBA / "tatoeba.deu-eng.deu").read_text(encoding="utf-8").splitlines()[:300]
    sents.append(" ".join(sents[:40]))                       # longer than max_len: several windows, combined the same way
    onnx = load_encoder(str(onnx_dir))
    assert isinstance(onnx, ONNXEncoder) and onnx.dim == tiny_encoder.dim and onnx.languages == tiny_encoder.languages
    a = onnx.encode(sents, lang="de", batch_size=37, normalize_embeddings=True)
    b = tiny_encoder.encode(sents, lang="de", normalize_embeddings=True)            # bf16 layers where the CPU has it
    assert np.sum(a * b, axis=1).min() >= 0.9999
    from ems_mine.encoder import EMSEncoder

    fp32 = EMSEncoder(tiny_encoder.model, tiny_encoder.tokenizer, precision="fp32")
    np.testing.assert_allclose(a, fp32.encode(sents, lang="de", normalize_embeddings=True), atol=1e-4)
    assert onnx.encode("Guten Morgen").shape == (onnx.dim,)
    assert sorted(p.name for p in onnx_dir.iterdir()) >= ["README.md", "config.json", "model.onnx", "tokenizer.model"]
    assert json.loads((onnx_dir / "config.json").read_text())["source_model_id"] == tiny_encoder.model_id


def test_bench_tatoeba_on_the_export_gives_the_same_accuracy(onnx_dir, tiny_model_dir, tmp_path):
    res = {}
    for name, model in (("torch", tiny_model_dir), ("onnx", onnx_dir)):
        r = CliRunner().invoke(main, ["bench", "tatoeba", "--data", str(TATOEBA), "--langs", "deu,fra",
                                      "--model", str(model), "-o", str(tmp_path / name)])
        assert r.exit_code == 0, r.output
        res[name] = json.loads((tmp_path / name / "tatoeba.json").read_text())
    for lang in ("deu", "fra"):
        for d in ("xx2en", "en2xx"):
            assert abs(res["torch"][lang][d] - res["onnx"][lang][d]) <= 0.001 + 1e-9   # 0.1 points


def test_export_refuses_to_overwrite(onnx_dir, tiny_model_dir):
    r = CliRunner().invoke(main, ["export", str(tiny_model_dir), "--onnx", "-o", str(onnx_dir)])
    assert r.exit_code == 2 and "output exists" in r.stderr
