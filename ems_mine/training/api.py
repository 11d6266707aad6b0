"""Training from Python, with the command line's defaults.

>>> import ems_mine
>>> ems_mine.train("pairs.parquet", "runs/mine", preset="ems-tiny", max_minutes=5)            # doctest: +SKIP
>>> ems_mine.train("mined.parquet", "runs/more", init="default", min_score=1.1, max_steps=500)  # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path


def train(pairs: str | Path, output: str | Path, *, preset: str | None = None, init: str | None = None,
          settings: dict | None = None, min_score: float | None = None, replay: float | None = None,
          replay_data: str | None = None, extend_vocab: int = 0, max_steps: int | None = None, max_minutes: float | None = None,
          resume: bool = False, device: str | None = None, progress: bool = True) -> Path:
    """Train a new EMS encoder (``preset``) or continue one (``init``: a directory or a bundled name) on ``pairs``
    (Parquet with ``src_lang, src, tgt_lang, tgt``, or mined output); ``settings`` are ``--set`` KEY=VALUE pairs.
    Returns the model directory, ready for ``EMSEncoder.from_pretrained``."""
    from .commands import train_command

    overrides = tuple(f"{k}={v}" for k, v in (settings or {}).items())
    train_command(str(pairs), str(output), preset, init, overrides, min_score, replay, replay_data, extend_vocab, max_steps,
                  max_minutes, resume, device, not progress)
    return Path(output)
