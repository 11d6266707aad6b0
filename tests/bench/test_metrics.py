import numpy as np
import pytest

from ems_mine.bench.metrics import nn_accuracy
from ems_mine.bench.tatoeba import load_pair
from ems_mine.errors import UserError


def test_nn_accuracy_hand_made():
    x = np.array([[1, 0], [0, 1], [1, 1], [1, -1]], dtype=np.float32)
    # y rows: 0 matches x0; 1 is closest to x2, not x1; 2 matches x2 exactly; 3 matches x3
    y = np.array([[1, 0.1], [0.9, 1], [1, 1], [1, -1]], dtype=np.float32)
    # x→y: x0→y0 ✓, x1→y1 ✓ (cos 0.743 > cos(x1, y2) 0.707), x2→y2 ✓, x3→y3 ✓ → 4/4
    # y→x: y0→x0 ✓, y1→x2 ✗ (cos 0.999 > cos(y1, x1) 0.743), y2→x2 ✓, y3→x3 ✓ → 3/4
    assert nn_accuracy(x, y) == pytest.approx((1.0, 0.75))


def test_load_pair_errors(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_pair(tmp_path, "deu")
    (tmp_path / "tatoeba.deu-eng.deu").write_text("a\nb\n")
    (tmp_path / "tatoeba.deu-eng.eng").write_text("a\n")
    with pytest.raises(UserError, match="line-aligned"):
        load_pair(tmp_path, "deu")
