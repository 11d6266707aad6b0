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
MAX_WINDOWS = 8   # inference: a sentence longer than max_len is embedded as up to this many consecutive windows


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

    @property
    def max_tokens(self) -> int:
        """The longest input embedded in full (:meth:`windows`); tokens past it are never seen."""
        return self.max_len * MAX_WINDOWS

    def _ids(self, texts: list[str]) -> list[list[int]]:
        threads = min(4, os.cpu_count() or 1) if len(texts) > 256 else 1
        return self.sp.encode(texts, out_type=int, num_threads=threads)

    def encode(self, texts: Iterable[str]) -> list[list[int]]:
        """Id lists truncated to max_len (training)."""
        return [s[: self.max_len] or [UNK_ID] for s in self._ids(list(texts))]  # an empty sentence still gets one token

    def windows(self, texts: Iterable[str]) -> "Windows":
        """Inference: each sentence's ids cut into consecutive windows of at most max_len (up to MAX_WINDOWS of them),
        so a long sentence is embedded whole — as the mean of its windows' embeddings weighted by their token
        counts (:meth:`Windows.combine`; for a bag of embeddings, exactly the mean over all its tokens, positions
        counted within each window) — instead of as its first max_len tokens. A sentence of at most max_len tokens
        is one window, embedded as before."""
        ids, owner, weight = [], [], []
        texts = list(texts)
        for n, s in enumerate(self._ids(texts)):
            s = s[: self.max_tokens] or [UNK_ID]
            for j in range(0, len(s), self.max_len):
                w = s[j : j + self.max_len]
                ids.append(w)
                owner.append(n)
                weight.append(len(w) / len(s))
        return Windows(ids, np.asarray(owner, np.int64), np.asarray(weight, np.float32), len(texts))


class Windows:
    """Token windows of n sentences: ``ids`` (W lists), ``owner`` (W,) the sentence of each window (in order, every
    sentence at least one), ``weight`` (W,) the window's share of its sentence's tokens."""

    def __init__(self, ids: list[list[int]], owner: np.ndarray, weight: np.ndarray, n: int):
        self.ids, self.owner, self.weight, self.n = ids, owner, weight, n

    def combine(self, emb: np.ndarray) -> np.ndarray:
        """Window embeddings (W, D) → sentence embeddings (n, D): each sentence's windows summed with their weights."""
        if len(emb) == self.n:
            return emb                                                        # one window each: nothing to combine
        starts = np.flatnonzero(np.r_[True, self.owner[1:] != self.owner[:-1]])   # (n,) first window of each
        return np.add.reduceat(emb * self.weight[:, None], starts, axis=0)


def pad_ids(seqs) -> np.ndarray:
    """Right-pad id lists with PAD_ID into a (B, T) int64 array."""
    lens = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    out = np.full((len(seqs), int(lens.max())), PAD_ID, dtype=np.int64)
    out[np.arange(out.shape[1]) < lens[:, None]] = np.concatenate([np.asarray(s, dtype=np.int64) for s in seqs])
    return out
