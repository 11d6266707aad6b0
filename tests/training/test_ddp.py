"""Under DDP the contrastive loss sees the global batch: two CPU processes (gloo) give the same loss
and gradients as one process holding both halves."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from ems_mine.losses import contrastive_loss


def _worker(rank: int, world: int, port: int, z1: torch.Tensor, z2: torch.Tensor, out: dict) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    n = z1.shape[0] // world
    a = z1[rank * n:(rank + 1) * n].clone().requires_grad_(True)
    b = z2[rank * n:(rank + 1) * n].clone()
    loss = contrastive_loss(a, b, temperature=0.5)
    loss.backward()
    total = loss.detach().clone()
    dist.all_reduce(total)
    out[rank] = (total.item() / world, a.grad.clone())
    dist.destroy_process_group()


def test_gathered_negatives_match_single_process():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(8, 5, generator=g), torch.randn(8, 5, generator=g)
    with mp.Manager() as manager:
        out = manager.dict()
        mp.spawn(_worker, args=(2, 29511, z1, z2, out), nprocs=2, join=True)
        results = dict(out)
    full = z1.clone().requires_grad_(True)
    ref = contrastive_loss(full, z2, temperature=0.5)
    (ref * 1.0).backward()
    assert abs(results[0][0] - ref.item()) < 1e-5
    # DDP averages gradients over ranks; each rank's local rows get their share of the global loss
    grads = torch.cat([results[0][1], results[1][1]]) / 2
    torch.testing.assert_close(grads, full.grad, rtol=1e-4, atol=1e-6)
