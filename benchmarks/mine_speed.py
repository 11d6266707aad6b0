"""Exact mining speed: ems-mine's mining path (as ``mine_embeddings`` runs it) against LASER's method.

LASER's method (``mine_bitexts.py``), written plainly here: two FAISS flat inner-product searches
(x→y, then y→x), ratio margin over k = 4 neighbours, and ``max`` candidates (both directions pooled,
sorted, kept greedily 1:1). Its margin step is vectorised here (LASER loops in Python), which only
favours the baseline. ems-mine takes the path ``mine_embeddings`` takes: on a CPU, exact search is one
pass over the similarities serving both directions (``ems_mine/mining/onepass.py``). Each method runs
in a fresh process so peak memory (max RSS) is its own.

    python benchmarks/mine_speed.py                 # N = 10k and 100k, d = 1024 and the default model's
    python benchmarks/mine_speed.py --sizes 1000000 --ivf   # the 1M size and the IVF path (opt-in)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from results import RESULTS, append_results  # noqa: E402


def default_dim() -> int:
    """The bundled model's embedding dimension, read from its config."""
    from ems_mine.encoder import DEFAULT_MODEL_DIR

    return json.loads((Path(DEFAULT_MODEL_DIR) / "config.json").read_text())["model"]["d_model"]


