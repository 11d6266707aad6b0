"""BUCC 2018 (and XTREME's renamed layout): mine each split with margin + candidates as the mining
engine does, compare id pairs with the gold, tune the threshold on one split and apply it to another.

Files for a pair ``de-en``: ``de-en.<split>.de`` / ``.en`` (``ID<TAB>sentence``) and ``de-en.<split>.gold``
(``deID<TAB>enID``). Splits: ``sample``, ``training``, ``test`` (BUCC) or ``dev``, ``test`` (XTREME).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..vectors import l2_normalize

SPLIT_ORDER = ("sample", "dev", "training", "test")  # tune on the first with gold, evaluate on the next


@dataclass
class BuccSplit:
    name: str
    src_ids: list[str]
    src_text: list[str]
    tgt_ids: list[str]
    tgt_text: list[str]
    gold: set[tuple[str, str]] | None


def _read_tsv(path: Path) -> tuple[list[str], list[str]]:
    ids, texts = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if "\t" not in line:
            raise UserError(f"{path}:{n}: expected ID<TAB>sentence")
        i, t = line.split("\t", 1)
        ids.append(i)
        texts.append(t)
    return ids, texts


def splits_in(data_dir: str | Path, pair: str) -> list[str]:
    src = pair.split("-")[0]
    found = {p.name[len(pair) + 1 : -len(src) - 1] for p in Path(data_dir).glob(f"{pair}.*.{src}")}
    return [s for s in SPLIT_ORDER if s in found] + sorted(found - set(SPLIT_ORDER))


def load_split(data_dir: str | Path, pair: str, split: str) -> BuccSplit:
    src, tgt = pair.split("-")
    base = Path(data_dir) / f"{pair}.{split}"
    sf, tf, gf = (base.with_name(f"{base.name}.{x}") for x in (src, tgt, "gold"))
    for f in (sf, tf):
        if not f.is_file():
            raise UserError(f"{f}: missing; the BUCC layout needs {pair}.{split}.{src}, .{tgt} and (for scoring) .gold "
                            f"(splits found: {', '.join(splits_in(data_dir, pair)) or 'none'})")
    s_ids, s_text = _read_tsv(sf)
    t_ids, t_text = _read_tsv(tf)
    gold = None
    if gf.is_file():
        gold = {tuple(line.split("\t")[:2]) for line in gf.read_text(encoding="utf-8").splitlines() if line.strip()}
    return BuccSplit(split, s_ids, s_text, t_ids, t_text, gold)


def mine_split(split: BuccSplit, src_emb: np.ndarray, tgt_emb: np.ndarray, k: int = 4, margin: str = "ratio",
               mode: str = "max") -> tuple[list[tuple[str, str]], np.ndarray]:
    """All candidate id pairs of the split with their margin scores (no threshold), best first."""
    from ..mining.mine import mine_embeddings

    s, t, scores = mine_embeddings(l2_normalize(src_emb), l2_normalize(tgt_emb), k=k, margin=margin, mode=mode)
    return [(split.src_ids[i], split.tgt_ids[j]) for i, j in zip(s.tolist(), t.tolist())], scores


def choose_splits(available_gold: list[str], tune: str | None, evaluate: str | None) -> tuple[str, str, bool]:
    """(tune split, eval split, oracle?) following LASER/XTREME: tune on one split with gold, report on
    another; with only one split with gold, tune and report on it and call it ``oracle``."""
    if tune and evaluate:
        return tune, evaluate, tune == evaluate
    if not available_gold:
        raise UserError("no split has a .gold file; BUCC scoring needs gold pairs")
    if evaluate and not tune:
        others = [s for s in available_gold if s != evaluate]
        return (others[0] if others else evaluate), evaluate, not others
    if tune and not evaluate:
        others = [s for s in available_gold if s != tune]
        return tune, (others[0] if others else tune), not others
    if len(available_gold) == 1:
        return available_gold[0], available_gold[0], True
    return available_gold[0], available_gold[1], False
