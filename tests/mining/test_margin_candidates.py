"""Margins and candidate strategies on hand-computed similarity arrays (3×3 with k=2, 5×4 with k=1)."""
import numpy as np
import pytest

from ems_mine.errors import UserError
from ems_mine.mining.candidates import select_candidates
from ems_mine.mining.margin import score_neighbours


def knn_from_similarity(sim: np.ndarray, k: int):
    """Brute-force kNN both ways from a similarity matrix (S, T)."""
    fwd_idx = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    bwd_idx = np.argsort(-sim.T, axis=1, kind="stable")[:, :k]
    return (np.take_along_axis(sim, fwd_idx, 1), fwd_idx, np.take_along_axis(sim.T, bwd_idx, 1), bwd_idx)


def run(sim, k, margin, mode):
    fs, fi, bs, bi = knn_from_similarity(np.asarray(sim, dtype=np.float32), k)
    f_scores, b_scores = score_neighbours(fs, fi, bs, bi, margin)
    src, tgt, scores = select_candidates(f_scores, fi, b_scores, bi, mode)
    return list(zip(src.tolist(), tgt.tolist())), scores


S3 = [[0.9, 0.8, 0.1],
      [0.7, 0.6, 0.2],
      [0.1, 0.3, 0.5]]
# k = 2. Forward means: s0 (.9+.8)/2 = .85, s1 .65, s2 (.5+.3)/2 = .4.
# Backward means: t0 (.9+.7)/2 = .8, t1 (.8+.6)/2 = .7, t2 (.5+.2)/2 = .35.
# Ratio: s0-t0 .9/.825 = 1.090909, s0-t1 .8/.775 = 1.032258, s1-t0 .7/.725 = .965517, s1-t1 .6/.675 = .888889,
#        s2-t2 .5/.375 = 1.333333, s2-t1 .3/.55 = .545455, t2-s1 .2/.5 = .4
# Distance: .075, .025, -.025, -.075, .125, -.25, -.3.   Absolute: the cosines.
S3_EXPECTED = {
    "ratio": {
        "forward": ([(2, 2), (0, 0), (1, 0)], [1.333333, 1.090909, 0.965517]),
        "backward": ([(2, 2), (0, 0), (0, 1)], [1.333333, 1.090909, 1.032258]),
        "intersect": ([(2, 2), (0, 0)], [1.333333, 1.090909]),
        "max": ([(2, 2), (0, 0)], [1.333333, 1.090909]),
    },
    "distance": {
        "forward": ([(2, 2), (0, 0), (1, 0)], [0.125, 0.075, -0.025]),
        "backward": ([(2, 2), (0, 0), (0, 1)], [0.125, 0.075, 0.025]),
        "intersect": ([(2, 2), (0, 0)], [0.125, 0.075]),
        "max": ([(2, 2), (0, 0)], [0.125, 0.075]),
    },
    "absolute": {
        "forward": ([(0, 0), (1, 0), (2, 2)], [0.9, 0.7, 0.5]),
        "backward": ([(0, 0), (0, 1), (2, 2)], [0.9, 0.8, 0.5]),
        "intersect": ([(0, 0), (2, 2)], [0.9, 0.5]),
        "max": ([(0, 0), (2, 2)], [0.9, 0.5]),
    },
}

S54 = [[0.9, 0.1, 0.1, 0.1],
       [0.8, 0.7, 0.1, 0.1],
       [0.1, 0.1, 0.6, 0.2],
       [0.1, 0.1, 0.5, 0.1],
       [0.1, 0.2, 0.1, 0.3]]
# k = 1: each mean is the best cosine. Forward: s0→t0 .9, s1→t0 .8, s2→t2 .6, s3→t2 .5, s4→t3 .3.
# Backward: t0→s0 .9, t1→s1 .7, t2→s2 .6, t3→s4 .3.
# Ratio: s0-t0 1, s1-t0 .8/.85 = .941176, s2-t2 1, s3-t2 .5/.55 = .909091, s4-t3 1, t1-s1 .7/.75 = .933333.
# max differs from intersect: after (0,0), (2,2), (4,3) the pair (1,1) is still free.
S54_EXPECTED = {
    "ratio": {
        "forward": ([(0, 0), (2, 2), (4, 3), (1, 0), (3, 2)], [1, 1, 1, 0.941176, 0.909091]),
        "backward": ([(0, 0), (2, 2), (4, 3), (1, 1)], [1, 1, 1, 0.933333]),
        "intersect": ([(0, 0), (2, 2), (4, 3)], [1, 1, 1]),
        "max": ([(0, 0), (2, 2), (4, 3), (1, 1)], [1, 1, 1, 0.933333]),
    },
    "distance": {
        "forward": ([(0, 0), (2, 2), (4, 3), (1, 0), (3, 2)], [0, 0, 0, -0.05, -0.05]),
        "backward": ([(0, 0), (2, 2), (4, 3), (1, 1)], [0, 0, 0, -0.05]),
        "intersect": ([(0, 0), (2, 2), (4, 3)], [0, 0, 0]),
        "max": ([(0, 0), (2, 2), (4, 3), (1, 1)], [0, 0, 0, -0.05]),
    },
    "absolute": {
        "forward": ([(0, 0), (1, 0), (2, 2), (3, 2), (4, 3)], [0.9, 0.8, 0.6, 0.5, 0.3]),
        "backward": ([(0, 0), (1, 1), (2, 2), (4, 3)], [0.9, 0.7, 0.6, 0.3]),
        "intersect": ([(0, 0), (2, 2), (4, 3)], [0.9, 0.6, 0.3]),
        "max": ([(0, 0), (1, 1), (2, 2), (4, 3)], [0.9, 0.7, 0.6, 0.3]),
    },
}


@pytest.mark.parametrize("margin", ["ratio", "distance", "absolute"])
@pytest.mark.parametrize("mode", ["forward", "backward", "intersect", "max"])
@pytest.mark.parametrize("sim, k, expected", [(S3, 2, S3_EXPECTED), (S54, 1, S54_EXPECTED)], ids=["3x3", "5x4"])
def test_hand_computed(sim, k, expected, margin, mode):
    pairs, scores = run(sim, k, margin, mode)
    want_pairs, want_scores = expected[margin][mode]
    assert pairs == want_pairs
    np.testing.assert_allclose(scores, want_scores, atol=1e-5)


def test_unknown_margin_and_mode():
    with pytest.raises(UserError, match="ratio, distance, absolute"):
        run(S3, 2, "cosine", "max")
    with pytest.raises(UserError, match="max, forward, backward, intersect"):
        run(S3, 2, "ratio", "union")
