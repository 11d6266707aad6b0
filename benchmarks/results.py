"""Append a measured table to RESULTS.md with the machine and the command that made it."""
from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def machine() -> str:
    try:
        import torch

        threads = f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        threads = ""
    return f"{platform.machine()}, {os.cpu_count()} cores{threads}, {time.strftime('%Y-%m-%d')}"


def append_results(title: str, description: str, table: str, path: str | Path = RESULTS) -> None:
    command = "python " + " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:])
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"\n## {title}\n\n{machine()}. {description}\nCommand: `{command}`\n\n{table}\n")
