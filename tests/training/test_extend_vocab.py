"""Vocabulary extension: a tiny model's tokenizer gains pieces for a new language, old sentences tokenise and embed
exactly as before, and the new language's sentences get shorter."""
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import SHARED, read_lines

from ems_mine.encoder import EMSEncoder
from ems_mine.tokenizer import Tokenizer
from ems_mine.tokenizer_extend import decomposition, extend, grow_embeddings

AYM = SHARED / "data/train/americasnlp2021-train/aymara-spanish"


def aym_pairs(path, n: int) -> list[str]:
    """The first n Aymara–Spanish training pairs written to ``path`` as Parquet; returns the Spanish side."""
    es, aym = read_lines(AYM / "train.es")[:n], read_lines(AYM / "train.aym")[:n]
    pq.write_table(pa.table({"src_lang": ["aym"] * len(aym), "src": aym, "tgt_lang": ["spa"] * len(es), "tgt": es}), path)
    return es


def test_extension_keeps_old_tokenisation_and_grows_rows(tiny_model_dir, tmp_path):
    new = read_lines(AYM / "train.aym")[:3000]
    old_text = read_lines(SHARED / "data/eval/flores200-dev/flores-200-dev/deu_Latn.dev")
    out = tmp_path / "ext.model"
    added = extend(tiny_model_dir / "tokenizer.model", new, 300, old_text, out)
    assert 50 <= len(added) <= 300
    before, after = Tokenizer(tiny_model_dir / "tokenizer.model", 64), Tokenizer(out, 64)
    assert after.vocab_size == before.vocab_size + len(added)
    assert after.encode(old_text) == before.encode(old_text)               # reference sentences: exactly as before
    held = read_lines(AYM / "train.aym")[3000:3300]
    assert np.mean([len(s) for s in after.encode(held)]) < np.mean([len(s) for s in before.encode(held)])
    w = np.arange(12, dtype=np.float32).reshape(6, 2)
    np.testing.assert_array_equal(grow_embeddings(w, [[1, 3], [5]]), np.concatenate([w, [[4, 5], [10, 11]]]))
    parts = decomposition(tiny_model_dir / "tokenizer.model", added[:5])
    assert all(p and max(p) < before.vocab_size for p in parts)


def test_training_with_extend_vocab_embeds_old_sentences_as_before_at_step_zero(tiny_model_dir, tmp_path):
    import ems_mine

    es = aym_pairs(tmp_path / "aym.parquet", 2000)
    out = ems_mine.train(tmp_path / "aym.parquet", tmp_path / "m", init=str(tiny_model_dir), extend_vocab=200,
                         max_steps=1, settings={"lr": 0.0, "batch_size": 32, "val_pairs": 50}, progress=False)
    old, new = EMSEncoder.from_pretrained(tiny_model_dir, device="cpu"), EMSEncoder.from_pretrained(out, device="cpu")
    assert new.tokenizer.vocab_size > old.tokenizer.vocab_size and new.config.vocab_size == new.tokenizer.vocab_size
    assert "aym" in new.languages and new.languages[: len(old.languages)] == old.languages
    assert new.tokenizer.encode(es) == old.tokenizer.encode(es)            # the old language's sentences (the reference)
    old32 = EMSEncoder(old.model, old.tokenizer, precision="fp32")
    new32 = EMSEncoder(new.model, new.tokenizer, precision="fp32")
    np.testing.assert_array_equal(new32.encode(es), old32.encode(es))       # lr 0: old sentences embed exactly as before
    unseen = read_lines(SHARED / "data/eval/flores200-dev/flores-200-dev/spa_Latn.dev")
    same = np.mean([a == b for a, b in zip(new.tokenizer.encode(unseen), old.tokenizer.encode(unseen))])
    assert same >= 0.95                                                     # and nearly all unseen ones too


