"""One SentencePiece model for all languages, and the text normalisation that goes with it.

Normalisation is SentencePiece's ``nmt_nfkc_cf`` rule (NMT-style NFKC plus Unicode case folding),
stored inside the model file, so training and inference apply exactly the same rule and no Python
code can drift from it. The paper lowercases and pre-tokenises with Moses / jieba / Juman++; we keep
the lowercasing (case folding) and drop the pre-tokenisers: SentencePiece segments unspaced scripts
itself, and the extra tokenisers are heavy dependencies that differ by language (see
``benchmarks/RESULTS.md`` for the measurement behind this choice).
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

PAD_ID, UNK_ID = 0, 1
NORMALIZATION = "nmt_nfkc_cf"


def language_sample_sizes(counts: dict[str, int], total: int, temperature: float) -> dict[str, int]:
    """Sentences to take per language: q_l ∝ (n_l / N)^(1/T), capped at n_l (temperature sampling)."""
    langs = sorted(counts)
    n = np.array([counts[lang] for lang in langs], dtype=np.float64)
    q = (n / n.sum()) ** (1.0 / temperature)
    q /= q.sum()
    want = np.minimum(np.floor(q * total), n).astype(int)
    return dict(zip(langs, want.tolist()))


def train_tokenizer(sentences_by_lang: dict[str, list[str]], out_file: str | os.PathLike, vocab_size: int,
                    sample_size: int, temperature: float, seed: int = 0, normalization: str = NORMALIZATION) -> Path:
    """Train the shared SentencePiece model on a language-balanced sample; returns ``out_file``."""
    import sentencepiece as spm

    rng = np.random.default_rng(seed)
    counts = {lang: len(s) for lang, s in sentences_by_lang.items() if s}
    take = language_sample_sizes(counts, sample_size, temperature)
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        text = Path(tmp) / "sample.txt"
        with open(text, "w", encoding="utf-8") as f:
            for lang in sorted(take):
                pool = sentences_by_lang[lang]
                for i in np.sort(rng.choice(len(pool), size=take[lang], replace=False)):
                    f.write(pool[i].replace("\n", " ") + "\n")
        spm.SentencePieceTrainer.train(
            input=str(text), model_prefix=str(Path(tmp) / "spm"), vocab_size=vocab_size,
            model_type="unigram", normalization_rule_name=normalization, character_coverage=0.9995,
            byte_fallback=True, pad_id=PAD_ID, unk_id=UNK_ID, bos_id=-1, eos_id=-1,
            input_sentence_size=0, shuffle_input_sentence=False, hard_vocab_limit=False,
            num_threads=1, minloglevel=2, seed_sentencepiece_size=500_000,
        )
        os.replace(Path(tmp) / "spm.model", out_file)
    return out_file


class Tokenizer:
    """SentencePiece wrapper: text in, truncated id lists out (no BOS/EOS; pad is 0)."""

    def __init__(self, model_file: str | os.PathLike, max_len: int):
        import sentencepiece as spm

        self.path = Path(model_file)
        try:
            self.sp = spm.SentencePieceProcessor(model_proto=self.path.read_bytes())
        except (OSError, RuntimeError) as e:
            from .errors import UserError

            raise UserError(f"{self.path}: not a readable SentencePiece model ({str(e).splitlines()[0][:120]}); the "
                            "model directory is damaged — copy it again") from None
        self.max_len = max_len

    @property
    def vocab_size(self) -> int:
        return self.sp.get_piece_size()

    def encode(self, texts: Iterable[str]) -> list[list[int]]:
        texts = list(texts)
        threads = min(4, os.cpu_count() or 1) if len(texts) > 256 else 1
        ids = self.sp.encode(texts, out_type=int, num_threads=threads)
        return [s[: self.max_len] or [UNK_ID] for s in ids]  # an empty sentence still gets one token


def pad_ids(seqs) -> np.ndarray:
    """Right-pad id lists with PAD_ID into a (B, T) int64 array."""
    lens = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    out = np.full((len(seqs), int(lens.max())), PAD_ID, dtype=np.int64)
    out[np.arange(out.shape[1]) < lens[:, None]] = np.concatenate([np.asarray(s, dtype=np.int64) for s in seqs])
    return out
