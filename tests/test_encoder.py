"""EMSEncoder: save→load round-trip, input order with mixed lengths, errors."""
import numpy as np
import pytest

from ems_mine.encoder import EMSEncoder
from ems_mine.errors import UserError

SENTS = ["Ja.", "Das ist ein ziemlich langer Satz mit vielen verschiedenen Wörtern darin, damit er lang ist.",
         "Kurz.", "Ein mittellanger Satz über das Wetter.", "", "Noch ein Satz, der etwas länger ist als die kurzen."]


def test_encode_keeps_input_order_with_mixed_lengths(tiny_encoder):
    enc = EMSEncoder(tiny_encoder.model, tiny_encoder.tokenizer, precision="fp32")   # bf16 noise would blur the check
    batched = enc.encode(SENTS, batch_size=2)
    one_by_one = np.stack([enc.encode([s])[0] for s in SENTS])
    assert batched.dtype == np.float32 and batched.shape == (len(SENTS), enc.dim)
    np.testing.assert_allclose(batched, one_by_one, rtol=1e-4, atol=1e-5)
    # a permutation of the input permutes the output the same way
    perm = [3, 0, 5, 1, 4, 2]
    np.testing.assert_allclose(enc.encode([SENTS[i] for i in perm]), batched[perm], rtol=1e-4, atol=1e-5)


def test_normalize_embeddings_and_the_deprecated_alias(tiny_encoder):
    e = tiny_encoder.encode(SENTS, normalize_embeddings=True)
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, rtol=1e-5)
    with pytest.warns(DeprecationWarning, match="normalize_embeddings"):
        old = tiny_encoder.encode(SENTS, normalize=True)
    np.testing.assert_array_equal(old, e)


def test_sentence_transformers_style_encode(tiny_encoder):
    import torch

    one = tiny_encoder.encode("Guten Morgen", lang="de")
    assert one.shape == (tiny_encoder.dim,) and one.dtype == np.float32         # a str is one sentence, not characters
    assert tiny_encoder.encode(["Guten Morgen"]).shape == (1, tiny_encoder.dim)
    np.testing.assert_array_equal(one, tiny_encoder.encode(["Guten Morgen"])[0])
    t = tiny_encoder.encode(SENTS, convert_to_tensor=True, normalize_embeddings=True, show_progress_bar=False,
                            device="cpu", batch_size=3)
    assert isinstance(t, torch.Tensor) and t.shape == (len(SENTS), tiny_encoder.dim)
    np.testing.assert_allclose(t.norm(dim=1).numpy(), 1.0, rtol=1e-5)
    assert tiny_encoder.encode(s for s in SENTS[:2]).shape == (2, tiny_encoder.dim)   # any iterable of strings
    with pytest.raises(UserError, match="must be a string"):
        tiny_encoder.encode(["ok", 3])


def test_similarity_is_cosine(tiny_encoder):
    import torch

    a, b = tiny_encoder.encode(SENTS[:3]), tiny_encoder.encode(SENTS[2:5])
    sim = tiny_encoder.similarity(a, b)
    an, bn = a / np.linalg.norm(a, axis=1, keepdims=True), b / np.linalg.norm(b, axis=1, keepdims=True)
    np.testing.assert_allclose(sim, an @ bn.T, rtol=1e-5, atol=1e-6)
    assert sim.shape == (3, 3) and sim[2, 0] == pytest.approx(1.0, abs=1e-5)        # SENTS[2] with itself
    assert isinstance(tiny_encoder.similarity(torch.from_numpy(a), b), torch.Tensor)
    assert tiny_encoder.similarity(a[0], b).shape == (1, 3)


