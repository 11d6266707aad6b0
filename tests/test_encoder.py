"""EMSEncoder: save→load round-trip, input order with mixed lengths, errors."""
import numpy as np
import pytest

from ems_mine.encoder import EMSEncoder
from ems_mine.errors import UserError

SENTS = ["Ja.", "Das ist ein ziemlich langer Satz mit vielen verschiedenen Wörtern darin, damit er lang ist.",
         "Kurz.", "Ein mittellanger Satz über das Wetter.", "", "Noch ein Satz, der etwas länger ist als die kurzen."]


def test_encode_keeps_input_order_with_mixed_lengths(tiny_encoder):
    batched = tiny_encoder.encode(SENTS, batch_size=2)
    one_by_one = np.stack([tiny_encoder.encode([s])[0] for s in SENTS])
    assert batched.dtype == np.float32 and batched.shape == (len(SENTS), tiny_encoder.dim)
    np.testing.assert_allclose(batched, one_by_one, rtol=1e-4, atol=1e-5)
    # a permutation of the input permutes the output the same way
    perm = [3, 0, 5, 1, 4, 2]
    np.testing.assert_allclose(tiny_encoder.encode([SENTS[i] for i in perm]), batched[perm], rtol=1e-4, atol=1e-5)


def test_normalize(tiny_encoder):
    e = tiny_encoder.encode(SENTS, normalize=True)
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, rtol=1e-5)


def test_save_load_gives_identical_embeddings(tiny_encoder, tmp_path):
    tiny_encoder.save_pretrained(tmp_path / "copy")
    again = EMSEncoder.from_pretrained(tmp_path / "copy", device="cpu")
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == ["README.md", "config.json", "model.safetensors", "tokenizer.model"]
    np.testing.assert_array_equal(again.encode(SENTS), tiny_encoder.encode(SENTS))
    assert again.model_id == tiny_encoder.model_id


def test_half_precision_save_is_close(tiny_encoder, tmp_path):
    tiny_encoder.save_pretrained(tmp_path / "half", half=True)
    half = EMSEncoder.from_pretrained(tmp_path / "half", device="cpu")
    a, b = half.encode(SENTS, normalize=True), tiny_encoder.encode(SENTS, normalize=True)
    assert np.min(np.sum(a * b, axis=1)) > 0.999


def test_language_validation(tiny_encoder):
    assert tiny_encoder.languages == ("deu", "eng", "fra", "spa")
    tiny_encoder.encode(["Hallo"], lang="de")
    with pytest.raises(UserError, match="known: deu, eng, fra, spa"):
        tiny_encoder.encode(["Hallo"], lang="ja")


def test_not_a_model_directory(tmp_path):
    with pytest.raises(UserError, match="missing config.json"):
        EMSEncoder.from_pretrained(tmp_path)


def test_weights_that_do_not_match_the_config(tiny_encoder, tmp_path):
    import json

    tiny_encoder.save_pretrained(tmp_path / "m")
    cfg = json.loads((tmp_path / "m/config.json").read_text())
    cfg["model"]["d_model"] = 64
    (tmp_path / "m/config.json").write_text(json.dumps(cfg))
    with pytest.raises(UserError, match="weights do not match config.json"):
        EMSEncoder.from_pretrained(tmp_path / "m")
