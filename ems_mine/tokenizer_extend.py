"""Vocabulary extension for new languages: add SentencePiece pieces learnt on the new text to an existing model's
tokenizer (still one ``tokenizer.model`` file), leaving old sentences tokenised exactly as before.

1. A unigram model is trained on the new text; its pieces that the old vocabulary lacks are the candidates,
   best-scoring first, up to N. They join the old model with their own log-probability as score.
2. Adding a piece can change how an old sentence is cut wherever its characters occur. The extended tokenizer is
   run over reference sentences of the old languages; every new piece that appears in a sentence whose tokens
   changed is removed, and this repeats until the reference sentences tokenise exactly as with the old model.
3. :func:`grow_embeddings` appends one embedding row per added piece, initialised as the mean of the rows of the
   old pieces its text decomposes into under the old tokenizer; old rows are untouched, so old sentences embed
   exactly as before (until training moves them).
"""
from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

NORMAL = 1  # SentencePiece piece type of ordinary pieces


def _proto(path: str | Path):
    from sentencepiece import sentencepiece_model_pb2 as pb

    m = pb.ModelProto()
    m.ParseFromString(Path(path).read_bytes())
    return m


def _processor(proto):
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_proto=proto.SerializeToString())


def candidate_pieces(old_model: str | Path, new_texts: Sequence[str], n: int, seed: int = 0) -> list[tuple[str, float]]:
    """Up to ``n`` (piece, score) pairs learnt on ``new_texts`` that the old vocabulary lacks, best first."""
    import sentencepiece as spm

    old = {p.piece for p in _proto(old_model).pieces}
    texts = [t.replace("\n", " ") for t in new_texts if t.strip()]
    if not texts:
        return []
    norm = _proto(old_model).normalizer_spec.name
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "new.txt"
        f.write_text("\n".join(texts) + "\n", encoding="utf-8")
        size = max(64, min(2 * n + 256, len(set(" ".join(texts).split())) + 256))
        spm.SentencePieceTrainer.train(input=str(f), model_prefix=str(Path(tmp) / "new"), vocab_size=size, model_type="unigram",
                                       normalization_rule_name=norm, character_coverage=1.0, hard_vocab_limit=False,
                                       byte_fallback=False, bos_id=-1, eos_id=-1, unk_id=0, num_threads=1, minloglevel=2,
                                       seed_sentencepiece_size=200_000)
        new = _proto(Path(tmp) / "new.model")
    cands = [(p.piece, p.score) for p in new.pieces if p.type == NORMAL and p.piece not in old and len(p.piece) > 1]
    cands.sort(key=lambda x: -x[1])
    return cands[:n]


def extend(old_model: str | Path, new_texts: Sequence[str], n: int, reference: Sequence[str], out: str | Path,
           seed: int = 0) -> list[str]:
    """Write the extended tokenizer to ``out``; returns the pieces added (ids: old size, old size + 1, …)."""
    base = _proto(old_model)
    old_sp = _processor(base)
    ref = [t for t in reference if t.strip()]
    want = old_sp.encode(ref, out_type=int)
    added = candidate_pieces(old_model, new_texts, n, seed)
    while True:
        proto = _proto(old_model)
        for piece, score in added:
            p = proto.pieces.add()
            p.piece, p.score, p.type = piece, score, NORMAL
        sp = _processor(proto)
        got = sp.encode(ref, out_type=int)
        first_new = len(base.pieces)
        bad = {sp.id_to_piece(i) for g, w in zip(got, want) if g != w for i in g if i >= first_new}
        if not bad:
            break
        added = [a for a in added if a[0] not in bad]
    Path(out).write_bytes(proto.SerializeToString())
    return [a[0] for a in added]


def decomposition(old_model: str | Path, pieces: Sequence[str]) -> list[list[int]]:
    """The old token ids each new piece's text is cut into by the old tokenizer."""
    sp = _processor(_proto(old_model))
    out = []
    for piece in pieces:
        ids = sp.encode(piece.replace("\u2581", " "), out_type=int)
        out.append([i for i in ids if i > 1] or [1])
    return out


def grow_embeddings(weight: np.ndarray, parts: Sequence[Sequence[int]]) -> np.ndarray:
    """(V, D) → (V + len(parts), D): new row i is the mean of the old rows ``parts[i]``."""
    new = np.stack([weight[list(p)].mean(0) for p in parts]) if len(parts) else np.zeros((0, weight.shape[1]), weight.dtype)
    return np.concatenate([weight, new.astype(weight.dtype)])