def test_save_load_gives_identical_embeddings(tiny_encoder, tmp_path):
    before = (tiny_encoder.model_dir, tiny_encoder.tokenizer.path)
    tiny_encoder.save_pretrained(tmp_path / "copy")
    assert (tiny_encoder.model_dir, tiny_encoder.tokenizer.path) == before      # no side effect on the instance
    again = EMSEncoder.from_pretrained(tmp_path / "copy", device="cpu")
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == ["README.md", "config.json", "model.safetensors", "tokenizer.model"]
    np.testing.assert_array_equal(again.encode(SENTS), tiny_encoder.encode(SENTS))
    assert again.model_id == tiny_encoder.model_id


def test_half_precision_save_is_close(tiny_encoder, tmp_path):
    tiny_encoder.save_pretrained(tmp_path / "half", half=True)
    half = EMSEncoder.from_pretrained(tmp_path / "half", device="cpu")
    a, b = half.encode(SENTS, normalize_embeddings=True), tiny_encoder.encode(SENTS, normalize_embeddings=True)
    assert np.min(np.sum(a * b, axis=1)) > 0.999


def test_language_validation(tiny_encoder):
    assert tiny_encoder.languages == ("deu", "eng", "fra", "spa")
    tiny_encoder.encode(["Hallo"], lang="de")
    with pytest.warns(UserWarning, match="'ja' \\(jpn\\) is not among the model's training languages"):
        out = tiny_encoder.encode(["Hallo"], lang="ja")               # any language: the embedding ignores the code
    np.testing.assert_array_equal(out, tiny_encoder.encode(["Hallo"], lang="de"))
    with pytest.raises(UserError, match="unknown language code"):
        tiny_encoder.encode(["Hallo"], lang="qq-bad")


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


def test_bf16_inference_of_layered_models_matches_fp32(tiny_encoder):
    """On a CPU "auto" encodes in fp32 (bf16 autocast is slower there at inference); "bf16" runs autocast where the
    CPU has native bf16 and stays within cosine 0.999 of fp32."""
    from ems_mine.precision import cpu_has_bf16

    enc = {p: EMSEncoder(tiny_encoder.model, tiny_encoder.tokenizer, precision=p).encode(SENTS, normalize_embeddings=True)
           for p in ("fp32", "auto", "bf16")}
    np.testing.assert_array_equal(enc["auto"], enc["fp32"])
    cos = np.sum(enc["fp32"] * enc["bf16"], axis=1)
    assert cos.min() > 0.999
    assert (cos.min() < 1.0 - 1e-7) == cpu_has_bf16()              # bf16 ran exactly where the CPU has it


def test_a_long_sentence_is_embedded_whole_as_the_mean_over_all_its_tokens():
    """Bundled bag model: a sentence past max_len embeds as the mean over every token of LN(token + position), the
    positions counted within each max_len window (hand-computed from the weights); a short one as before."""
    import torch

    from ems_mine.tokenizer import MAX_WINDOWS

    enc = EMSEncoder.from_pretrained(device="cpu")
    m, tok = enc.model, enc.tokenizer
    assert m.cfg.n_layers == 0
    long = " ".join(SENTS[1] for _ in range(6))
    ids = tok.sp.encode(long)
    L = tok.max_len
    assert 2 * L < len(ids) < tok.max_tokens
    pos = torch.tensor([j % L + 1 for j in range(len(ids))])
    with torch.no_grad():
        want = m.emb_norm(m.tok_emb(torch.tensor(ids)) + m.pos_emb(pos)).mean(0).numpy()
        short = m(torch.tensor([tok.encode([SENTS[3]])[0]]))[0].numpy()
    got = enc.encode([long, SENTS[3]])
    np.testing.assert_allclose(got[0], want, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(got[1], short)                  # one window: exactly the model's output
    win = tok.windows([SENTS[3], long, "x " * (MAX_WINDOWS * L * 2)])
    assert win.owner.tolist().count(1) == -(-len(ids) // L) and win.owner.tolist().count(2) == MAX_WINDOWS
    assert [sum(w for w, o in zip(win.weight, win.owner) if o == n) for n in range(3)] == pytest.approx([1, 1, 1])
    assert [t for w, o in zip(win.ids, win.owner) if o == 1 for t in w] == ids
