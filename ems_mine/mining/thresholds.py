"""The default mining threshold of a model: calibrated when the model is packaged (``pipelines/calibrate_threshold.py``)
on a constructed BUCC-style set from held-out data, stored in the model directory as ``mining.json``:

    {"threshold": {"ratio": 1.18}, "k": 4, "mode": "max", "calibration": {...how it was measured...}}

A threshold depends on the encoder, the margin and k, so it applies only when those match.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import UserError

FILE = "mining.json"


def model_thresholds(model_dir: str | Path | None) -> dict | None:
    if model_dir is None:
        return None
    f = Path(model_dir) / FILE
    if not f.is_file():
        return None
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
        data["threshold"] = {str(k): float(v) for k, v in data["threshold"].items()}
        return data
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise UserError(f"{f}: not a valid mining.json (a 'threshold' object of margin → number); "
                        "the model directory is damaged — copy it again") from None


def resolve_threshold(wanted, encoder, cfg) -> tuple[float | None, str]:
    """(threshold to use, a line for the summary). ``wanted``: a number, None (keep all) or "model"."""
    if wanted is None:
        return None, "threshold: none (every candidate kept)"
    if isinstance(wanted, float):
        return wanted, f"threshold: {wanted} (given)"
    cal = model_thresholds(getattr(encoder, "model_dir", None)) if encoder is not None else None
    if cal is None:
        return None, ("threshold: none — this model has no calibrated threshold; calibrate one on a labelled set with "
                      "`ems-mine bench bucc` (or build one with `ems-mine bench build-bucc`) and pass --threshold")
    if cfg.margin not in cal["threshold"] or cal.get("k", 4) != cfg.k:
        return None, (f"threshold: none — the model's calibrated threshold is for k={cal.get('k', 4)} and margin "
                      f"{', '.join(cal['threshold'])}; pass --threshold for --k {cfg.k} --margin {cfg.margin}")
    value = cal["threshold"][cfg.margin]
    return value, f"threshold: {value} (the model's calibrated default; --threshold overrides it, 'none' keeps all)"
