"""Which low precision is fast where: bf16 on GPUs that support it and on CPUs with AVX512-BF16 or AMX;
fp32 everywhere else. fp16 is never used on a CPU (about 1 GFLOP/s there).

On a CPU without native bf16, torch still runs bf16 matmuls, emulated and far slower than fp32; the
check reads the CPU's flags instead of assuming.
"""
from __future__ import annotations

import contextlib
import functools
import warnings
from pathlib import Path

import torch


@functools.lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """True when the CPU multiplies bf16 natively (x86 ``avx512_bf16`` or ``amx_bf16``, Arm ``bf16``)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(f in flags.split() for f in ("avx512_bf16", "amx_bf16", "bf16"))


def bf16_is_fast(device: str) -> bool:
    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return device == "cpu" and cpu_has_bf16()


def resolve(precision: str, device: str) -> str:
    """"auto" → "bf16" where it is fast, else "fp32"; an explicit "bf16" without hardware support falls back with a warning."""
    if precision == "fp32":
        return "fp32"
    if bf16_is_fast(device):
        return "bf16"
    if precision == "bf16":
        warnings.warn(f"bf16 is not supported natively on {device} (no AVX512-BF16/AMX); training in fp32", stacklevel=2)
    return "fp32"


def autocast(precision: str, device: str):
    """The autocast context for a resolved precision ("bf16" or "fp32") on ``device``."""
    if precision != "bf16":
        return contextlib.nullcontext()
    return torch.autocast("cuda" if device.startswith("cuda") else "cpu", dtype=torch.bfloat16)
