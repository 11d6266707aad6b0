"""Local executor: the stages in this process, kNN blocks on worker threads (the kernels release the GIL)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int | None = None):
        self.workers = workers

    def _workers(self) -> int:
        import torch

        return max(1, self.workers or torch.get_num_threads())

    def embed(self, tasks, corpus, encoder, batch_size: int, progress: bool = True, desc: str = "embed") -> None:
        from tqdm.auto import tqdm

        from ..mining.embed import embed_shard

        with tqdm(total=sum(t.shard.rows for t in tasks), desc=desc, unit="sent", disable=not progress or not tasks,
                  dynamic_ncols=True) as bar:
            for task in tasks:
                embed_shard(task, corpus, encoder, batch_size, bar)

    def knn(self, stage, progress: bool = True, desc: str = "kNN"):
        """Rounds of source blocks over the workers, each round committed; then the backward lists finalized."""
        import torch
        from tqdm.auto import tqdm

        from ..mining.knn import TopK, finalize, merge_topk, scan_block

        plan, x, y, bound = stage.plan, stage.x, stage.y, stage.bound
        workers = min(self._workers(), max(1, len(stage.todo())))
        cols = stage.col_states(workers)
        todo = stage.todo()
        per_round = workers * max(1, -(-len(stage.blocks) // (workers * 16)))   # about 16 checkpoints a run
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with tqdm(total=len(stage.blocks), initial=len(stage.done), desc=desc, unit="block",
                      disable=not progress, dynamic_ncols=True) as bar, ThreadPoolExecutor(workers) as pool:
                for r0 in range(0, len(todo), per_round):
                    chunk = todo[r0 : r0 + per_round]

                    def work(w: int, chunk=chunk) -> dict:
                        out = {}
                        for b in chunk[w::workers]:
                            lo, hi = stage.blocks[b]
                            xb = np.asarray(x.parts_rows(lo, hi))
                            approx = scan_block(xb, lo, y, plan.K, plan.precision, cols[w])
                            out[b] = finalize(xb, y, approx, plan.k, bound, plan.precision)[:2]
                            bar.update(1)
                        return out

                    rows = {}
                    for part in pool.map(work, range(workers)):
                        rows.update(part)
                    stage.commit(rows, cols)
                bwd = merge_topk(cols, cols[0].sims.shape[1])
                n = len(y)
                edges = np.linspace(0, n, workers + 1).astype(int)

                def fin(w: int):
                    out = []
                    for lo in range(edges[w], edges[w + 1], plan.block_rows):
                        hi = min(lo + plan.block_rows, edges[w + 1])
                        q = np.asarray(y.parts_rows(lo, hi))
                        out.append(finalize(q, x, TopK(bwd.sims[lo:hi], bwd.ids[lo:hi]), plan.k, bound, plan.precision)[:2])
                    return out

                parts = [p for ps in pool.map(fin, range(workers)) for p in ps]
        finally:
            torch.set_num_threads(threads)
        return stage.finish((np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])))