def embeddings(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors where half of y are noisy copies of x rows (so there is something to mine)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d), dtype=np.float32)
    y = rng.standard_normal((n, d), dtype=np.float32)
    half = n // 2
    y[:half] = x[rng.permutation(n)[:half]] + 0.5 * rng.standard_normal((half, d), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    return x, y


def laser_method(x: np.ndarray, y: np.ndarray, k: int = 4) -> tuple[tuple, dict]:
    import faiss

    times = {}
    t = time.perf_counter()
    ix = faiss.IndexFlatIP(y.shape[1])
    ix.add(y)
    x2y_sim, x2y_ind = ix.search(x, k)
    iy = faiss.IndexFlatIP(x.shape[1])
    iy.add(x)
    y2x_sim, y2x_ind = iy.search(y, k)
    times["knn"] = time.perf_counter() - t
    t = time.perf_counter()
    x2y_mean, y2x_mean = x2y_sim.mean(1), y2x_sim.mean(1)
    fwd = x2y_sim / ((x2y_mean[:, None] + y2x_mean[x2y_ind]) / 2)
    bwd = y2x_sim / ((y2x_mean[:, None] + x2y_mean[y2x_ind]) / 2)
    fwd_best = x2y_ind[np.arange(len(x)), fwd.argmax(1)]
    bwd_best = y2x_ind[np.arange(len(y)), bwd.argmax(1)]
    indices = np.stack((np.concatenate((np.arange(len(x)), bwd_best)), np.concatenate((fwd_best, np.arange(len(y))))), axis=1)
    scores = np.concatenate((fwd.max(1), bwd.max(1)))
    seen_src, seen_trg, out = set(), set(), []
    for i in np.argsort(-scores, kind="stable"):
        s, t_ = indices[i]
        if s not in seen_src and t_ not in seen_trg:
            seen_src.add(s)
            seen_trg.add(t_)
            out.append((s, t_, scores[i]))
    times["margin+max"] = time.perf_counter() - t
    arr = np.array(out)
    return (arr[:, 0].astype(int), arr[:, 1].astype(int), arr[:, 2]), times


def ems_method(x: np.ndarray, y: np.ndarray, k: int = 4) -> tuple[tuple, dict]:
    from ems_mine.mining.candidates import select_candidates
    from ems_mine.mining.margin import score_neighbours
    from ems_mine.mining.mine import neighbours

    times = {}
    t = time.perf_counter()
    fs, fi, bs, bi = neighbours(x, y, k)  # the path mine_embeddings takes
    times["knn"] = time.perf_counter() - t
    t = time.perf_counter()
    f, b = score_neighbours(fs, fi, bs, bi, "ratio")
    res = select_candidates(f, fi, b, bi, "max")
    times["margin+max"] = time.perf_counter() - t
    return res, times


def compare_pairs(a, b) -> str:
    """"yes" when both mined the same set of pairs with the same scores (to float32 rounding: the two
    methods multiply in different BLAS blocking orders); otherwise how many pairs differ."""
    pa_, pb = set(zip(a["src"].tolist(), a["tgt"].tolist())), set(zip(b["src"].tolist(), b["tgt"].tolist()))
    if pa_ == pb and np.allclose(np.sort(a["score"]), np.sort(b["score"]), rtol=1e-5):
        return "yes"
    return f"no: {len(pa_ ^ pb)} of {len(pa_)} pairs differ"


def ivf_recall(x: np.ndarray, y: np.ndarray, k: int = 4, sample: int = 10_000) -> dict:
    from ems_mine.mining.knn import build_index, knn

    t = time.perf_counter()
    ix = build_index(y, "ivf")
    build = time.perf_counter() - t
    rows = np.random.default_rng(1).choice(len(x), min(sample, len(x)), replace=False)
    t = time.perf_counter()
    _, approx = knn(x[rows], y, k, ix=ix)
    search = time.perf_counter() - t
    _, exact = knn(x[rows], y, k)
    recall = float(np.mean([len(set(a) & set(e)) / k for a, e in zip(approx, exact)]))
    return {"build_s": build, "search_s_per_1k": 1000 * search / len(rows), "recall_at_k": recall}


def worker(method: str, n: int, d: int, out: str) -> None:
    import faiss  # noqa: F401  - imports and loading compiled code are not part of the timing
    import torch  # noqa: F401

    import ems_mine.mining.knn  # noqa: F401
    from ems_mine.mining.onepass import knn_both_ways

    knn_both_ways(np.eye(4, dtype=np.float32), np.eye(4, dtype=np.float32), 2)  # load the compiled kernels (numba cache)

    x, y = embeddings(n, d)
    t = time.perf_counter()
    if method == "ivf":
        info = ivf_recall(x, y)
        res = None
    else:
        res, info = (laser_method if method == "laser" else ems_method)(x, y)
    total = time.perf_counter() - t
    if res is not None:
        np.savez(out, src=res[0], tgt=res[1], score=res[2])
    print(json.dumps({"method": method, "n": n, "d": d, "seconds": total, "stages": info,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--dims", default=f"1024,{default_dim()}", help="1024 (the paper's) and the default model's dimension")
    ap.add_argument("--ivf", action="store_true", help="also time the IVF path and its recall at the largest size")
    ap.add_argument("--results", default=str(RESULTS))
    ap.add_argument("--worker", nargs=4, metavar=("METHOD", "N", "D", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), int(args.worker[2]), args.worker[3])
        return
    rows, tmp = [], Path(os.environ.get("TMPDIR", "/tmp"))
    for n in map(int, args.sizes.split(",")):
        for d in map(int, args.dims.split(",")):
            res = {}
            for method in ("laser", "ems"):
                out = tmp / f"mine_speed_{method}_{n}_{d}.npz"
                r = subprocess.run([sys.executable, __file__, "--worker", method, str(n), str(d), str(out)],
                                   capture_output=True, text=True, check=True)
                res[method] = json.loads(r.stdout.strip().splitlines()[-1])
                res[method]["pairs"] = np.load(out)
            a, b = res["laser"]["pairs"], res["ems"]["pairs"]
            same = compare_pairs(a, b)
            rows.append((n, d, res["laser"], res["ems"], same))
            print(f"N={n} d={d}: LASER {res['laser']['seconds']:.1f}s, ems-mine {res['ems']['seconds']:.1f}s, "
                  f"speed-up {res['laser']['seconds'] / res['ems']['seconds']:.2f}×, same pairs: {same}", flush=True)
    lines = ["| N | d | LASER method s (knn / margin+max) | ems-mine s (knn / margin+max) | speed-up "
             "| LASER peak MB | ems-mine peak MB | same pairs |",
             "|---:|---:|---|---|---:|---:|---:|---|"]
    for n, d, la, em, same in rows:
        lines.append(f"| {n:,} | {d} | {la['seconds']:.2f} ({la['stages']['knn']:.2f} / {la['stages']['margin+max']:.2f}) | "
                     f"{em['seconds']:.2f} ({em['stages']['knn']:.2f} / {em['stages']['margin+max']:.2f}) | "
                     f"**{la['seconds'] / em['seconds']:.2f}×** | {la['peak_rss_mb']:.0f} | {em['peak_rss_mb']:.0f} | {same} |")
    if args.ivf:
        n = max(map(int, args.sizes.split(",")))
        d = int(args.dims.split(",")[0])
        r = subprocess.run([sys.executable, __file__, "--worker", "ivf", str(n), str(d), "-"], capture_output=True, text=True, check=True)
        iv = json.loads(r.stdout.strip().splitlines()[-1])
        lines.append(f"\nIVF at N={n:,}, d={d}: build {iv['stages']['build_s']:.1f}s, search {iv['stages']['search_s_per_1k']:.2f}s "
                     f"per 1k queries, recall@4 against exact {iv['stages']['recall_at_k']:.3f} (10k-query subsample).")
    table = "\n".join(lines)
    print(table)
    import faiss

    append_results("Exact mining: ems-mine vs LASER's method", f"faiss {faiss.__version__}. Random unit vectors, half of y "
                   "noisy copies of x; ratio margin, k = 4, max candidates; each method in its own process.", table, args.results)

if __name__ == "__main__":
    main()
