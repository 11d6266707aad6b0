"""Exact mining speed: ems-mine's mining path (as ``mine_embeddings`` runs it) against LASER's method, and
against the physical limit of this CPU.

LASER's method (``mine_bitexts.py``), written plainly here: two FAISS flat inner-product searches
(x→y, then y→x), ratio margin over k = 4 neighbours, and ``max`` candidates (both directions pooled,
sorted, kept greedily 1:1). Its margin step is vectorised here (LASER loops in Python), which only
favours the baseline. ems-mine takes the path ``mine_embeddings`` takes: on a CPU, exact search is one
low-precision pass over the similarities serving both directions, then exact rescoring of the candidates
(``ems_mine/mining/knn.py``): bf16 where the CPU has it (row ``ems-mine``), and the same kernel with an fp32 first
pass (row ``ems-mine fp32``, what a CPU without bf16 runs). The limit is the time one bf16 GEMM pass over
N × N × d takes at the peak measured in the same process (tiles of the kernel's shape on every core).
Each method runs in a fresh process so peak memory (max RSS) is its own.

``--pipeline N`` also runs the file-based kNN stage of ``ems-mine mine`` (memory-mapped embedding shards,
checkpointed blocks, margin and candidates) on N × N random embeddings and reports its peak RSS next to the
size of the two embedding files: nothing beyond them is O(N·d).

    python benchmarks/mine_speed.py --sizes 50000,100000 --dims 384,256 --pairs 50000:384,100000:256
    python benchmarks/mine_speed.py --pipeline 200000 --dims 256
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


def write_embeddings(n: int, d: int, xp: Path, yp: Path, chunk: int = 8192, seed: int = 0) -> None:
    """The data of :func:`embeddings`, written chunk by chunk to .npy files (never whole in memory)."""
    rng = np.random.default_rng(seed)
    x = np.lib.format.open_memmap(xp, mode="w+", dtype=np.float32, shape=(n, d))
    y = np.lib.format.open_memmap(yp, mode="w+", dtype=np.float32, shape=(n, d))
    for i in range(0, n, chunk):
        x[i : i + chunk] = rng.standard_normal((min(chunk, n - i), d), dtype=np.float32)
        x[i : i + chunk] /= np.linalg.norm(x[i : i + chunk], axis=1, keepdims=True)
    src = rng.permutation(n)
    for i in range(0, n, chunk):
        rows = np.arange(i, min(n, i + chunk))
        v = rng.standard_normal((len(rows), d), dtype=np.float32)
        copy = rows < n // 2
        v[copy] = x[np.sort(src[rows[copy]])] + 0.5 * v[copy]
        y[rows] = v / np.linalg.norm(v, axis=1, keepdims=True)
    x.flush()
    y.flush()
    del x, y


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


def ems_method(x: np.ndarray, y: np.ndarray, k: int = 4, precision: str = "auto") -> tuple[tuple, dict]:
    from ems_mine.mining.candidates import select_candidates
    from ems_mine.mining.knn import knn_both_ways
    from ems_mine.mining.margin import score_neighbours

    knn_both_ways(x[:64], y[:64], k, precision=precision)         # loads the compiled kernels (once per process, ~1 s)
    times = {}
    t = time.perf_counter()
    fs, fi, bs, bi = knn_both_ways(x, y, k, precision=precision)  # the path mine_embeddings takes
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


def gemm_peak(d: int, seconds: float = 3.0) -> float:
    """bf16 GFLOP/s of products (m × 2048 × d) on every core at once: the best over the kernel's tile height and
    taller ones (m = TILE_ROWS, 2048, 8192) and over repeated runs, so the limit is the CPU's, not the kernel's."""
    from concurrent.futures import ThreadPoolExecutor

    import torch

    from ems_mine.mining.knn import COLS, TILE_ROWS

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    best = 0.0
    for m in sorted({TILE_ROWS, 2048, 8192}):
        a = [torch.randn(m, d).bfloat16() for _ in range(threads)]
        b = [torch.randn(COLS, d).bfloat16() for _ in range(threads)]
        reps = max(5, 40960 // m)
        for i in range(threads):
            torch.mm(a[i], b[i].T)

        def run(i: int, a=a, b=b, reps=reps) -> None:
            for _ in range(reps):
                torch.mm(a[i], b[i].T)

        with ThreadPoolExecutor(threads) as pool:
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                t = time.perf_counter()
                list(pool.map(run, range(threads)))
                best = max(best, threads * reps * 2 * m * COLS * d / (time.perf_counter() - t) / 1e9)
    torch.set_num_threads(threads)
    return best


def pipeline_memory(n: int, d: int) -> dict:
    """The file-based kNN stage + margin + candidates on memory-mapped embeddings; peak RSS against the files."""
    import tempfile

    from ems_mine.executors.local import LocalExecutor
    from ems_mine.mining.candidates import select_candidates
    from ems_mine.mining.knn_stage import KnnPlan, KnnStage
    from ems_mine.mining.margin import score_neighbours

    with tempfile.TemporaryDirectory() as tmp:
        xp, yp = Path(tmp) / "x.npy", Path(tmp) / "y.npy"
        write_embeddings(n, d, xp, yp)
        size_mb = (xp.stat().st_size + yp.stat().st_size) / 2**20
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = time.perf_counter()
        stage = KnnStage.open(KnnPlan([xp], [yp], 4, Path(tmp) / "knn"))
        fs, fi, bs, bi = LocalExecutor().knn(stage, progress=False)
        f, b = score_neighbours(fs, fi, bs, bi, "ratio")
        select_candidates(f, fi, b, bi, "max")
        seconds = time.perf_counter() - t
    return {"files_mb": size_mb, "rss_before_mb": base, "seconds": seconds}


def worker(method: str, n: int, d: int, out: str) -> None:
    import faiss  # noqa: F401  - imports and loading compiled code are not part of the timing
    import torch  # noqa: F401

    from ems_mine.mining.knn import knn_both_ways

    e = np.eye(4, dtype=np.float32)
    for p in ("bf16", "fp32"):
        knn_both_ways(e, e, 2, precision=p)           # load the compiled kernels (numba cache)

    if method == "gemm":
        print(json.dumps({"method": method, "n": n, "d": d, "gflops": gemm_peak(d)}))
        return
    if method == "pipeline":
        info = pipeline_memory(n, d)
        print(json.dumps({"method": method, "n": n, "d": d, "seconds": info["seconds"], "stages": info,
                          "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
        return
    x, y = embeddings(n, d)
    t = time.perf_counter()
    if method == "laser":
        res, info = laser_method(x, y)
    else:
        res, info = ems_method(x, y, precision="fp32" if method == "ems-fp32" else "auto")
    total = time.perf_counter() - t
    np.savez(out, src=res[0], tgt=res[1], score=res[2])
    print(json.dumps({"method": method, "n": n, "d": d, "seconds": total, "stages": info,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def _run(method: str, n: int, d: int, out: str) -> dict:
    r = subprocess.run([sys.executable, __file__, "--worker", method, str(n), str(d), out], capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", default="50000:384,100000:256", help="N:d sizes to time (comma-separated)")
    ap.add_argument("--pipeline", type=int, default=0, help="also measure the file-based stage's memory at this N (d = 256)")
    ap.add_argument("--results", default=str(RESULTS))
    ap.add_argument("--worker", nargs=4, metavar=("METHOD", "N", "D", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), int(args.worker[2]), args.worker[3])
        return
    rows, tmp = [], Path(os.environ.get("TMPDIR", "/tmp"))
    for spec in args.pairs.split(","):
        n, d = map(int, spec.split(":"))
        res = {}
        for method in ("laser", "ems", "ems-fp32"):
            out = tmp / f"mine_speed_{method}_{n}_{d}.npz"
            res[method] = _run(method, n, d, str(out))
            res[method]["pairs"] = np.load(out)
        gemm = _run("gemm", n, d, "-")["gflops"]
        limit = 2 * n * n * d / (gemm * 1e9)
        same = {m: compare_pairs(res["laser"]["pairs"], res[m]["pairs"]) for m in ("ems", "ems-fp32")}
        rows.append((n, d, res, same, gemm, limit))
        print(f"N={n} d={d}: LASER {res['laser']['seconds']:.1f}s, ems-mine {res['ems']['seconds']:.1f}s "
              f"({res['laser']['seconds'] / res['ems']['seconds']:.2f}×), fp32 pass {res['ems-fp32']['seconds']:.1f}s; "
              f"bf16 GEMM limit {limit:.2f}s ({gemm:.0f} GFLOP/s): {100 * limit / res['ems']['seconds']:.0f} % of it; "
              f"same pairs: {same}", flush=True)
    lines = ["| N | d | LASER method s (knn / margin+max) | ems-mine s (knn / margin+max) | speed-up | ems-mine, fp32 pass, s "
             "| bf16 GEMM limit s (GFLOP/s) | share of the limit | peak MB LASER / ems-mine | same pairs |",
             "|---:|---:|---|---|---:|---:|---:|---:|---|---|"]
    for n, d, res, same, gemm, limit in rows:
        la, em, e32 = res["laser"], res["ems"], res["ems-fp32"]
        lines.append(f"| {n:,} | {d} | {la['seconds']:.2f} ({la['stages']['knn']:.2f} / {la['stages']['margin+max']:.2f}) | "
                     f"{em['seconds']:.2f} ({em['stages']['knn']:.2f} / {em['stages']['margin+max']:.2f}) | "
                     f"**{la['seconds'] / em['seconds']:.2f}×** | {e32['seconds']:.2f} ({la['seconds'] / e32['seconds']:.2f}×) | "
                     f"{limit:.2f} ({gemm:.0f}) | {100 * limit / em['seconds']:.0f} % | {la['peak_rss_mb']:.0f} / "
                     f"{em['peak_rss_mb']:.0f} | {same['ems']}; fp32 pass {same['ems-fp32']} |")
    if args.pipeline:
        p = _run("pipeline", args.pipeline, 256, "-")
        st = p["stages"]
        lines.append(f"\nFile-based kNN stage (`ems-mine mine`'s, memory-mapped shards, checkpointed blocks) + margin + "
                     f"candidates at N = {args.pipeline:,} per side, d = 256: {p['seconds']:.1f} s, peak RSS "
                     f"{p['peak_rss_mb']:.0f} MB, of which {st['rss_before_mb']:.0f} MB before the stage (Python, torch, "
                     f"FAISS, generating the data); the two embedding files are {st['files_mb']:.0f} MB.")
    table = "\n".join(lines)
    print(table)
    import faiss

    append_results("Exact mining: ems-mine vs LASER's method and the bf16 GEMM limit", f"faiss {faiss.__version__}. Random "
                   "unit vectors, half of y noisy copies of x; ratio margin, k = 4, max candidates; each method in its own "
                   "process. ems-mine's scores are exact (float64 sums rounded to float32); LASER's are FAISS's fp32.",
                   table, args.results)


if __name__ == "__main__":
    main()
