"""Tatoeba similarity search (LASER / XTREME protocol, v1 layout ``tatoeba.xxx-eng.{xxx,eng}``):
cosine nearest neighbour over each language's whole set, xx→en and en→xx accuracy."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UserError
from ..vectors import l2_normalize
from .metrics import nn_accuracy

# The 12 Tatoeba languages with the most pairs in the bundled model's training corpus (issue 5's average).
TOP12 = ("deu", "fra", "spa", "por", "ces", "swe", "dan", "hrv", "epo", "cmn", "jpn", "rus")


def available_langs(data_dir: str | Path) -> list[str]:
    return sorted(p.name.split(".")[1].split("-")[0] for p in Path(data_dir).glob("tatoeba.*-eng.eng"))


def load_pair(data_dir: str | Path, lang: str) -> tuple[list[str], list[str]]:
    """(xx sentences, English sentences) of one Tatoeba language, line-aligned."""
    base = Path(data_dir) / f"tatoeba.{lang}-eng"
    xx, en = base.with_name(base.name + f".{lang}"), base.with_name(base.name + ".eng")
    if not xx.is_file() or not en.is_file():
        raise UserError(f"{xx}: Tatoeba files for {lang!r} not found; expected tatoeba.{lang}-eng.{lang} and .eng "
                        f"(available: {', '.join(available_langs(data_dir)) or 'none'})")
    a = xx.read_text(encoding="utf-8").splitlines()
    b = en.read_text(encoding="utf-8").splitlines()
    if len(a) != len(b):
        raise UserError(f"{xx}: {len(a)} lines but {en.name} has {len(b)}; the files must be line-aligned")
    return a, b


def embed_pair(encoder, data_dir: str | Path, lang: str, batch_size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    xx, en = load_pair(data_dir, lang)
    return encoder.encode(xx, batch_size=batch_size), encoder.encode(en, batch_size=batch_size)


def tatoeba_accuracy(encoder, data_dir: str | Path, lang: str, batch_size: int = 128) -> dict[str, float]:
    """{"xx2en": accuracy, "en2xx": accuracy} for one language (fractions)."""
    xx2en, en2xx = nn_accuracy(*embed_pair(encoder, data_dir, lang, batch_size))
    return {"xx2en": xx2en, "en2xx": en2xx}


def gold_and_best_other(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cosine of each gold pair, and of each query's best non-gold candidate (for histograms)."""
    x, y = l2_normalize(x), l2_normalize(y)
    sim = x @ y.T
    gold = np.diag(sim).copy()
    np.fill_diagonal(sim, -np.inf)
    return gold, sim.max(1)
