"""The training loop: data → tokenizer → EMS objective → checkpoints → exported model directory.

Single process on CPU or one GPU; several GPUs with ``torchrun --nproc-per-node N -m ems_mine.cli train …``
(DDP; each process takes every N-th batch; the contrastive loss gathers negatives across processes).
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import numpy as np
import torch

from ..bench.metrics import nn_accuracy
from ..config import ModelConfig, TrainConfig
from ..data.batching import epoch_batches
from ..data.pairs import TokenizedPairs, scan_pairs, tokenize_pairs
from ..encoder import EMSEncoder, default_device, embed_token_ids
from ..errors import Interrupted, UserError
from ..languages import normalize_lang
from ..precision import autocast
from ..precision import resolve as resolve_precision
from ..tokenizer import Tokenizer, train_tokenizer
from .checkpoint import find_checkpoint, load_checkpoint, save_checkpoint, warm_start
from .freeze import Freezer, frozen_rows, given_rows, load_rows, save_rows
from .objective import EMSObjective
from .teacher_targets import load_teacher_targets

CALIBRATION_STEPS = 10  # steps timed to size the schedule of a --max-minutes run
WARMUP_STEPS_UNTIMED = 5


def lr_factor(step: int, schedule_steps: int, warmup_steps: int) -> float:
    """Linear warm-up to 1, then cosine decay to 0 at ``schedule_steps``."""
    warmup = max(1, min(warmup_steps, schedule_steps // 10))
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, schedule_steps - warmup))
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def retrieval_accuracy(model, pairs: TokenizedPairs, rows: np.ndarray) -> float:
    """Mean of src→tgt and tgt→src nearest-neighbour (cosine) accuracy on ``rows``."""
    a = embed_token_ids(model, pairs.side("src", rows), 128)
    b = embed_token_ids(model, pairs.side("tgt", rows), 128)
    return float(np.mean(nn_accuracy(a, b)))


def _make_optimizer(model: torch.nn.Module, tcfg: TrainConfig) -> torch.optim.Optimizer:
    decay = [p for p in model.parameters() if p.ndim >= 2]
    rest = [p for p in model.parameters() if p.ndim < 2]
    groups = [{"params": decay, "weight_decay": tcfg.weight_decay}, {"params": rest, "weight_decay": 0.0}]
    if tcfg.optimizer == "amsgrad":  # the paper's: Adam with AMSGrad and coupled L2
        return torch.optim.Adam(groups, lr=tcfg.lr, amsgrad=True)
    return torch.optim.AdamW(groups, lr=tcfg.lr, betas=(0.9, 0.98), eps=1e-6)


def _dist_setup() -> tuple[int, int, str | None]:
    """(rank, world_size, device) from torchrun's environment; (0, 1, None) when not distributed."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1, None
    import torch.distributed as dist

    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local)
    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world, f"cuda:{local}" if torch.cuda.is_available() else "cpu"


def _barrier(world: int) -> None:
    if world > 1:
        import torch.distributed as dist

        dist.barrier()


@dataclasses.dataclass
class _Data:
    model_cfg: ModelConfig
    tokenizer: Tokenizer
    pairs: TokenizedPairs
    val_rows: np.ndarray
    train_rows: np.ndarray
    lengths: np.ndarray
    steps_per_epoch: int
    teacher: np.ndarray | None = None       # (U, Dt) teacher embeddings of English sentences
    teacher_row: np.ndarray | None = None   # (N,) row of pair i's target in teacher, −1 for none
    new_rows: list | None = None            # vocabulary extension: old token ids behind each added token


