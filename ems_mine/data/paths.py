"""Expand a user's input path (a file, a directory of shards or a glob) into sorted file paths."""
from __future__ import annotations

import glob
from pathlib import Path

from ..errors import UserError


def expand_paths(spec: str | Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Files named by ``spec`` whose name ends in one of ``suffixes`` (for directories and globs)."""
    spec = str(spec)
    if any(ch in spec for ch in "*?["):
        files = [Path(p) for p in sorted(glob.glob(spec, recursive=True)) if Path(p).is_file()]
    elif Path(spec).is_dir():
        files = sorted(p for p in Path(spec).rglob("*") if p.is_file() and p.name.endswith(suffixes))
    elif Path(spec).is_file():
        files = [Path(spec)]
    else:
        raise UserError(f"{spec}: no such file or directory; check the path")
    if not files:
        raise UserError(f"{spec}: no input files (looked for {', '.join(suffixes)})")
    return files
