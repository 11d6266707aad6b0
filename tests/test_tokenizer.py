from conftest import NTREX, read_lines

from ems_mine.tokenizer import PAD_ID, Tokenizer, language_sample_sizes, train_tokenizer


def test_temperature_sampling_sizes_hand_computed():
    # n = (900, 100), T = 2: q ∝ (0.9^0.5, 0.1^0.5) = (0.9487, 0.3162) → (0.75, 0.25) of 400
    assert language_sample_sizes({"a": 900, "b": 100}, 400, 2.0) == {"a": 300, "b": 100}
    # T = 1 keeps the natural proportions; never more than a language has
    assert language_sample_sizes({"a": 900, "b": 100}, 500, 1.0) == {"a": 450, "b": 50}
    assert language_sample_sizes({"a": 900, "b": 10}, 400, 100.0)["b"] == 10


def test_tokenizer_trains_and_case_folds(tmp_path):
    sents = {"deu": read_lines(NTREX / "newstest2019-ref.deu.txt")[:500],
             "eng": read_lines(NTREX / "newstest2019-src.eng.txt")[:500]}
    path = train_tokenizer(sents, tmp_path / "spm.model", vocab_size=800, sample_size=1000, temperature=5.0)
    tok = Tokenizer(path, max_len=16)
    upper, lower = tok.encode(["Das HAUS ist GROSS.", "das haus ist gross."])
    assert upper == lower                      # one normalisation: NFKC + case folding, inside the model
    assert len(tok.encode(["wort " * 100])[0]) == 16   # truncation to max_len
    assert tok.encode([""])[0] and PAD_ID not in tok.encode(["Hallo Welt"])[0]
