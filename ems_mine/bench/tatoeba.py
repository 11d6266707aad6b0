"""Tatoeba similarity search (LASER / XTREME protocol, v1 layout ``tatoeba.xxx-eng.{xxx,eng}``)."""
from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from .metrics import nn_accuracy


def load_pair(data_dir: str | Path, lang: str) -> tuple[list[str], list[str]]:
    """(xx sentences, English sentences) of one Tatoeba language, line-aligned."""
    base = Path(data_dir) / f"tatoeba.{lang}-eng"
    xx, en = base.with_name(base.name + f".{lang}"), base.with_name(base.name + ".eng")
    if not xx.is_file() or not en.is_file():
        raise UserError(f"{xx}: Tatoeba files for {lang!r} not found; expected tatoeba.{lang}-eng.{lang} and .eng")
    a = xx.read_text(encoding="utf-8").splitlines()
    b = en.read_text(encoding="utf-8").splitlines()
    if len(a) != len(b):
        raise UserError(f"{xx}: {len(a)} lines but {en.name} has {len(b)}; the files must be line-aligned")
    return a, b


def tatoeba_accuracy(encoder, data_dir: str | Path, lang: str, batch_size: int = 128) -> dict[str, float]:
    """{"xx2en": accuracy, "en2xx": accuracy} for one language (fractions)."""
    xx, en = load_pair(data_dir, lang)
    xx2en, en2xx = nn_accuracy(encoder.encode(xx, batch_size=batch_size), encoder.encode(en, batch_size=batch_size))
    return {"xx2en": xx2en, "en2xx": en2xx}
