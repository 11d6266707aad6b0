"""Executors schedule the mining stages (embed, kNN) and never change what they compute: the same job on any
executor writes byte-identical output. Stages know nothing of executors (datatrove's rule)."""
from __future__ import annotations

from ..errors import UserError

EXECUTORS = ("local", "ray")


def get_executor(name: str = "local", ray_address: str | None = None, workers: int | None = None):
    if name == "local":
        if ray_address:
            raise UserError("--ray-address needs --executor ray")
        from .local import LocalExecutor

        return LocalExecutor(workers)
    if name == "ray":
        from .ray import RayExecutor

        return RayExecutor(ray_address)
    raise UserError(f"--executor {name!r}: choose one of {', '.join(EXECUTORS)}")
