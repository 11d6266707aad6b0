"""Exact k nearest neighbours in both directions, at low-precision speed.

Pass 1 multiplies tiles x·yᵀ in bf16 (in fp32 where the CPU has no native bf16; ``ems_mine/precision.py``)
and keeps, for every row and every column, the K = k + ``extra`` best *approximate* scores (compiled merges
in ``topk_kernels.py``, each tile reduced both ways while it is in cache). With unit vectors the approximate
score ã of a pair is within ε(q) + ρ|ã| of its exact score s (:class:`ErrorBound`: ε from the rows' own rounding
errors, ρ from rounding the score), so every member of a row's exact top-k has

    ã + ρ|ã| ≥ ã₍ₖ₎ − ρ|ã₍ₖ₎| − 2ε          (ã₍ₖ₎: the row's k-th best approximate score)

Pass 2 rescores the candidates above that line exactly — float64 sums of the float32 products, rounded to
float32 — and keeps the top-k, ties to the lower index. A row whose K-th kept score is still above the line
may have had more candidates than it could keep: it is scanned again keeping all of them. So the result is
the exact top-k whatever the tiling, the precision of pass 1 or the way the work was scheduled, and two
executors that tile differently give identical neighbours and scores.

Embeddings are seen as a :class:`Stack` of shards (memory-mapped ``.npy`` files), never concatenated.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

ROWS, COLS = 8192, 2048   # source rows per block, target rows per tile
TILE_ROWS = 512           # source rows per multiplied tile: a bf16 tile of 512 × 2048 is 2 MiB, merged both ways
                          # while in cache (50k × 50k, d = 384: 6.0–6.4 s against 6.8–7.0 s with 2048 rows)
EXTRA = 20                # approximate candidates kept beyond k per row / column: enough that few rows are scanned
                          # again (random 384-d unit vectors, N = 50k: 16 → 0.13 % of rows, 20 → 0.01 %)


@dataclass(frozen=True)
class ErrorBound:
    """How far pass 1's score ã of a query row q and a database row y can be from the exact score s.

    With x̃ the pass-1 rounding of x and δx = x − x̃ (exact), bf16 unit roundoff u = 2⁻⁸, u₃₂ = 2⁻²⁴ and
    γ_d = d·u₃₂ / (1 − d·u₃₂):

        |x·y − x̃·ỹ| ≤ ‖q̃‖‖δy‖ + ‖δq‖‖ỹ‖ + ‖δq‖‖δy‖          (Cauchy–Schwarz on x̃·δy + δx·ỹ + δx·δy)
        |a − x̃·ỹ|   ≤ γ_d‖q̃‖‖ỹ‖                          (the products are exact in fp32; their sum in any order)
        |ã − a|     ≤ u/(1 − u)·|ã|                       (the fp32 sum a rounded to bf16: relative to ã itself)
        |s − x·y|   ≤ u₃₂‖q‖‖y‖                           (the exact score: a float64 sum rounded to float32)

    so |ã − s| ≤ ε(q) + ρ|ã|, with ε(q) from the query row's own norms and the database's largest ones, and
    ρ = u/(1 − u) (0 in fp32, where nothing is rounded but the sums). The residual norms ‖δ‖ are what the
    rounding actually did — about 0.4·u for typical unit vectors against the worst case u — so the candidate
    window is about three times narrower than the worst-case ε = 3u. A factor 1 + 10⁻⁵ covers the float64
    arithmetic of the bound itself.
    """

    d: int
    precision: str
    lowp_norm: float     # max ‖ỹ‖ over the database rows
    resid_norm: float    # max ‖y − ỹ‖
    norm: float          # max ‖y‖

    @classmethod
    def of(cls, *stacks: "Stack", precision: str, rows: int = 16384) -> "ErrorBound":
        """The database maxima over every row of ``stacks`` (one bound then serves both directions)."""
        lowp_norm = resid_norm = norm = 0.0
        for st in stacks:
            for _, tile in st.tiles(rows):
                n, r, ln = _norms(np.asarray(tile), precision)
                norm, resid_norm, lowp_norm = max(norm, n.max()), max(resid_norm, r.max()), max(lowp_norm, ln.max())
        return cls(stacks[0].dim, precision, float(lowp_norm), float(resid_norm), float(norm))

    @property
    def rel(self) -> float:
        """ρ: the relative part of the bound, from rounding the score itself."""
        u = 2.0 ** -8
        return u / (1 - u) if self.precision == "bf16" else 0.0

    def rows(self, q: np.ndarray) -> np.ndarray:
        """ε(q) (n,) float64 for the query rows ``q`` (n, d)."""
        u32 = 2.0 ** -24
        gamma = self.d * u32 / (1 - self.d * u32)
        n, r, ln = _norms(q, self.precision)
        eps = ln * self.resid_norm + r * self.lowp_norm + r * self.resid_norm + gamma * ln * self.lowp_norm
        return (eps + u32 * n * self.norm) * (1 + 1e-5)

    def line(self, q: np.ndarray, kth: np.ndarray) -> np.ndarray:
        """The candidates' lower bound (n,) float32: every member m of a row's exact top-k has ã_m ≥ line.

        The k best approximate scores are ≥ ã₍ₖ₎, so the exact k-th score s₍ₖ₎ ≥ ã₍ₖ₎ − ρ|ã₍ₖ₎| − ε; a member
        has s_m ≥ s₍ₖ₎ and ã_m + ρ|ã_m| + ε ≥ s_m, and t ↦ t + ρ|t| is increasing, so ã_m is at least its
        inverse at ã₍ₖ₎ − ρ|ã₍ₖ₎| − 2ε."""
        rho = self.rel
        kth = kth.astype(np.float64)
        v = kth - rho * np.abs(kth) - 2 * self.rows(q)
        line = np.where(v >= 0, v / (1 + rho), v / (1 - rho))
        f32 = line.astype(np.float32)
        return np.where(f32 > line, np.nextafter(f32, np.float32(-np.inf)), f32)     # float32, rounded down


def _norms(a: np.ndarray, precision: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper bounds, per row of ``a`` (n, d), of ‖a‖, ‖a − ã‖ and ‖ã‖ (ã: its pass-1 rounding; a − ã is exact in
    float32). Computed in float32 on torch's threads — a sum of d squares and a root err by at most (d + 2)·u₃₂
    relative — and raised by that much."""
    import torch

    a = np.ascontiguousarray(a, np.float32)
    t = torch.from_numpy(a if a.flags.writeable else a.copy())          # memory-mapped tiles are read-only
    low = t.to(torch.bfloat16).float() if precision == "bf16" else t
    up = 1 + (a.shape[1] + 2) * 2.0 ** -24
    with torch.inference_mode():
        n, r, ln = (torch.linalg.vector_norm(v, dim=1).numpy().astype(np.float64) * up for v in (t, t - low, low))
    return n, r, ln