def test_freeze_init_trains_new_rows_and_keeps_every_old_sentence_exactly(tiny_model_dir, tmp_path):
    import ems_mine
    from ems_mine.training.freeze import frozen_rows

    # rows 6 and 8 are the new languages' own; 5 is shared with a kept language, 1 is special, 12 an added row
    np.testing.assert_array_equal(frozen_rows(10, [[5, 7], [7, 9]], [[1, 5, 6, 12], [8, 6]]), [0, 1, 2, 3, 4, 5, 7, 9])
    np.testing.assert_array_equal(frozen_rows(6, [], []), np.arange(6))                         # nothing learnt: all
    es = aym_pairs(tmp_path / "aym.parquet", 2000)
    out = ems_mine.train(tmp_path / "aym.parquet", tmp_path / "m", init=str(tiny_model_dir), extend_vocab=200,
                         max_steps=6, settings={"lr": 3e-3, "batch_size": 32, "val_pairs": 50, "freeze_init": "true"},
                         progress=False)
    old, new = EMSEncoder.from_pretrained(tiny_model_dir, device="cpu"), EMSEncoder.from_pretrained(out, device="cpu")
    w_old = old.model.tok_emb.weight.detach().numpy()
    w_new = new.model.tok_emb.weight.detach().numpy()
    kept = np.load(out / "frozen_rows.npy")
    used = {i for ids in old.tokenizer.windows(es).ids for i in ids}        # every piece embedded, past max_len too
    assert used <= set(kept.tolist())                                       # every piece Spanish uses stays
    np.testing.assert_array_equal(w_new[kept], w_old[kept])
    added = [new.tokenizer.sp.id_to_piece(i) for i in range(len(w_old), len(w_new))]
    start = grow_embeddings(w_old, decomposition(out / "tokenizer.before-extension.model", added))[len(w_old):]
    assert np.abs(w_new[len(w_old):] - start).max() > 1e-3                  # the added rows trained
    for name, p in new.model.state_dict().items():
        if name != "tok_emb.weight":
            np.testing.assert_array_equal(p.numpy(), old.model.state_dict()[name].numpy(), err_msg=name)
    old32 = EMSEncoder(old.model, old.tokenizer, precision="fp32")
    new32 = EMSEncoder(new.model, new.tokenizer, precision="fp32")
    np.testing.assert_array_equal(new32.encode(es), old32.encode(es))       # lr > 0, yet Spanish embeds as before


def test_interpolation_is_the_weighted_mean_and_keeps_the_added_rows(tiny_model_dir, tmp_path):
    import ems_mine
    from ems_mine.training.interpolate import interpolate

    es = aym_pairs(tmp_path / "aym.parquet", 600)
    out = ems_mine.train(tmp_path / "aym.parquet", tmp_path / "m", init=str(tiny_model_dir), extend_vocab=100,
                         max_steps=3, settings={"lr": 3e-3, "batch_size": 32, "val_pairs": 50}, progress=False)
    old, new = EMSEncoder.from_pretrained(tiny_model_dir, device="cpu"), EMSEncoder.from_pretrained(out, device="cpu")
    so, sn = old.model.state_dict(), new.model.state_dict()
    v = so["tok_emb.weight"].shape[0]
    half = interpolate(old, new, 0.5).model.state_dict()
    for name in so:
        want = sn[name].float().clone()
        want[:v] = (sn[name][:v].float() + so[name].float()) / 2
        np.testing.assert_allclose(half[name].numpy(), want.numpy(), rtol=0, atol=1e-7, err_msg=name)
    assert not np.allclose(sn["pos_emb.weight"].numpy(), so["pos_emb.weight"].numpy())   # training moved them
    zero = EMSEncoder(interpolate(old, new, 0.0).model, new.tokenizer, precision="fp32")
    np.testing.assert_allclose(zero.encode(es), EMSEncoder(old.model, old.tokenizer, precision="fp32").encode(es),
                               atol=1e-6)                                   # α = 0: the init model's embeddings
    one = interpolate(old, new, 1.0).model.state_dict()
    assert all(np.array_equal(one[n].numpy(), sn[n].float().numpy()) for n in sn)
    with pytest.raises(ems_mine.errors.UserError, match="alpha"):
        interpolate(old, new, 1.5)


def test_freeze_rows_reads_an_earlier_runs_rows_and_names_a_bad_file(tiny_model_dir, tmp_path):
    import ems_mine
    from ems_mine.errors import UserError
    from ems_mine.training.freeze import given_rows, load_rows, save_rows

    save_rows(tmp_path, np.array([5, 2, 9, 2]))
    np.testing.assert_array_equal(given_rows(str(tmp_path / "frozen_rows.npy"), 10), [2, 5, 9])
    np.testing.assert_array_equal(load_rows(tmp_path), [5, 2, 9, 2])
    with pytest.raises(UserError, match="9-piece vocabulary"):
        given_rows(str(tmp_path / "frozen_rows.npy"), 9)          # row 9 is past a 9-piece vocabulary
    (tmp_path / "bad.npy").write_text("not numpy")
    with pytest.raises(UserError, match="bad.npy: not a readable"):
        given_rows(str(tmp_path / "bad.npy"), 10)
    aym_pairs(tmp_path / "aym.parquet", 200)
    with pytest.raises(UserError, match="bad.npy: not a readable"):   # checked before the run writes anything
        ems_mine.train(tmp_path / "aym.parquet", tmp_path / "m", init=str(tiny_model_dir), max_steps=2,
                       settings={"freeze_init": "true", "freeze_rows": str(tmp_path / "bad.npy")}, progress=False)
    assert not (tmp_path / "m").exists()
