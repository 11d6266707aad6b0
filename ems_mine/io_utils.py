"""Atomic file output: write to a temporary name beside the target, rename when complete.

Temporary names are ``.<name>.tmp-<pid>``; those left behind by a killed process are removed by the next
write to the same target. Without ``overwrite`` the final rename never replaces a file that appeared while
the work was running (it is linked into place, which fails if the name is taken).
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from .errors import UserError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(target: Path) -> None:
    """Delete ``.<name>.tmp-<pid>`` files beside ``target`` whose process is gone."""
    try:
        siblings = list(target.parent.glob(f".{target.name}.tmp-*"))
    except OSError:
        return
    for f in siblings:
        pid = f.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            f.unlink(missing_ok=True)


def check_writable(target: str | os.PathLike, overwrite: bool) -> Path:
    """Fail early (before any expensive work) if ``target`` exists without ``overwrite`` or cannot be written."""
    target = Path(target)
    if target.exists() and not overwrite:
        raise UserError(f"{target}: output exists; pass --overwrite or choose another path")
    if target.is_dir():
        raise UserError(f"{target}: is a directory; name an output file")
    parent = target.parent if str(target.parent) else Path(".")
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise UserError(f"{target}: cannot write in {probe}; choose a writable output directory")
    return target


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path; on success move it onto ``target``, on failure delete it."""
    target = Path(target)
    if target.exists() and not overwrite:
        raise UserError(f"{target}: output exists (it may have appeared while this run was working); pass --overwrite "
                        "or choose another path")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"{target}: cannot create its directory ({e.strerror}); choose a writable path") from None
    remove_stale_temporaries(target)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        if overwrite:
            os.replace(tmp, target)
        else:
            _link_into_place(tmp, target)
    except PermissionError as e:
        raise UserError(f"{target}: cannot write ({e.strerror}); choose a writable output directory") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def _link_into_place(tmp: Path, target: Path) -> None:
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise UserError(f"{target}: appeared while this run was working; pass --overwrite to replace it") from None
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        if target.exists():   # no hard links on this file system: check, then rename
            raise UserError(f"{target}: appeared while this run was working; pass --overwrite to replace it") from None
        os.replace(tmp, target)


def write_json(path: str | os.PathLike, obj: object, overwrite: bool = True) -> None:
    with atomic_path(path, overwrite) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()
