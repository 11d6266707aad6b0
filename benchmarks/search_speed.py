"""Search service speed: latency p50 / p99 and queries per second at 1, 8 and 32 concurrent clients, on 100k- and
1M-sentence indexes, flat and IVF-PQ (with recall@10 of IVF-PQ against flat), the service running as a real uvicorn
process on 127.0.0.1 and the clients real HTTP clients (httpx, one per thread).

The indexed sentences are the distinct lines of the shared corpora (Bibles, NLLB-Seed, NTREX-128, TICO-19); the
queries are FLORES-200 dev sentences in 8 languages.

    python benchmarks/search_speed.py --data ../shared/data [--sizes 100000,1000000] [--seconds 10]
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from results import RESULTS, append_results  # noqa: E402

QUERY_LANGS = ("deu_Latn", "fra_Latn", "spa_Latn", "rus_Cyrl", "zho_Hans", "jpn_Jpan", "swh_Latn", "eng_Latn")


def sentences(data: Path, n: int) -> list[str]:
    """Up to ``n`` distinct non-empty lines of the shared training corpora, in a fixed order."""
    files = sorted((data / "train/ntrex128/NTREX-128").glob("*.txt")) + sorted((data / "train/nllb-seed/multitext-nllb-seed").iterdir()) \
        + sorted((data / "train/bible-scrollmapper").glob("*.txt"))
    seen: dict[str, None] = {}
    for f in files:
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.split("] ", 1)[-1].strip() if line.startswith("[") else line.strip()
            if line and not line.startswith("###"):
                seen.setdefault(line, None)
                if len(seen) >= n:
                    return list(seen)
    return list(seen)


def serve(index_dir: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "ems_mine.cli", "serve", str(index_dir), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.25)
    raise RuntimeError("the service did not start")


def load(url: str, queries: list[str], clients: int, seconds: float) -> dict:
    import httpx

    lat: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(i: int) -> None:
        mine = []
        with httpx.Client(timeout=60) as c:
            j = i
            while time.perf_counter() < stop:
                t = time.perf_counter()
                r = c.get(f"{url}/search", params={"q": queries[j % len(queries)], "k": 10})
                r.raise_for_status()
                mine.append(time.perf_counter() - t)
                j += clients
        with lock:
            lat.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    a = np.array(lat) * 1000
    return {"p50": float(np.percentile(a, 50)), "p99": float(np.percentile(a, 99)), "qps": len(a) / wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--results", default=str(RESULTS))
    args = ap.parse_args()
    from ems_mine.search.index import Index

    data = Path(args.data)
    flores = data / "eval/flores200-dev/flores-200-dev"
    queries = [q for lang in QUERY_LANGS for q in (flores / f"{lang}.dev").read_text(encoding="utf-8").splitlines()[:200]]
    sizes = [int(x) for x in args.sizes.split(",")]
    corpus = sentences(data, max(sizes))
    lines = ["| sentences | index | build s | recall@10 vs flat | clients | p50 ms | p99 ms | queries/s |",
             "|---:|---|---:|---:|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            src = Path(tmp) / f"c{n}.txt"
            src.write_text("\n".join(corpus[:n]) + "\n", encoding="utf-8")
            built = {}
            for kind in ("flat", "ivfpq"):
                t = time.perf_counter()
                built[kind] = Index.build(src, "eng", Path(tmp) / f"{kind}{n}", index=kind)
                built[kind + "_s"] = time.perf_counter() - t
            sample = queries[::4]
            a = built["flat"].search(sample, k=10)
            b = built["ivfpq"].search(sample, k=10)
            recall = float(np.mean([len({h["id"] for h in x} & {h["id"] for h in y}) / 10 for x, y in zip(a, b)]))
            for kind in ("flat", "ivfpq"):
                proc, url = serve(Path(tmp) / f"{kind}{n}")
                try:
                    load(url, queries, 4, 2.0)                      # warm-up
                    for clients in (1, 8, 32):
                        r = load(url, queries, clients, args.seconds)
                        rc = "1.000" if kind == "flat" else f"{recall:.3f}"
                        lines.append(f"| {min(n, len(corpus)):,} | {kind} | {built[kind + '_s']:.0f} | {rc} | {clients} | "
                                     f"{r['p50']:.1f} | {r['p99']:.1f} | {r['qps']:.0f} |")
                        print(lines[-1], flush=True)
                finally:
                    proc.terminate()
                    proc.wait()
    table = "\n".join(lines)
    print(table)
    append_results("Search service: latency and throughput", "`ems-mine serve` as a uvicorn process on 127.0.0.1, "
                   f"clients in threads with httpx, {args.seconds:.0f} s per row after a warm-up; GET /search with k = 10; "
                   "FLORES-200 dev queries in 8 languages; concurrent requests batched into one encode and one search.",
                   table, args.results)


if __name__ == "__main__":
    main()
