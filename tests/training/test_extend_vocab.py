"""Vocabulary extension: a tiny model's tokenizer gains pieces for a new language, old sentences tokenise and embed
exactly as before, and the new language's sentences get shorter."""
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from conftest import SHARED, read_lines

from ems_mine.encoder import EMSEncoder
from ems_mine.tokenizer import Tokenizer
from ems_mine.tokenizer_extend import decomposition, extend, grow_embeddings

AYM = SHARED / "data/train/americasnlp2021-train/aymara-spanish"


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

    es = read_lines(AYM / "train.es")[:2000]
    aym = read_lines(AYM / "train.aym")[:2000]
    pq.write_table(pa.table({"src_lang": ["aym"] * len(aym), "src": aym, "tgt_lang": ["spa"] * len(es), "tgt": es}),
                   tmp_path / "aym.parquet")
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
