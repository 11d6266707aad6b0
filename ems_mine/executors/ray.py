"""Ray executor: the same stages as the local executor, scheduled on a Ray cluster (or a local Ray).

- Embedding: a Ray Data pipeline over the shards still to embed, ``map_batches`` into a pool of encoder actors
  (one GPU each when the cluster has GPUs). Each actor reads its shard with the same reader and chunking as the
  local executor and writes the same cache entry, so the embeddings are identical byte for byte.
- kNN: Ray tasks over (source block × target shard) tiles return the block's approximate forward lists over
  that shard and the shard's approximate backward lists over the block; the driver merges them (score, then
  lower index: order-independent), finalizes each block exactly in a task once all its shards are in, commits
  rounds to the same checkpoint files, and finalizes the backward lists per target shard at the end.

The cache directory (and the output) must be storage every node sees: with ``--ray-address`` the command checks
that each node can read a file written there before starting.
"""
from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np

from ..errors import UserError


def _ray():
    try:
        import ray
    except ImportError:
        raise UserError("--executor ray needs Ray: pip install 'ems-mine[cluster]'") from None
    return ray


class RayExecutor:
    name = "ray"

    def __init__(self, address: str | None = None):
        ray = _ray()
        self.address = address
        if not ray.is_initialized():
            kw = {"address": address} if address else {"num_cpus": None}
            try:
                ray.init(ignore_reinit_error=True, include_dashboard=False, log_to_driver=False,
                         configure_logging=False, **kw)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise UserError(f"--ray-address {address}: cannot join the Ray cluster ({str(e).splitlines()[0]})") from None
        try:
            ray.data.DataContext.get_current().enable_progress_bars = False
        except AttributeError:  # pragma: no cover - older Ray
            pass

    # -- shared storage ----------------------------------------------------------------------------------
    def check_shared(self, directory: Path) -> None:
        """Every node must see ``directory``: a probe file written here is looked for by a task on each node."""
        ray = _ray()
        if not self.address:
            return
        probe = Path(directory) / f".ems-mine-probe-{uuid.uuid4().hex}"
        probe.write_text("ok")
        try:
            nodes = [n for n in ray.nodes() if n.get("Alive")]

            @ray.remote(num_cpus=0)
            def sees(path: str) -> bool:
                return Path(path).is_file()

            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            seen = ray.get([sees.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False))
                            .remote(str(probe)) for n in nodes])
        finally:
            probe.unlink(missing_ok=True)
        if not all(seen):
            raise UserError(f"{directory}: not visible from every Ray node; put --cache-dir and the output on storage all "
                            "nodes share (NFS, a cluster file system)")

    # -- embed -------------------------------------------------------------------------------------------
    def embed(self, tasks, corpus, encoder, batch_size: int, progress: bool = True, desc: str = "embed") -> None:
        if not tasks:
            return
        ray = _ray()
        self.check_shared(tasks[0].npy.parent)
        spec = getattr(encoder, "spec", None) or str(getattr(encoder, "model_dir", "") or "")
        if not spec:
            raise UserError("--executor ray needs a model that loads from a directory or a pypi: name")
        gpus = int(ray.cluster_resources().get("GPU", 0))
        items = [{"task": i} for i in range(len(tasks))]
        ds = ray.data.from_items(items, override_num_blocks=len(items))
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        pool = max(1, min(len(tasks), gpus or int(ray.cluster_resources().get("CPU", 1))))
        out = ds.map_batches(_ShardEncoder, batch_size=1, concurrency=(pool, pool), num_gpus=1 if gpus else 0,
                             fn_constructor_kwargs={"spec": spec, "tasks": tasks, "spec_id": encoder.model_id,
                                                    "batch_size": batch_size, "corpus": corpus})
        done = {int(r["task"]) for r in out.iter_rows()}
        if done != set(range(len(tasks))):
            raise RuntimeError(f"Ray embedded {len(done)} of {len(tasks)} shards")

    # -- kNN ---------------------------------------------------------------------------------------------
    def knn(self, stage, progress: bool = True, desc: str = "kNN"):
        ray = _ray()
        from tqdm.auto import tqdm

        from ..mining.knn import TopK, merge_topk

        plan = stage.plan
        self.check_shared(plan.workdir)
        xp = [str(p) for p in plan.x_paths]
        yp = [str(p) for p in plan.y_paths]
        y_off = stage.y.offsets
        n_shards = len(stage.y.parts)
        K = min(plan.K, len(stage.x))
        saved = stage.col_states(1)[0]
        cols = [TopK(saved.sims[y_off[s]:y_off[s + 1]].copy(), saved.ids[y_off[s]:y_off[s + 1]].copy()) for s in range(n_shards)]
        todo = stage.todo()
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        per_round = max(-(-cpus // n_shards), -(-len(stage.blocks) // 16))   # rounds: the unit of a checkpoint
        with tqdm(total=len(stage.blocks), initial=len(stage.done), desc=desc, unit="block", disable=not progress,
                  dynamic_ncols=True) as bar:
            for r0 in range(0, len(todo), per_round):
                chunk = todo[r0 : r0 + per_round]
                scans = {_scan.remote(xp, yp, stage.blocks[b], s, plan.K, plan.precision): (b, s)
                         for b in chunk for s in range(n_shards)}
                parts: dict[int, list[TopK]] = {b: [] for b in chunk}
                finals = {}
                while scans:
                    ready, _ = ray.wait(list(scans), num_returns=1)
                    b, s = scans.pop(ready[0])
                    rows, col = ray.get(ready[0])
                    cols[s] = merge_topk([cols[s], col], K)
                    parts[b].append(rows)
                    if len(parts[b]) == n_shards:        # every shard in: the block's rows can be made exact
                        approx = merge_topk(parts.pop(b), plan.K)
                        finals[b] = _finalize_rows.remote(xp, yp, stage.blocks[b], approx, plan.k, stage.bound, plan.precision)
                finished = dict(zip(finals, ray.get(list(finals.values()))))
                bar.update(len(finished))
                stage.commit(finished, [TopK(np.concatenate([c.sims for c in cols]), np.concatenate([c.ids for c in cols]))])
        refs = [_finalize_cols.remote(xp, yp, s, cols[s], plan.k, stage.bound, plan.precision, plan.block_rows)
                for s in range(n_shards)]
        outs = ray.get(refs)
        return stage.finish((np.concatenate([o[0] for o in outs]), np.concatenate([o[1] for o in outs])))


class _ShardEncoder:
    """A Ray Data actor: loads the encoder once and embeds whole shards into the shared cache."""

    def __init__(self, spec: str, tasks, spec_id: str, batch_size: int, corpus):
        import torch

        from ..encoders import load_encoder

        torch.set_num_threads(1)
        self.encoder = load_encoder(spec)
        if self.encoder.model_id != spec_id:
            raise RuntimeError(f"the encoder loaded on this node ({self.encoder.model_id}) differs from the driver's ({spec_id})")
        self.tasks, self.batch_size, self.corpus = tasks, batch_size, corpus

    def __call__(self, batch: dict) -> dict:
        from ..mining.embed import embed_shard

        for t in batch["task"]:
            embed_shard(self.tasks[int(t)], self.corpus, self.encoder, self.batch_size)
        return {"task": np.asarray(batch["task"])}


def _remote(fn):
    ray = _ray()
    return ray.remote(num_cpus=1)(fn)


def _stacks(xp, yp):
    from ..mining.knn import Stack

    return Stack([np.load(p, mmap_mode="r") for p in xp]), Stack([np.load(p, mmap_mode="r") for p in yp])


def _scan_impl(xp, yp, block, shard, K, precision):
    import torch

    from ..mining.knn import Stack, TopK, scan_block

    torch.set_num_threads(1)
    x, y = _stacks(xp, yp)
    lo, hi = block
    ys = Stack([y.parts[shard]])
    cols = TopK.empty(len(ys), min(K, len(x)), precision)
    rows = scan_block(np.asarray(x.parts_rows(lo, hi)), lo, ys, K, precision, cols)
    rows.ids += int(y.offsets[shard])
    return rows, cols


def _finalize_rows_impl(xp, yp, block, approx, k, bound, precision):
    import torch

    from ..mining.knn import finalize

    torch.set_num_threads(1)
    x, y = _stacks(xp, yp)
    lo, hi = block
    return finalize(np.asarray(x.parts_rows(lo, hi)), y, approx, k, bound, precision)[:2]


def _finalize_cols_impl(xp, yp, shard, approx, k, bound, precision, rows):
    import torch

    from ..mining.knn import TopK, finalize

    torch.set_num_threads(1)
    x, y = _stacks(xp, yp)
    part = y.parts[shard]
    out = [finalize(np.asarray(part[i : i + rows]), x, TopK(approx.sims[i : i + rows], approx.ids[i : i + rows]),
                    k, bound, precision)[:2] for i in range(0, len(part), rows)]
    return np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out])


class _Lazy:
    """A Ray remote function made on first use (importing this module must not need Ray)."""

    def __init__(self, fn):
        self.fn, self.remote_fn = fn, None

    def remote(self, *args):
        if self.remote_fn is None:
            self.remote_fn = _remote(self.fn)
        return self.remote_fn.remote(*args)


_scan = _Lazy(_scan_impl)
_finalize_rows = _Lazy(_finalize_rows_impl)
_finalize_cols = _Lazy(_finalize_cols_impl)
