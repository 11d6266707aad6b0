"""Metric code against hand-made fixtures with known accuracy / F1 / xSIM."""
import numpy as np
import pytest

from ems_mine.bench.bucc import choose_splits
from ems_mine.bench.metrics import best_threshold, f1_at_threshold, nn_accuracy, prf, xsim_error
from ems_mine.bench.tatoeba import load_pair
from ems_mine.errors import UserError


def test_nn_accuracy_hand_made():
    x = np.array([[1, 0], [0, 1], [1, 1], [1, -1]], dtype=np.float32)
    y = np.array([[1, 0.1], [0.9, 1], [1, 1], [1, -1]], dtype=np.float32)
    # x→y: x0→y0 ✓, x1→y1 ✓ (cos 0.743 > cos(x1, y2) 0.707), x2→y2 ✓, x3→y3 ✓ → 4/4
    # y→x: y0→x0 ✓, y1→x2 ✗ (cos 0.999 > cos(y1, x1) 0.743), y2→x2 ✓, y3→x3 ✓ → 3/4
    assert nn_accuracy(x, y) == pytest.approx((1.0, 0.75))


def test_prf_and_threshold_hand_made():
    assert prf(3, 4, 6) == pytest.approx({"precision": 0.75, "recall": 0.5, "f1": 0.6})
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    correct = np.array([True, True, False, True, False])
    # 4 gold pairs. Cut after 1: P 1, R .25, F1 .4; after 2: P 1, R .5, F1 .667; after 3: P .667, R .5, F1 .571;
    # after 4: P .75, R .75, F1 .75 (best); after 5: P .6, R .75, F1 .667. Threshold = (0.6 + 0.5) / 2.
    best = best_threshold(scores, correct, n_gold=4)
    assert best == pytest.approx({"precision": 0.75, "recall": 0.75, "f1": 0.75, "threshold": 0.55})
    assert f1_at_threshold(scores, correct, 4, 0.75) == pytest.approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "threshold": 0.75})


def test_xsim_hand_made():
    # 3 sentences; y is x with rows 1 and 2 swapped-ish: y1 is closest to x2 and y2 to x1
    x = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    y = np.array([[1, 0, 0], [0, 0.2, 1], [0, 1, 0.2]], dtype=np.float32)
    # With k = 1, margins are cos / mean of both sides' best cosines, all best cosines equal → plain argmax:
    # x0→y0 ✓, x1→y2 ✗, x2→y1 ✗ → error 2/3; reverse the same → 2/3.
    assert xsim_error(x, y, k=1) == pytest.approx((2 / 3, 2 / 3))
    assert xsim_error(x, x, k=2) == (0.0, 0.0)


def test_choose_splits():
    assert choose_splits(["sample", "training"], None, None) == ("sample", "training", False)
    assert choose_splits(["dev", "test"], None, None) == ("dev", "test", False)
    assert choose_splits(["training"], None, None) == ("training", "training", True)
    assert choose_splits(["sample", "training"], "training", "training") == ("training", "training", True)
    with pytest.raises(UserError, match="no split has a .gold"):
        choose_splits([], None, None)


def test_load_pair_errors(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_pair(tmp_path, "deu")
    (tmp_path / "tatoeba.deu-eng.deu").write_text("a\nb\n")
    (tmp_path / "tatoeba.deu-eng.eng").write_text("a\n")
    with pytest.raises(UserError, match="line-aligned"):
        load_pair(tmp_path, "deu")
