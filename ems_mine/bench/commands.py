"""The bench commands' work: embed, score, write JSON + Markdown (+ plots)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UserError
from ..io_utils import write_json
from .bucc import choose_splits, load_split, mine_split, splits_in
from .build_bucc import LABEL, is_constructed
from .metrics import best_threshold, f1_at_threshold, margin_matrix, nn_accuracy, xsim_error
from .report import plot_histogram, plot_prf, write_lang_report
from .tatoeba import available_langs, embed_pair, gold_and_best_other
from .xsim import flores_files, resolve_flores


def _langs(spec: str, available: list[str]) -> list[str]:
    return available if spec == "all" else [x.strip() for x in spec.split(",") if x.strip()]


def _progress(items, desc: str):
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, unit="lang", dynamic_ncols=True)


def run_tatoeba(encoder, data: str, langs: str, out: str, plot: bool = False, batch_size: int = 128) -> dict:
    codes = _langs(langs, available_langs(data))
    results, gold, other = {}, [], []
    for code in _progress(codes, "tatoeba"):
        x, y = embed_pair(encoder, data, code, batch_size)
        xx2en, en2xx = nn_accuracy(x, y)
        results[code] = {"xx2en": xx2en, "en2xx": en2xx}
        if plot:
            g, o = gold_and_best_other(x, y)
            gold.append(g)
            other.append(o)
    meta = {"benchmark": "tatoeba", "data": str(data), "model": encoder.model_id, "protocol": "cosine nearest neighbour"}
    report = write_lang_report(Path(out), "tatoeba", results, meta, "accuracy")
    if plot:
        plot_histogram(Path(out) / "tatoeba_scores.png", np.concatenate(gold), np.concatenate(other), "cosine",
                       "Tatoeba: gold pairs vs best other candidate")
    return report


def run_xsim(encoder, data: str, langs: str, out: str, plot: bool = False, batch_size: int = 128, k: int = 4,
             margin: str = "ratio", target: str = "eng_Latn") -> dict:
    """xSIM of each language against ``target`` (English by default; the JSON keeps the keys xx2en / en2xx)."""
    files = flores_files(data)
    eng = resolve_flores(target, files)
    stems = [resolve_flores(c, files) for c in _langs(langs, [s for s in files if s != eng])]
    y = encoder.encode(files[eng].read_text(encoding="utf-8").splitlines(), batch_size=batch_size)
    results, gold, other = {}, [], []
    for stem in _progress(stems, "xsim"):
        x = encoder.encode(files[stem].read_text(encoding="utf-8").splitlines(), batch_size=batch_size)
        if len(x) != len(y):
            raise UserError(f"{files[stem]}: {len(x)} lines but {files[eng].name} has {len(y)}; FLORES files are line-aligned")
        xx2en, en2xx = xsim_error(x, y, k=k, margin=margin)
        results[stem] = {"xx2en": xx2en, "en2xx": en2xx}
        if plot:
            m = margin_matrix(x, y, k, margin)
            gold.append(np.diag(m).copy())
            np.fill_diagonal(m, -np.inf)
            other.append(m.max(1))
    meta = {"benchmark": "xsim", "data": str(data), "model": encoder.model_id, "margin": margin, "k": k, "target": eng}
    report = write_lang_report(Path(out), "xsim", results, meta, "error rate")
    if plot:
        plot_histogram(Path(out) / "xsim_scores.png", np.concatenate(gold), np.concatenate(other), f"{margin} margin",
                       "xSIM: gold pairs vs best other candidate (xx→en)")
    return report


def _score_split(encoder, data, pair, split, batch_size, k, margin, mode):
    sp = load_split(data, pair, split)
    x = encoder.encode(sp.src_text, batch_size=batch_size)
    y = encoder.encode(sp.tgt_text, batch_size=batch_size)
    pairs, scores = mine_split(sp, x, y, k=k, margin=margin, mode=mode)
    correct = np.array([p in sp.gold for p in pairs], dtype=bool) if sp.gold is not None else None
    return sp, scores, correct


def run_bucc(encoder, data: str, pair: str, out: str, tune_split: str | None = None, eval_split: str | None = None,
             plot: bool = False, batch_size: int = 128, k: int = 4, margin: str = "ratio", mode: str = "max") -> dict:
    if "-" not in pair:
        raise UserError(f"--pair {pair!r}: write it as xx-en, e.g. de-en")
    found = splits_in(data, pair)
    if not found:
        raise UserError(f"{data}: no {pair}.<split>.{pair.split('-')[0]} files; expected the BUCC 2018 or XTREME layout")
    with_gold = [s for s in found if load_split(data, pair, s).gold is not None]
    tune, evaluate, oracle = choose_splits(with_gold, tune_split, eval_split)
    sp_t, s_t, c_t = _score_split(encoder, data, pair, tune, batch_size, k, margin, mode)
    if c_t is None:
        raise UserError(f"{data}: split {tune!r} has no {pair}.{tune}.gold; tune on a split with gold")
    tuned = best_threshold(s_t, c_t, len(sp_t.gold))
    if evaluate == tune:
        sp_e, s_e, c_e = sp_t, s_t, c_t
    else:
        sp_e, s_e, c_e = _score_split(encoder, data, pair, evaluate, batch_size, k, margin, mode)
        if c_e is None:
            raise UserError(f"{data}: split {evaluate!r} has no gold; choose --eval-split among {', '.join(with_gold)}")
    result = f1_at_threshold(s_e, c_e, len(sp_e.gold), tuned["threshold"])
    constructed = is_constructed(data)
    report = {**result, "meta": {"benchmark": "bucc", "pair": pair, "data": str(data), "model": encoder.model_id,
                                 "tune_split": tune, "eval_split": evaluate, "oracle": oracle, "tune": tuned,
                                 "constructed": constructed, "k": k, "margin": margin, "mode": mode,
                                 "candidates": int(len(s_e)), "gold": len(sp_e.gold)}}
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / f"bucc.{pair}.json", report)
    label = " (oracle: threshold tuned on the evaluated split)" if oracle else ""
    md = [f"# BUCC {pair}{label}", "", f"{LABEL}." if constructed else "", "",
          f"Model `{encoder.model_id}`; threshold tuned on `{tune}` = {tuned['threshold']:.6f}, evaluated on `{evaluate}`.", "",
          "| precision | recall | F1 | threshold |", "|---:|---:|---:|---:|",
          f"| {100 * result['precision']:.2f} | {100 * result['recall']:.2f} | {100 * result['f1']:.2f} | {result['threshold']:.6f} |"]
    (out_dir / f"bucc.{pair}.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    if plot:
        plot_histogram(out_dir / f"bucc.{pair}.scores.png", s_e[c_e], s_e[~c_e], "margin score",
                       f"BUCC {pair} ({evaluate}): gold vs other candidates")
        plot_prf(out_dir / f"bucc.{pair}.prf.png", s_e, c_e, len(sp_e.gold), result["threshold"],
                 f"BUCC {pair} ({evaluate}): precision / recall / F1")
    return report
