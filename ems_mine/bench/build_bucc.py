"""Build a BUCC-style set from line-aligned parallel text: gold pairs hidden among non-parallel
sentences, written in the BUCC 2018 file layout and labelled as constructed (never BUCC itself)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UserError
from ..io_utils import atomic_path

LABEL = "CONSTRUCTED: a BUCC-style set built by ems-mine, not the BUCC 2018 shared-task data"


def _lines(path: str | Path) -> list[str]:
    p = Path(path)
    if not p.is_file():
        raise UserError(f"{p}: no such file")
    return [" ".join(x.split()) for x in p.read_text(encoding="utf-8").splitlines()]


def build_bucc(src_file: str, tgt_file: str, pair: str, out: str | Path, gold: int, noise: int,
               splits: tuple[str, ...] = ("sample", "training"), extra_src: str | None = None,
               extra_tgt: str | None = None, seed: int = 0, overwrite: bool = False) -> Path:
    """Write ``<pair>.<split>.{src,tgt,gold}`` for each split: ``gold`` pairs from the aligned files
    plus ``noise`` non-parallel sentences per side (other lines of the aligned files, then the extras)."""
    src_lang, tgt_lang = pair.split("-")
    a, b = _lines(src_file), _lines(tgt_file)
    if len(a) != len(b):
        raise UserError(f"{src_file}: {len(a)} lines but {tgt_file} has {len(b)}; the files must be line-aligned")
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise UserError(f"{out}: output exists; pass --overwrite or choose another directory")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(a)).tolist()
    ex_a = _lines(extra_src) if extra_src else []
    ex_b = _lines(extra_tgt) if extra_tgt else []
    need_aligned = len(splits) * gold
    free = len(a) - need_aligned
    if free < 0:
        raise UserError(f"{src_file}: {len(a)} lines cannot give {len(splits)} splits × {gold} gold pairs; lower --gold")
    own_noise = free // (2 * len(splits))                       # aligned lines used as noise, per side and split
    if own_noise + len(ex_a) // len(splits) < noise or own_noise + len(ex_b) // len(splits) < noise:
        raise UserError(f"not enough non-parallel sentences for --noise {noise} per side and split; add --extra-src/--extra-tgt")
    out.mkdir(parents=True, exist_ok=True)
    cursor = need_aligned
    for s, split in enumerate(splits):
        g = order[s * gold : (s + 1) * gold]
        n_own = min(own_noise, noise)
        src_noise = [a[i] for i in order[cursor : cursor + n_own]]
        tgt_noise = [b[i] for i in order[cursor + n_own : cursor + 2 * n_own]]
        cursor += 2 * n_own
        per = noise - n_own
        src_noise += ex_a[s * per : (s + 1) * per]
        tgt_noise += ex_b[s * per : (s + 1) * per]
        src_rows = [(a[i], f"g{n}") for n, i in enumerate(g)] + [(t, None) for t in src_noise]
        tgt_rows = [(b[i], f"g{n}") for n, i in enumerate(g)] + [(t, None) for t in tgt_noise]
        src_ids, tgt_ids = {}, {}
        for rows, lang, ids, fname in ((src_rows, src_lang, src_ids, src_lang), (tgt_rows, tgt_lang, tgt_ids, tgt_lang)):
            perm = rng.permutation(len(rows))
            with atomic_path(out / f"{pair}.{split}.{fname}", overwrite=True) as tmp:
                with open(tmp, "w", encoding="utf-8") as f:
                    for n, r in enumerate(perm):
                        text, key = rows[r]
                        sid = f"{lang}-{n + 1:09d}"
                        if key:
                            ids[key] = sid
                        f.write(f"{sid}\t{text}\n")
        with atomic_path(out / f"{pair}.{split}.gold", overwrite=True) as tmp:
            tmp.write_text("".join(f"{src_ids[k]}\t{tgt_ids[k]}\n" for k in sorted(src_ids, key=lambda k: src_ids[k])))
    (out / "CONSTRUCTED.md").write_text(
        f"# {LABEL}\n\nPair {pair}; splits {', '.join(splits)}; {gold} gold pairs and {noise} non-parallel sentences "
        f"per side in each split (seed {seed}).\nGold pairs: line-aligned `{src_file}` / `{tgt_file}`.\n"
        f"Non-parallel sentences: other lines of those files" + (f", then `{extra_src}` / `{extra_tgt}`" if extra_src else "")
        + ".\nReport results on this set as constructed, never as BUCC.\n", encoding="utf-8")
    return out


def is_constructed(data_dir: str | Path) -> bool:
    return (Path(data_dir) / "CONSTRUCTED.md").is_file()