def _prepare_data(train_path, out: Path, model_cfg: ModelConfig, tcfg: TrainConfig, resume: bool, rank: int,
                  world: int, log, min_score: float | None = None, extend_vocab: int = 0) -> _Data:
    """Scan the pairs, train the tokenizer (rank 0, new runs only), tokenise, hold out validation pairs."""
    languages, sample, n_pairs = scan_pairs(train_path, per_lang_cap=tcfg.tokenizer_sample, min_score=min_score)
    given = given_rows(tcfg.freeze_rows, model_cfg.vocab_size) if tcfg.freeze_rows and not resume else None
    if tcfg.init and model_cfg.languages:   # a continuation keeps its languages' order and adds the new ones
        languages = tuple(model_cfg.languages) + tuple(x for x in languages if x not in model_cfg.languages)
    tok_file = out / "tokenizer.model"
    given_tokenizer = str(Path(tcfg.init) / "tokenizer.model") if tcfg.init else tcfg.tokenizer
    if rank == 0 and not resume and given_tokenizer:
        if not Path(given_tokenizer).is_file():
            raise UserError(f"{given_tokenizer}: no such SentencePiece model; check init= / tokenizer=")
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(given_tokenizer, tok_file)
    elif rank == 0 and not resume:
        log.say(f"{n_pairs} pairs in {len(languages)} languages; training the tokenizer")
        train_tokenizer(sample, tok_file, model_cfg.vocab_size, tcfg.tokenizer_sample, tcfg.lang_temperature, tcfg.seed)
    new_rows = None
    if extend_vocab and not resume:
        new_rows = _extend_vocabulary(tok_file, sample, model_cfg.languages, extend_vocab, log) if rank == 0 else None
    _barrier(world)
    tokenizer = Tokenizer(tok_file, model_cfg.max_len)
    if tcfg.freeze_init and not resume and rank == 0:
        if given is not None:         # checked before anything is written
            rows = given
            why = f"those {tcfg.freeze_rows} leaves free"
        else:                         # every piece the encoder embeds (windows), not only the first max_len
            named = {normalize_lang(c) for c in tcfg.freeze_except.split(",") if c.strip()}
            free = {lang for lang in sample if lang not in model_cfg.languages or lang in named}
            kept = [t for lang, texts in sample.items() if lang not in free for t in texts[:20_000]]
            rows = frozen_rows(model_cfg.vocab_size, tokenizer.windows(kept).ids,
                               tokenizer.windows([t for lang in free for t in sample[lang]]).ids)
            why = f"pieces of {', '.join(sorted(free))} that {len(kept):,} sentences of its other languages do not use"
        save_rows(out, rows)
        log.say(f"freeze_init: {model_cfg.vocab_size - len(rows):,} of the init model's {model_cfg.vocab_size:,} token "
                f"rows train ({why}), with the added ones; every other weight stays")
    if tcfg.freeze_init:
        _barrier(world)
    del sample
    if not resume:
        model_cfg = dataclasses.replace(model_cfg, vocab_size=tokenizer.vocab_size, languages=languages)
    pairs = tokenize_pairs(train_path, tokenizer, model_cfg.languages, min_score=min_score)
    perm = np.random.default_rng(tcfg.seed).permutation(len(pairs))
    n_val = min(tcfg.val_pairs, len(pairs) // 10)
    val_rows, train_rows = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    train_rows = _without_copies_of(pairs, train_rows, val_rows)
    lengths = pairs.lengths()
    steps_per_epoch = len(epoch_batches(lengths, train_rows, tcfg.batch_size, tcfg.seed, 0)) // world
    if steps_per_epoch == 0:
        raise UserError(f"{train_path}: {len(train_rows)} training pairs is fewer than one batch of "
                        f"{tcfg.batch_size} per process; lower --set batch_size")
    teacher = teacher_row = None
    if tcfg.distill_weight > 0:
        teacher, teacher_row = load_teacher_targets(tcfg.teacher_targets, train_path)
        log.say(f"distillation targets for {np.mean(teacher_row >= 0):.1%} of the pairs from {tcfg.teacher_targets}")
    return _Data(model_cfg, tokenizer, pairs, val_rows, train_rows, lengths, steps_per_epoch, teacher, teacher_row, new_rows)


def _extend_vocabulary(tok_file: Path, sample: dict[str, list[str]], old_langs, n: int, log) -> list[list[int]]:
    """Extend the copied init tokenizer in place with up to ``n`` pieces of the new languages' text; returns the
    old ids behind each added piece (for its embedding row)."""
    from ..tokenizer_extend import decomposition, extend

    new_texts = [t for lang, texts in sample.items() if lang not in old_langs for t in texts]
    reference = [t for lang, texts in sample.items() if lang in old_langs for t in texts[:20_000]]
    if not new_texts:
        raise UserError("--extend-vocab: the training pairs have no language the init model lacks; nothing to learn pieces from")
    old = tok_file.with_name("tokenizer.before-extension.model")
    shutil.copyfile(tok_file, old)
    added = extend(old, new_texts, n, reference, tok_file)
    log.say(f"vocabulary extended by {len(added)} pieces (of {n} asked) learnt on {len(new_texts):,} sentences; "
            f"{len(reference):,} sentences of the model's languages tokenise as before")
    return decomposition(old, added)


def train(train_path: str | Path, out_dir: str | Path, model_cfg: ModelConfig | None, tcfg: TrainConfig | None,
          max_steps: int | None = None, max_minutes: float | None = None, resume: bool = False,
          stop_after_steps: int | None = None, progress: bool = True, device: str | None = None,
          min_score: float | None = None, extend_vocab: int = 0) -> Path:
    """Train an EMS encoder on the pairs at ``train_path``; the model directory is ``out_dir``.

    ``max_steps`` fixes the schedule length (default: ``epochs`` over the data; with only
    ``max_minutes``, the length is sized from the first steps' speed so the schedule ends in time).
    ``stop_after_steps`` stops early (as an interruption would) with a resumable checkpoint.
    ``min_score`` keeps only mined pairs scoring at least that. With ``resume`` the configs come from the run.
    """
    t_start, c_start = time.monotonic(), time.process_time()
    out = Path(out_dir)
    ckpt_dir, run_file = out / "checkpoint", out / "run.json"
    if resume:
        if find_checkpoint(ckpt_dir) is None:
            raise UserError(f"{out}: no checkpoint to resume; run without --resume to start training")
        try:
            run = json.loads(run_file.read_text())
        except (OSError, ValueError):
            raise UserError(f"{run_file}: missing or damaged; the run cannot be resumed — start it again in a new "
                            "directory") from None
        model_cfg, tcfg = ModelConfig.from_dict(run["model"]), TrainConfig(**run["train"])
        max_steps = max_steps or run["max_steps"]
        train_path, min_score = run.get("train_path", train_path), run.get("min_score")
    elif ckpt_dir.exists() or (out / "model.safetensors").exists() or find_checkpoint(ckpt_dir) is not None:
        raise UserError(f"{out}: holds a training run already; pass --resume to continue it or choose another --output")

    rank, world, dist_device = _dist_setup()
    device = dist_device or device or default_device()
    torch.manual_seed(tcfg.seed)
    log = _Log(out / "train_log.jsonl", enabled=rank == 0, progress=progress)

    data = _prepare_data(train_path, out, model_cfg, tcfg, resume, rank, world, log, min_score, extend_vocab)
    model_cfg, tokenizer, pairs = data.model_cfg, data.tokenizer, data.pairs
    val_rows, train_rows, lengths, steps_per_epoch = data.val_rows, data.train_rows, data.lengths, data.steps_per_epoch
    n_val = len(val_rows)

    teacher_dim = 0 if data.teacher is None else data.teacher.shape[1]
    objective = EMSObjective(model_cfg, tcfg, teacher_dim).to(device)
    optimizer = _make_optimizer(objective, tcfg)
    state = {"step": 0, "schedule_steps": max_steps or (None if max_minutes else tcfg.epochs * steps_per_epoch)}
    if resume:
        state = load_checkpoint(ckpt_dir, objective, optimizer)
        log.say(f"resumed at step {state['step']}")
    else:
        if tcfg.init:
            log.say(f"encoder starts from {tcfg.init}: {warm_start(objective.encoder, tcfg.init, data.new_rows)}")
        out.mkdir(parents=True, exist_ok=True)
        if rank == 0:
            run_file.write_text(json.dumps({"train_path": str(train_path), "model": model_cfg.to_dict(),
                                            "train": dataclasses.asdict(tcfg), "max_steps": max_steps,
                                            "min_score": min_score, "extend_vocab": extend_vocab}, indent=2))
    freezer = Freezer(objective.encoder, load_rows(out)) if tcfg.freeze_init else None
    model = objective
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(objective, device_ids=[device] if device.startswith("cuda") else None)
    precision = resolve_precision(tcfg.precision, device)
    log.say(f"training on {device} in {precision}")
    deadline = t_start + max_minutes * 60 if max_minutes else math.inf
    epoch_cache: dict[int, list[np.ndarray]] = {}
    step0, t_loop, t_calib = state["step"], time.monotonic(), time.monotonic()
    bar = log.bar(total=state["schedule_steps"], initial=state["step"])
    model.train()
    previous_sigterm = _sigterm_as_interrupt()
    try:
        while state["schedule_steps"] is None or state["step"] < state["schedule_steps"]:
            step = state["step"]
            epoch, pos = divmod(step, steps_per_epoch)
            if epoch not in epoch_cache:
                epoch_cache = {epoch: epoch_batches(lengths, train_rows, tcfg.batch_size, tcfg.seed, epoch)}
            rows = epoch_cache[epoch][pos * world + rank]
            lr = tcfg.lr * lr_factor(step, state["schedule_steps"] or 10**9, tcfg.warmup_steps)
            for g in optimizer.param_groups:
                g["lr"] = lr
            with autocast(precision, device):
                losses = model(pairs.side("src", rows), pairs.side("tgt", rows),
                               torch.as_tensor(pairs.src_lang[rows], dtype=torch.long, device=device),
                               torch.as_tensor(pairs.tgt_lang[rows], dtype=torch.long, device=device),
                               *_teacher_batch(data, rows, device))
            optimizer.zero_grad(set_to_none=True)
            losses["loss"].backward()
            if tcfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(objective.parameters(), tcfg.grad_clip)
            optimizer.step()
            if freezer is not None:
                freezer.restore()
            state["step"] = step = step + 1
            rate = (step - step0) * tcfg.batch_size * world / max(1e-9, time.monotonic() - t_loop)
            bar.update(1, **{k: v.item() for k, v in losses.items()}, pairs_s=rate)
            if state["schedule_steps"] is None and step - step0 == WARMUP_STEPS_UNTIMED:
                t_calib = time.monotonic()  # the first steps are slow (allocation, caches): not timed
            if state["schedule_steps"] is None and step - step0 == WARMUP_STEPS_UNTIMED + CALIBRATION_STEPS:
                per_step = (time.monotonic() - t_calib) / CALIBRATION_STEPS
                state["schedule_steps"] = step + max(1, int(0.97 * (deadline - time.monotonic()) / per_step))
                bar.set_total(state["schedule_steps"])
            if step % tcfg.val_every == 0 and rank == 0 and n_val:
                log.record(step=step, lr=lr, val_accuracy=retrieval_accuracy(objective.encoder, pairs, val_rows),
                           **{k: v.item() for k, v in losses.items()})
            if step % tcfg.ckpt_every == 0 and rank == 0:
                save_checkpoint(ckpt_dir, objective, optimizer, _with_minutes(state, t_start, c_start))
            if time.monotonic() > deadline or (stop_after_steps is not None and step >= stop_after_steps):
                break
    except KeyboardInterrupt:
        if rank == 0:
            save_checkpoint(ckpt_dir, objective, optimizer, _with_minutes(state, t_start, c_start))
        raise Interrupted(f"at step {state['step']}; checkpoint saved in {ckpt_dir}: "
                          "run the same command with --resume to continue") from None
    finally:
        bar.close()
        if previous_sigterm is not None:
            signal.signal(signal.SIGTERM, previous_sigterm)
    if state["schedule_steps"] is None:  # the time ran out before the schedule was sized
        state["schedule_steps"] = state["step"]
    if rank == 0:
        acc = retrieval_accuracy(objective.encoder, pairs, val_rows) if n_val else float("nan")
        log.record(step=state["step"], val_accuracy=acc, final=True)
        state = _with_minutes(state, t_start, c_start)  # over all resumed parts
        info = {"steps": state["step"], "schedule_steps": state["schedule_steps"], "pairs": len(pairs),
                "val_pairs": int(n_val), "val_accuracy": acc, "minutes": state["minutes"],
                "cpu_minutes": state["cpu_minutes"], "precision": precision, "device": device, "world_size": world,
                "threads": torch.get_num_threads(), "cpus": os.cpu_count(),
                "train": dataclasses.asdict(tcfg)}
        save_checkpoint(ckpt_dir, objective, optimizer, state)
        encoder = EMSEncoder(objective.encoder, tokenizer)
        encoder.save_pretrained(out, card=_training_card(model_cfg, info, train_path), objective=objective_settings(tcfg))
        (out / "training.json").write_text(json.dumps(info, indent=2))
        log.say(f"model written to {out}")
    _barrier(world)
    return out


OBJECTIVE_FIELDS = ("xtr_weight", "contrastive_weight", "temperature", "xtr_softmax", "mask_duplicates", "batch_size",
                    "lr", "optimizer", "weight_decay", "grad_clip", "warmup_steps", "precision")


def objective_settings(tcfg: TrainConfig) -> dict:
    """The training settings a continuation (``--init``) starts from, saved in the model's config.json."""
    return {k: getattr(tcfg, k) for k in OBJECTIVE_FIELDS}


def _without_copies_of(pairs: TokenizedPairs, rows: np.ndarray, held_out: np.ndarray) -> np.ndarray:
    """``rows`` less any pair whose source sentence is also a held-out one (a re-weighted corpus repeats rows)."""
    if len(held_out) == 0:
        return rows
    key = {s.tobytes() for s in pairs.side("src", held_out)}
    return np.array([r for r, s in zip(rows, pairs.side("src", rows)) if s.tobytes() not in key], dtype=rows.dtype)


def _teacher_batch(data: _Data, rows: np.ndarray, device: str) -> tuple:
    """(targets (B, Dt), has_target (B,) bool) for the batch, or () without distillation."""
    if data.teacher is None:
        return ()
    idx = data.teacher_row[rows]                                           # (B,)
    has = idx >= 0
    targets = data.teacher[np.where(has, idx, 0)]                          # (B, Dt)
    return torch.from_numpy(targets).to(device), torch.from_numpy(has).to(device)


def _with_minutes(state: dict, t_start: float, c_start: float) -> dict:
    """The state with this part's wall time and process CPU time added to those of earlier (resumed) parts."""
    return {**state, "minutes": state.get("minutes", 0.0) + (time.monotonic() - t_start) / 60,
            "cpu_minutes": state.get("cpu_minutes", 0.0) + (time.process_time() - c_start) / 60}


def _sigterm_as_interrupt():
    """Treat SIGTERM (a cluster ending the job) like Ctrl-C, so a checkpoint is saved; returns the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, handler)


class _Log:
    """Progress bar on stderr and a JSON-lines log of validation results."""

    def __init__(self, path: Path, enabled: bool, progress: bool):
        self.path, self.enabled, self.progress = path, enabled, progress and enabled

    def say(self, msg: str) -> None:
        if self.enabled:
            from tqdm.auto import tqdm

            tqdm.write(msg)

    def record(self, **fields) -> None:
        if self.enabled:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a") as f:
                f.write(json.dumps(fields) + "\n")
            if "val_accuracy" in fields:
                self.say(f"step {fields['step']}: held-out retrieval accuracy {fields['val_accuracy']:.3f}")

    def bar(self, total: int | None, initial: int) -> "_Bar":
        return _Bar(total, initial, self.progress)


class _Bar:
    def __init__(self, total: int | None, initial: int, enabled: bool):
        from tqdm.auto import tqdm

        self.tq = tqdm(total=total, initial=initial, desc="train", unit="step", disable=not enabled, dynamic_ncols=True)

    def update(self, n: int, **stats: float) -> None:
        self.tq.set_postfix({k: f"{v:.3g}" for k, v in stats.items()}, refresh=False)
        self.tq.update(n)

    def set_total(self, total: int) -> None:
        self.tq.total = total
        self.tq.refresh()

    def close(self) -> None:
        self.tq.close()


def _training_card(cfg: ModelConfig, info: dict, train_path) -> str:
    return (f"# EMS sentence encoder\n\nTrained by `ems-mine train` on `{train_path}` "
            f"({info['pairs']} pairs, {len(cfg.languages)} languages).\n\n"
            f"- Shape: {cfg.describe()}; embedding dimension {cfg.d_model}.\n"
            f"- Training: {info['steps']} steps of {info['train']['batch_size']} pairs, {info['minutes']:.1f} min "
            f"on {info['device']} (world size {info['world_size']}).\n"
            f"- Held-out retrieval accuracy ({info['val_pairs']} pairs, mean of both directions): "
            f"{info['val_accuracy']:.3f}\n- Languages: {', '.join(cfg.languages)}\n")
