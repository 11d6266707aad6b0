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


def test_xtr_batch_vocabulary_equals_full_softmax_when_every_token_is_in_the_batch():
    from ems_mine.config import ModelConfig
    from ems_mine.heads import XTRHead
    from ems_mine.losses.xtr import batch_vocabulary

    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=6, d_model=8, n_heads=2, lang_dim=4, languages=("deu", "eng"), dropout=0.0)
    head = XTRHead(cfg)
    ids = torch.tensor([[1, 2, 3, 0], [4, 5, 5, 1], [2, 2, 0, 0]])   # every non-pad id 1..5 occurs
    vocab = batch_vocabulary(ids)
    assert vocab.tolist() == [1, 2, 3, 4, 5]
    u, lang = torch.randn(3, 8), torch.tensor([0, 1, 0])
    full = xtr_loss(head(u, lang), ids)
    # the full softmax also spreads mass on pad (id 0); drop that row of W by giving it -inf logit mass 0:
    head.decoder.weight.data[0] = 0.0
    with torch.no_grad():
        logits = head.decoder(head.norm(torch.nn.functional.silu(head.transform(
            torch.cat([head.lang_norm(head.lang_emb(lang)), u], -1)))))
    ref = torch.nn.functional.kl_div(torch.log_softmax(logits[:, 1:], -1), bag_of_tokens(ids, 6)[:, 1:], reduction="batchmean")
    batch = xtr_loss(head(u, lang, vocab), ids, vocab)
    assert batch.item() == pytest.approx(ref.item(), rel=1e-6)
    assert full.item() > batch.item()    # the full softmax also normalises over the pad id, never a target


def test_xtr_batch_vocabulary_hand_computed():
    # vocab ids [2, 7] of a larger vocabulary; target "7 7 2": p = [1/3, 2/3]; q uniform over the 2 → KL = 2/3 log 2 + 1/3 log(2/3)
    vocab = torch.tensor([2, 7])
    target = torch.tensor([[7, 7, 2, 0]])
    log_q = torch.log(torch.full((1, 2), 0.5))
    expected = 1 / 3 * math.log((1 / 3) / 0.5) + 2 / 3 * math.log((2 / 3) / 0.5)
    assert xtr_loss(log_q, target, vocab).item() == pytest.approx(expected, rel=1e-6)
    assert torch.allclose(bag_of_tokens(target, 10, vocab), torch.tensor([[1 / 3, 2 / 3]]))


def test_contrastive_loss_leaves_duplicate_sentences_out_of_the_negatives():
    # pairs 0 and 1 share their target sentence: with keys, each row's only negative is pair 2
    z1 = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    z2 = torch.tensor([[1.0, 0.05], [1.0, 0.05], [0.0, 1.0]])
    keys = torch.tensor([[10, 99], [11, 99], [12, 98]])
    t = 0.5
    masked = contrastive_loss(z1, z2, t, keys)
    n1, n2 = torch.nn.functional.normalize(z1, dim=-1), torch.nn.functional.normalize(z2, dim=-1)
    s = n1 @ n2.T / t
    keep = torch.tensor([[1, 0, 1], [0, 1, 1], [1, 1, 1]], dtype=torch.bool)
    ce = lambda m: -(torch.log_softmax(m.masked_fill(~keep, float("-inf")), -1).diagonal()).mean()  # noqa: E731
    assert masked.item() == pytest.approx(0.5 * (ce(s) + ce(s.T)).item(), rel=1e-6)
    assert masked.item() < contrastive_loss(z1, z2, t).item()
    assert contrastive_loss(z1, z2, t, torch.tensor([[1, 2], [3, 4], [5, 6]])).item() == pytest.approx(
        contrastive_loss(z1, z2, t).item(), rel=1e-6)   # all-distinct keys change nothing
