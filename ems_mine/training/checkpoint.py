"""Checkpoints without pickle: tensors in safetensors, everything else in JSON.

``DIR/checkpoint/`` holds ``model.safetensors`` (encoder and heads), ``optimizer.safetensors``
(per-parameter state), ``state.json`` (step, schedule, optimizer hyper-parameters) and ``rng.safetensors``.
A new checkpoint is written beside the old one and swapped in, so a kill never leaves a broken one.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch

from ..errors import UserError


def save_checkpoint(ckpt_dir: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, state: dict) -> None:
    from safetensors.torch import save_file

    tmp = ckpt_dir.with_name(ckpt_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, tmp / "model.safetensors")
    opt = optimizer.state_dict()
    tensors = {f"{pid}.{key}": val.detach().cpu().contiguous()
               for pid, st in opt["state"].items() for key, val in st.items()}
    save_file(tensors, tmp / "optimizer.safetensors")
    rng = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state()
    save_file(rng, tmp / "rng.safetensors")
    (tmp / "state.json").write_text(json.dumps({**state, "param_groups": opt["param_groups"]}, indent=2))
    old = ckpt_dir.with_name(ckpt_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if ckpt_dir.exists():
        os.replace(ckpt_dir, old)
    os.replace(tmp, ckpt_dir)
    shutil.rmtree(old, ignore_errors=True)


FILES = ("model.safetensors", "optimizer.safetensors", "rng.safetensors", "state.json")


def find_checkpoint(ckpt_dir: Path) -> Path | None:
    """The newest complete checkpoint: ``checkpoint/``, or — after a kill between the two renames of a save —
    the finished ``checkpoint.tmp/`` or the previous ``checkpoint.old/``."""
    for d in (ckpt_dir, ckpt_dir.with_name(ckpt_dir.name + ".tmp"), ckpt_dir.with_name(ckpt_dir.name + ".old")):
        if all((d / f).is_file() for f in FILES):
            try:
                json.loads((d / "state.json").read_text())
            except (OSError, ValueError):
                continue
            return d
    return None


def load_checkpoint(ckpt_dir: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict:
    """Restore model, optimizer and RNG in place from the newest complete checkpoint; return the training state."""
    found = find_checkpoint(ckpt_dir)
    if found is None:
        raise UserError(f"{ckpt_dir}: no complete checkpoint to resume from")
    try:
        return _load(found, model, optimizer)
    except UserError:
        raise
    except Exception as e:  # noqa: BLE001 - a damaged file: safetensors, JSON or shape errors
        raise UserError(f"{found}: damaged checkpoint ({type(e).__name__}: {str(e).splitlines()[0][:160]}); "
                        "start the run again in a new directory") from None


def _load(ckpt_dir: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict:
    from safetensors.torch import load_file

    state = json.loads((ckpt_dir / "state.json").read_text())
    device = next(model.parameters()).device
    model.load_state_dict(load_file(ckpt_dir / "model.safetensors", device=str(device)))
    flat = load_file(ckpt_dir / "optimizer.safetensors", device=str(device))
    opt_state: dict[int, dict] = {}
    for name, val in flat.items():
        pid, key = name.split(".", 1)
        opt_state.setdefault(int(pid), {})[key] = val.cpu() if key == "step" else val
    groups = state.pop("param_groups")
    for g in groups:
        if "betas" in g:
            g["betas"] = tuple(g["betas"])
    optimizer.load_state_dict({"state": opt_state, "param_groups": groups})
    rng = load_file(ckpt_dir / "rng.safetensors")
    torch.set_rng_state(rng["cpu"])
    if "cuda" in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state(rng["cuda"])
    return state


def warm_start(encoder: torch.nn.Module, model_dir: str | os.PathLike, new_rows: list[list[int]] | None = None) -> str:
    """Copy a model directory's encoder weights into ``encoder``; layers it lacks keep their fresh
    initialisation (a 0-layer first stage grows into a Transformer). ``new_rows``: the vocabulary was extended
    (``tokenizer_extend.py``); each added token's embedding row starts as the mean of these old rows. Returns a
    one-line summary."""
    from safetensors.torch import load_file

    path = Path(model_dir) / "model.safetensors"
    if not path.is_file():
        raise UserError(f"init={model_dir}: no model.safetensors there; pass a directory written by `ems-mine train`")
    own = encoder.state_dict()
    given = load_file(path)
    if new_rows:
        from ..tokenizer_extend import grow_embeddings

        grown = grow_embeddings(given["tok_emb.weight"].float().numpy(), new_rows)
        given["tok_emb.weight"] = torch.from_numpy(grown)
    for name, tensor in given.items():
        if name not in own:
            raise UserError(f"{path}: weight {name!r} has no place in this model; init= needs the same architecture")
        if tensor.shape != own[name].shape:
            raise UserError(f"{path}: {name} is {tuple(tensor.shape)} but this model needs {tuple(own[name].shape)}; "
                            "set d_model, d_ffn, n_heads and max_len as in the init model")
    encoder.load_state_dict({k: v.float() for k, v in given.items()}, strict=False)
    fresh = sorted({int(k.split(".")[2]) for k in own if k not in given and k.startswith("layers.layers.")})
    return (f"{len(given)} tensors loaded" + (f", layers {fresh} fresh" if fresh else "")
            + (f", {len(new_rows)} token rows added" if new_rows else ""))
