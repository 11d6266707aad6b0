"""Frozen configs: the one source of truth for model shape and training settings."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .errors import UserError


@dataclass(frozen=True)
class ModelConfig:
    """Shape of an EMS encoder and its training heads (``../shared/docs/ems-method.md`` §1)."""

    vocab_size: int = 60000
    max_len: int = 120          # tokens per sentence; longer inputs are truncated
    n_layers: int = 6
    d_model: int = 1024
    n_heads: int = 16
    d_ffn: int = 4096
    dropout: float = 0.1
    lang_dim: int = 128         # XTR head: embedding of the other side's language
    proj_dim: int = 128         # contrastive projection output
    xtr_tied: bool = False      # XTR's output layer is the token embedding (the paper's share_emb ablation)
    languages: tuple[str, ...] = ()  # canonical codes, index = language id of the XTR head

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            raise UserError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}")
        object.__setattr__(self, "languages", tuple(self.languages))

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "languages": list(self.languages)}

    def describe(self) -> str:
        """The shape in words, for model cards."""
        if self.n_layers == 0:
            body = "no Transformer layers: the mean of layer-normalised token + position embeddings"
        else:
            body = f"{self.n_layers} layers, {self.n_heads} heads, FFN {self.d_ffn}"
        return f"{body}, d_model {self.d_model}, vocabulary {self.vocab_size}, max {self.max_len} tokens"

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


PRESETS: dict[str, ModelConfig] = {
    # The paper's model: 6 layers, 1024 hidden, 16 heads, 4096 FFN, 60k vocabulary, 120 tokens.
    "ems-base": ModelConfig(),
    # Sizes that train on a CPU.
    "ems-small": ModelConfig(vocab_size=32000, max_len=96, n_layers=4, d_model=512, n_heads=8, d_ffn=2048),
    "ems-mini": ModelConfig(vocab_size=16000, max_len=80, n_layers=4, d_model=256, n_heads=4, d_ffn=1024),
    "ems-tiny": ModelConfig(vocab_size=4000, max_len=64, n_layers=2, d_model=128, n_heads=4, d_ffn=512),
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run besides the data and the model shape."""

    batch_size: int = 128            # pairs per step (per process under DDP)
    lr: float = 5e-4
    warmup_steps: int = 500
    weight_decay: float = 0.01
    optimizer: str = "adamw"         # "adamw" or "amsgrad" (the paper's Adam with AMSGrad, coupled L2)
    grad_clip: float = 1.0           # 0 disables
    epochs: int = 15                 # sets the schedule length when max_steps is not given
    xtr_weight: float = 1.0          # 0 switches XTR off
    contrastive_weight: float = 2.0  # 0 switches the contrastive loss off
    temperature: float = 0.1
    val_pairs: int = 500             # held out from the training data for retrieval accuracy
    val_every: int = 500             # steps
    ckpt_every: int = 200            # steps
    seed: int = 0
    tokenizer_sample: int = 300_000  # sentences fed to SentencePiece
    tokenizer: str = ""              # an existing SentencePiece model to use instead of training one
    lang_temperature: float = 5.0    # language balancing of the tokenizer sample
    distill_weight: float = 0.0      # > 0 adds distillation towards teacher_targets (losses/distill.py)
    teacher_targets: str = ""        # Parquet from pipelines/teacher_targets.py
    init: str = ""                   # a model directory to start from: its tokenizer and encoder weights
    freeze_init: bool = False        # with init: its weights stay fixed but the embedding rows its languages never use
    freeze_except: str = ""          # with freeze_init: languages (comma-separated) whose pieces may move all the same
    freeze_rows: str = ""            # with freeze_init: keep exactly the rows of this frozen_rows.npy (an earlier run's)
    xtr_softmax: str = "batch"       # "batch": XTR's softmax over the batch's tokens; "full": over the vocabulary
    mask_duplicates: bool = True     # leave copies of a pair's sentences out of its contrastive negatives
    precision: str = "auto"          # "auto": bf16 autocast where the hardware is fast at it (GPU, AVX512-BF16/AMX CPU)

    def __post_init__(self) -> None:
        if self.optimizer not in ("adamw", "amsgrad"):
            raise UserError(f"optimizer={self.optimizer!r}: choose 'adamw' or 'amsgrad'")
        if self.xtr_weight <= 0 and self.contrastive_weight <= 0:
            raise UserError("both losses are switched off: set xtr_weight or contrastive_weight above 0")
        if self.distill_weight > 0 and not self.teacher_targets:
            raise UserError("distill_weight > 0 needs teacher_targets=FILE (made by pipelines/teacher_targets.py)")
        if self.xtr_softmax not in ("batch", "full"):
            raise UserError(f"xtr_softmax={self.xtr_softmax!r}: choose 'batch' or 'full'")
        if self.precision not in ("auto", "bf16", "fp32"):
            raise UserError(f"precision={self.precision!r}: choose 'auto', 'bf16' or 'fp32'")
        if self.freeze_init and not self.init:
            raise UserError("freeze_init=true keeps an init model's weights: give --init MODEL")
        if self.freeze_except and not self.freeze_init:
            raise UserError("freeze_except=LANGS names the languages free to move under freeze_init=true: set both")
        if self.freeze_rows and not self.freeze_init:
            raise UserError("freeze_rows=FILE names the rows kept under freeze_init=true: set both")
        if self.init and self.tokenizer:
            raise UserError("init=DIR brings its own tokenizer: drop tokenizer=FILE")


def apply_overrides(cfg, overrides: dict[str, str]):
    """Return ``cfg`` with ``KEY=VALUE`` strings applied; unknown keys and wrong types are errors."""
    fields = {f.name: f for f in dataclasses.fields(cfg)}
    changes = {}
    for key, text in overrides.items():
        if key not in fields:
            raise UserError(f"unknown setting {key!r}; known: {', '.join(sorted(fields))}")
        kind = type(getattr(cfg, key))
        try:
            changes[key] = kind(text) if kind is not bool else text.lower() in ("1", "true", "yes")
        except ValueError:
            raise UserError(f"setting {key}={text!r}: expected {kind.__name__}") from None
    return dataclasses.replace(cfg, **changes)


def split_overrides(pairs: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Split ``KEY=VALUE`` strings between ModelConfig and TrainConfig fields."""
    model_keys = {f.name for f in dataclasses.fields(ModelConfig)}
    model, train = {}, {}
    for item in pairs:
        if "=" not in item:
            raise UserError(f"--set {item!r}: write KEY=VALUE, e.g. --set d_model=384")
        key, value = item.split("=", 1)
        (model if key in model_keys else train)[key.strip()] = value.strip()
    return model, train


