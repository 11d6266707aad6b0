"""``ems-mine train``: a new model from a preset, or ``--init MODEL`` to continue one with its own architecture,
tokenizer and objective (``--set`` may change training settings, never the shape), optionally mixed with a replay
sample of the model's original pairs so it does not forget them."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ..config import PRESETS, ModelConfig, TrainConfig, apply_overrides, split_overrides
from ..errors import UserError

CHANGEABLE_ON_INIT = ("dropout",)     # model fields a continuation may change (the rest is the architecture)


def init_configs(init: str, model_over: dict[str, str], train_over: dict[str, str]) -> tuple[Path, ModelConfig, TrainConfig]:
    """The init model's ModelConfig and training objective, with the allowed overrides applied."""
    from ..encoders import resolve_model_dir

    path = resolve_model_dir(init)
    cfg_file = path / "config.json"
    if not cfg_file.is_file():
        raise UserError(f"--init {init}: not an ems-mine model directory (no config.json); pass a directory written "
                        "by `ems-mine train` or a bundled model name such as default")
    try:
        meta = json.loads(cfg_file.read_text(encoding="utf-8"))
        model_cfg = ModelConfig.from_dict(meta["model"])
    except (ValueError, KeyError, TypeError) as e:
        raise UserError(f"{cfg_file}: not a valid ems-mine model config ({e}); the directory is damaged") from None
    for key, value in model_over.items():
        if key in CHANGEABLE_ON_INIT:
            continue
        current = getattr(model_cfg, key)
        try:
            same = apply_overrides(model_cfg, {key: value}) == model_cfg
        except UserError:
            same = False
        if not same:
            raise UserError(f"--set {key}={value}: the init model has {key}={current}; --init continues a model with its "
                            "own architecture (train a new model with --preset to change it)")
    model_cfg = apply_overrides(model_cfg, {k: v for k, v in model_over.items() if k in CHANGEABLE_ON_INIT})
    objective = {k: v for k, v in meta.get("objective", {}).items() if k in {f.name for f in dataclasses.fields(TrainConfig)}}
    tcfg = apply_overrides(TrainConfig(**{**objective, "tokenizer": "", "init": str(path), "teacher_targets": "",
                                          "distill_weight": 0.0}), train_over)
    return path, model_cfg, dataclasses.replace(tcfg, init=str(path))


def replay_mix(new: str, replay_data: str, ratio: float, min_score: float | None, out: Path, seed: int) -> Path:
    """``new`` pairs plus ``ratio`` × as many pairs sampled from ``replay_data``, as one training file."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..data.pairs import COLUMNS, iter_pair_batches
    from ..io_utils import atomic_path

    def table(spec, score=None):
        parts = [pa.table(cols) for _, cols in iter_pair_batches(spec, min_score=score)]
        if not parts:
            raise UserError(f"{spec}: no pairs")
        return pa.concat_tables(parts).select(list(COLUMNS))

    fresh, old = table(new, min_score), table(replay_data)
    want = int(round(ratio * fresh.num_rows))
    rng = np.random.default_rng(seed)
    pick = rng.choice(old.num_rows, size=want, replace=want > old.num_rows)
    mixed = pa.concat_tables([fresh, old.take(pa.array(np.sort(pick)))])
    target = out / "train-mix.parquet"
    with atomic_path(target) as tmp:
        pq.write_table(mixed, tmp)
    return target


def train_command(train_path, output, preset, init, overrides, min_score, replay, replay_data, extend_vocab,
                  max_steps, max_minutes, resume, device, quiet) -> None:
    from .trainer import train as run_train

    model_over, train_over = split_overrides(overrides)
    if init and preset:
        raise UserError("--preset sizes a new model; --init continues a model with its own size: give one of them")
    if (replay is None) != (replay_data is None):
        raise UserError("--replay R needs --replay-data PAIRS (the init model's training pairs), and the reverse")
    if replay is not None and (replay < 0 or not init):
        raise UserError("--replay takes a ratio ≥ 0 and goes with --init")
    if extend_vocab and not init:
        raise UserError("--extend-vocab N adds pieces to an existing model's tokenizer: give --init MODEL")
    if extend_vocab < 0:
        raise UserError(f"--extend-vocab {extend_vocab}: give a number of pieces ≥ 0")
    if resume:
        run_train(train_path, output, None, None, max_steps=max_steps, max_minutes=max_minutes, resume=True,
                  device=device, progress=not quiet)
        return
    if init:
        _, model_cfg, tcfg = init_configs(init, model_over, train_over)
    else:
        if (preset or "ems-mini") not in PRESETS:
            raise UserError(f"--preset {preset}: choose one of {', '.join(PRESETS)}")
        model_cfg = apply_overrides(PRESETS[preset or "ems-mini"], model_over)
        tcfg = apply_overrides(TrainConfig(), train_over)
    data = train_path
    if replay is not None:
        out = Path(output)
        if (out / "checkpoint").exists() or (out / "model.safetensors").exists():
            raise UserError(f"{out}: holds a training run already; pass --resume to continue it or choose another --output")
        out.mkdir(parents=True, exist_ok=True)
        data, min_score = str(replay_mix(train_path, replay_data, replay, min_score, out, tcfg.seed)), None
    run_train(data, output, model_cfg, tcfg, max_steps=max_steps, max_minutes=max_minutes, device=device,
              progress=not quiet, min_score=min_score, extend_vocab=extend_vocab)