class Stack:
    """Several (n_i, d) arrays seen as one (sum n_i, d) array, without concatenating them."""

    def __init__(self, parts: Sequence[np.ndarray]):
        self.parts = [p for p in parts if len(p)]
        self.offsets = np.cumsum([0] + [len(p) for p in self.parts])
        self.dim = self.parts[0].shape[1] if self.parts else 0

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def tiles(self, size: int, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """(global start, rows) for consecutive tiles of at most ``size`` rows in [start, stop), within shards."""
        stop = len(self) if stop is None else stop
        for part, off in zip(self.parts, self.offsets[:-1]):
            lo, hi = max(start, off), min(stop, off + len(part))
            for j in range(lo, hi, size):
                yield j, part[j - off : min(hi, j + size) - off]

    def parts_rows(self, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) as one float32 array (copied only when they span two parts)."""
        pieces = [t for _, t in self.tiles(stop - start, start, stop)]
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

    def lowp_tiles(self, size: int, precision: str, start: int = 0, stop: int | None = None):
        """Like :meth:`tiles`, each tile converted to a torch tensor in the pass-1 precision on the fly
        (a few per cent of a block's multiplications; no converted copy of the corpus is kept)."""
        for j0, tile in self.tiles(size, start, stop):
            yield j0, lowp(tile, precision)


def lowp(a: np.ndarray, precision: str):
    """A torch tensor of ``a`` in the pass-1 precision (bf16 or fp32)."""
    import torch

    a = np.ascontiguousarray(a, np.float32)
    t = torch.from_numpy(a if a.flags.writeable else a.copy())          # memory-mapped tiles are read-only
    return t.to(torch.bfloat16) if precision == "bf16" else t


def resolve_precision(precision: str = "auto") -> str:
    """"auto" → bf16 where the CPU multiplies it natively, else fp32 (``ems_mine/precision.py``)."""
    from ..precision import resolve

    return resolve(precision, "cpu")


@dataclass
class TopK:
    """Running top-K lists, best first: sims (n, K) — float32 scores, or for bf16 the scores' raw bit patterns
    as int16 (see :func:`bits_to_float`) — and ids (n, K) int64."""

    sims: np.ndarray
    ids: np.ndarray

    @classmethod
    def empty(cls, n: int, k: int, precision: str = "fp32") -> "TopK":
        if precision == "bf16":
            return cls(np.full((n, k), np.iinfo(np.int16).min, np.int16), np.zeros((n, k), np.int64))
        return cls(np.full((n, k), -np.inf, np.float32), np.zeros((n, k), np.int64))

    def scores(self) -> np.ndarray:
        """The kept scores as float32 (decoding bf16 bit patterns)."""
        return bits_to_float(self.sims) if self.sims.dtype == np.int16 else self.sims


def bits_to_float(bits: np.ndarray) -> np.ndarray:
    """bf16 bit patterns (int16) → float32. The merges compare the raw patterns as int16: that orders every
    non-negative score correctly and puts every negative one below them, so a row whose candidate line is
    below 0 is scanned again (:func:`finalize`); the empty slot (−32768, i.e. −0.0) decodes to −0.0."""
    return (bits.astype(np.uint16).astype(np.uint32) << 16).view(np.float32)


def scan_block(xb: np.ndarray, row0: int, y: Stack, K: int, precision: str, cols: TopK | None,
               cols_range: tuple[int, int] | None = None, rows: TopK | None = None) -> TopK:
    """Pass 1 for the source rows ``xb`` (global rows row0..): their approximate top-K over the targets of
    ``y`` in ``cols_range`` (default all), merging each tile into ``cols`` (the targets' top-K over
    sources, updated in place; indexed from ``cols_range[0]``) too. ``rows``: the rows' top-K lists to continue
    (from other column ranges; updated in place and returned), else new ones. Candidate ids are global. Runs
    single-threaded; the caller sets torch's threads."""
    import torch

    from .topk_kernels import merge_cols, merge_rows

    lo, hi = cols_range or (0, len(y))
    rows = rows if rows is not None else TopK.empty(len(xb), min(K, hi - lo), precision)
    xt = lowp(xb, precision)
    with torch.inference_mode():
        for j0, yt in y.lowp_tiles(COLS, precision, lo, hi):              # each target tile converted once per block
            for r0 in range(0, len(xb), TILE_ROWS):                       # tiles that stay in cache for both merges
                tile = torch.mm(xt[r0 : r0 + TILE_ROWS], yt.T)               # (b, c) in pass-1 precision
                t = (tile.view(torch.int16) if precision == "bf16" else tile).numpy()  # bf16: its bits, no conversion
                merge_rows(t, r0, j0, rows.sims, rows.ids)
                if cols is not None:
                    merge_cols(t, j0 - lo, row0 + r0, cols.sims, cols.ids)
    return rows


def merge_topk(parts: Sequence[TopK], K: int) -> TopK:
    """The top-K of several top-K lists of the same rows, by score then lower index."""
    if len(parts) == 1:
        return parts[0]
    s = np.concatenate([p.sims for p in parts], axis=1)
    i = np.concatenate([p.ids for p in parts], axis=1)
    order = np.lexsort((i, -s.astype(np.float64)), axis=1)[:, :K]       # float64: −(−32768) fits
    return TopK(np.take_along_axis(s, order, 1), np.take_along_axis(i, order, 1))


def finalize(q: np.ndarray, db: Stack, approx: TopK, k: int, bound: ErrorBound, precision: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Pass 2: the exact top-k (n, k) of each query row of ``q`` in ``db`` from its approximate top-K.
    Returns (sims, ids, rows scanned again)."""
    from .topk_kernels import rescore_topk

    n, K = approx.sims.shape
    k = min(k, len(db))
    scores = approx.scores()                                                 # (n, K) float32
    line = bound.line(q, -np.sort(-scores, axis=1)[:, k - 1])                # (n,) the candidates' lower bound
    complete = (scores[:, K - 1] < line) | (K >= len(db))                    # (n,) no candidate was left out
    if approx.sims.dtype == np.int16:                                        # bit patterns order only scores ≥ 0
        complete &= line >= 0
    keep = (scores >= line[:, None]) & complete[:, None]                     # (n, K)
    counts = keep.sum(1)
    again = np.flatnonzero(~complete)
    found = _candidates_above(q[again], db, line[again], precision)          # every candidate, uncapped
    counts[again] = [len(f) for f in found]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    flat = np.empty(offsets[-1], np.int64)
    flat[np.repeat(complete, counts)] = approx.ids[keep]                     # row-major: rows stay in order
    for r, f in zip(again, found):
        flat[offsets[r] : offsets[r + 1]] = f
    sims, ids = np.full((n, k), -np.inf, np.float32), np.full((n, k), -1, np.int64)
    q = np.ascontiguousarray(q, np.float32)
    for part, lo in zip(db.parts, db.offsets[:-1]):
        rescore_topk(q, part, int(lo), offsets, flat, sims, ids)
    return sims, ids, len(again)


def _candidates_above(q: np.ndarray, db: Stack, line: np.ndarray, precision: str, cap: int = 64) -> list[np.ndarray]:
    """Every db row whose pass-1 score with query r is ≥ line[r] (pass 1 again, uncapped)."""
    import torch

    from .topk_kernels import collect_above

    if not len(q):
        return []
    as_bits = precision == "bf16" and bool((line >= 0).all())   # bit patterns order non-negative scores only
    if as_bits:                                                 # the line rounded up onto the bf16 grid
        bits = line.astype(np.float32).view(np.uint32)
        thr = ((bits >> 16) + ((bits & 0xFFFF) != 0)).astype(np.uint16).view(np.int16)
    else:
        thr = line.astype(np.float32)
    out, counts = np.empty((len(q), cap), np.int64), np.zeros(len(q), np.int64)
    qt = lowp(q, precision)
    with torch.inference_mode():
        for j0, yt in db.lowp_tiles(COLS, precision):
            t = torch.mm(qt, yt.T)
            t = t.view(torch.int16) if as_bits else t.float()
            collect_above(t.numpy(), thr, j0, out, counts)
    if counts.max(initial=0) > cap:                             # some rows have more: once more with room for all
        return _candidates_above(q, db, line, precision, int(counts.max()))
    return [out[r, : counts[r]] for r in range(len(q))]


def knn_both_ways(x: np.ndarray | Stack, y: np.ndarray | Stack, k: int, precision: str = "auto",
                  rows: int = ROWS, workers: int | None = None, extra: int = EXTRA, desc: str | None = None):
    """Exact inner-product kNN both ways: (fwd_sim, fwd_idx) (S, k) of x in y and (bwd_sim, bwd_idx) (T, k)
    of y in x, best first, ties to the lower index.

    ``workers`` threads (default: torch's thread count) each own every W-th block of ``rows`` sources and multiply
    single-threaded. The targets are cut into W ranges and the scan runs in W phases: in phase p worker w scans its
    blocks against range (w + p) mod W, so each target range is merged into by one worker at a time and one set of
    target lists serves all workers (no lock, no copy per worker, nothing to merge at the end).
    """
    import torch

    xs = x if isinstance(x, Stack) else Stack([x])
    ys = y if isinstance(y, Stack) else Stack([y])
    precision = resolve_precision(precision)
    bound = ErrorBound.of(xs, ys, precision=precision)
    n_s, n_t = len(xs), len(ys)
    K = k + extra
    blocks = list(xs.tiles(rows))
    workers = max(1, min(workers or torch.get_num_threads(), len(blocks), n_t))
    edges = [n_t * w // workers for w in range(workers + 1)]                 # W target ranges, none empty
    fwd = TopK.empty(n_s, min(K, n_t), precision)
    bwd = TopK.empty(n_t, min(K, n_s), precision)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with _progress(len(blocks) * workers, desc) as bar, ThreadPoolExecutor(workers) as pool:
            def work(w: int, phase: int) -> None:
                lo, hi = edges[(w + phase) % workers], edges[(w + phase) % workers + 1]
                cols = TopK(bwd.sims[lo:hi], bwd.ids[lo:hi])                      # views: merged in place
                for i0, xb in blocks[w::workers]:
                    sl = slice(i0, i0 + len(xb))
                    scan_block(np.asarray(xb), i0, ys, K, precision, cols, (lo, hi), TopK(fwd.sims[sl], fwd.ids[sl]))
                    bar.update(1)
            for phase in range(workers):                                          # a barrier between phases
                list(pool.map(work, range(workers), [phase] * workers))
    finally:
        torch.set_num_threads(threads)
    fs, fi, _ = finalize_stack(xs, ys, fwd, k, bound, precision)
    bs, bi, _ = finalize_stack(ys, xs, bwd, k, bound, precision)
    return fs, fi, bs, bi


def finalize_stack(q: Stack, db: Stack, approx: TopK, k: int, bound: ErrorBound, precision: str,
                   chunk: int = 8192) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`finalize` for every row of ``q``, ``chunk`` rows at a time, the chunks on torch's thread count of
    threads (the rescoring kernel releases the GIL); the result does not depend on the scheduling."""
    import torch

    def one(tile: tuple[int, np.ndarray]):
        start, qb = tile
        sl = slice(start, start + len(qb))
        return finalize(np.asarray(qb), db, TopK(approx.sims[sl], approx.ids[sl]), k, bound, precision)

    with ThreadPoolExecutor(max(1, torch.get_num_threads())) as pool:
        done = list(pool.map(one, q.tiles(chunk)))
    return (np.concatenate([s for s, _, _ in done]), np.concatenate([i for _, i, _ in done]),
            sum(a for _, _, a in done))


def _progress(total: int, desc: str | None):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="block", disable=desc is None, dynamic_ncols=True, mininterval=1.0)
