"""XTR and contrastive losses against values computed by hand on tiny tensors."""
import math

import pytest
import torch

from ems_mine.losses import bag_of_tokens, contrastive_loss, xtr_loss


def test_bag_of_tokens_counts_over_length_ignoring_pad():
    ids = torch.tensor([[3, 3, 2, 0], [1, 0, 0, 0]])
    p = bag_of_tokens(ids, vocab_size=4)
    # sentence 0: tokens 3,3,2 → p[3] = 2/3, p[2] = 1/3; sentence 1: token 1 → p[1] = 1
    expected = torch.tensor([[0, 0, 1 / 3, 2 / 3], [0, 1, 0, 0]])
    assert torch.allclose(p, expected)


def test_xtr_loss_matches_hand_computed_kl():
    # vocab 3; one sentence "2 2 1": p = [0, 1/3, 2/3]; q uniform → log q = log(1/3)
    log_q = torch.log(torch.full((1, 3), 1 / 3))
    target = torch.tensor([[2, 2, 1]])
    # KL = 1/3 log((1/3)/(1/3)) + 2/3 log((2/3)/(1/3)) = 2/3 log 2
    assert xtr_loss(log_q, target).item() == pytest.approx(2 / 3 * math.log(2), rel=1e-6)


def test_xtr_loss_is_zero_at_the_target_and_averages_over_batch():
    target = torch.tensor([[1, 2, 0], [2, 0, 0]])
    p = bag_of_tokens(target, 3)
    log_q = torch.log(p.clamp(min=1e-30))
    assert xtr_loss(log_q, target).item() == pytest.approx(0.0, abs=1e-6)
    # batchmean: second row uniform q over 3 (KL = log 3), first row exact (0) → mean = log(3)/2
    log_q2 = torch.stack([log_q[0], torch.log(torch.full((3,), 1 / 3))])
    assert xtr_loss(log_q2, target).item() == pytest.approx(math.log(3) / 2, rel=1e-6)


def test_contrastive_loss_hand_computed():
    # z1 = z2 = identity rows in 2-d: cos matrix = I; S = I / 0.5 → rows [2, 0], [0, 2]
    z = torch.eye(2)
    loss = contrastive_loss(z, z.clone(), temperature=0.5)
    # CE per row = -log(e^2 / (e^2 + e^0)) = log(1 + e^-2); both directions equal
    assert loss.item() == pytest.approx(math.log(1 + math.exp(-2)), rel=1e-6)


def test_contrastive_loss_asymmetric_case_and_scale_invariance():
    z1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    z2 = torch.tensor([[3.0, 0.0], [3.0, 3.0]])  # cosines: [[1, 1/√2], [0, 1/√2]]
    t = 1.0
    c = 1 / math.sqrt(2)
    ce12 = [-math.log(math.exp(1) / (math.exp(1) + math.exp(c))), -math.log(math.exp(c) / (math.exp(0) + math.exp(c)))]
    # columns: z2_0 against z1 → [1, 0]; z2_1 against z1 → [c, c]
    ce21 = [-math.log(math.exp(1) / (math.exp(1) + math.exp(0))), -math.log(math.exp(c) / (math.exp(c) + math.exp(c)))]
    expected = 0.5 * (sum(ce12) / 2 + sum(ce21) / 2)
    assert contrastive_loss(z1, z2, temperature=t).item() == pytest.approx(expected, rel=1e-6)
    assert contrastive_loss(5 * z1, z2, temperature=t).item() == pytest.approx(expected, rel=1e-6)


def test_distill_loss_hand_computed_and_masked():
    from ems_mine.losses import distill_loss

    t = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    h1 = torch.tensor([[2.0, 0.0], [1.0, 1.0], [0.0, 5.0]])    # cos with t: 1, 1/√2, (masked)
    h2 = torch.tensor([[0.0, 1.0], [0.0, 3.0], [0.0, 5.0]])    # cos with t: 0, 1,    (masked)
    mask = torch.tensor([True, True, False])
    # pair 0: (1 − 1) + (1 − 0) = 1; pair 1: (1 − 1/√2) + (1 − 1) = 1 − 1/√2; mean over the 2 unmasked
    expected = (1 + 1 - 1 / math.sqrt(2)) / 2
    assert distill_loss(h1, h2, t, mask).item() == pytest.approx(expected, rel=1e-6)
    assert distill_loss(h1, h2, t, torch.zeros(3, dtype=torch.bool)).item() == 0.0
