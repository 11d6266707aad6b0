"""Self-training: mine two monolingual corpora with the current model, continue training it on the mined pairs mixed
with seed pairs (so it does not forget its other languages), evaluate, and repeat.

    DIR/round-<n>/pairs.parquet     the pairs mined with round n−1's model (round 0 is the init model)
    DIR/round-<n>/model/            round n's model
    DIR/report.json, report.md      per round: pairs kept, threshold, the evaluation, training minutes
    DIR/report.png                  the evaluation per round (with matplotlib)

Each finished round is kept: running the same command again resumes at the first unfinished round.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import UserError
from .io_utils import write_json


@dataclass(frozen=True)
class SelfTrainJob:
    src: str
    tgt: str
    src_corpus: str
    tgt_corpus: str
    init: str
    output: str
    rounds: int = 2
    seed_pairs: str | None = None
    seed_ratio: float = 4.0          # seed pairs per mined pair in each round's training mix
    steps: int = 300                 # optimizer steps per round
    threshold: float | None = None   # None: the init model's calibrated threshold
    dev: tuple[str, str] | None = None   # line-aligned evaluation files (src language, tgt language)
    freeze: bool = True              # train only the rows of the source language's own pieces (freeze_init)
    quiet: bool = False
    settings: tuple[str, ...] = ()   # KEY=VALUE training settings for every round (``ems-mine train --set``)


LR_DIVISOR = 10   # rounds continue at a tenth of the init model's learning rate (unless a setting gives lr=)


def evaluate(model_dir: Path, dev: tuple[str, str] | None) -> dict:
    """xSIM error (mean of both directions, ratio margin, k = 4) on the line-aligned dev files."""
    if dev is None:
        return {}
    from .bench.metrics import xsim_error
    from .encoders import load_encoder

    a = Path(dev[0]).read_text(encoding="utf-8").splitlines()
    b = Path(dev[1]).read_text(encoding="utf-8").splitlines()
    if len(a) != len(b) or not a:
        raise UserError(f"--dev {dev[0]},{dev[1]}: the files must be non-empty and line-aligned ({len(a)} vs {len(b)} lines)")
    enc = load_encoder(str(model_dir), device="cpu")
    e = xsim_error(enc.encode(a, normalize_embeddings=True), enc.encode(b, normalize_embeddings=True))
    return {"xsim_error": float(np.mean(e)), "xsim_src2tgt": e[0], "xsim_tgt2src": e[1]}


def run(job: SelfTrainJob) -> dict:
    from .encoders import load_encoder, resolve_model_dir
    from .mining.config import MineConfig
    from .mining.pipeline import MineJob
    from .mining.pipeline import run as mine
    from .mining.thresholds import resolve_threshold
    from .training.commands import init_configs, train_command

    if job.rounds < 1:
        raise UserError(f"--rounds {job.rounds}: at least one round")
    if job.seed_ratio < 0 or (job.seed_ratio > 0 and not job.seed_pairs):
        raise UserError("--seed-ratio > 0 needs --seed-pairs (the pairs that keep the model's other languages)")
    out = Path(job.output)
    out.mkdir(parents=True, exist_ok=True)
    report_path = out / "report.json"
    report = json.loads(report_path.read_text()) if report_path.is_file() else {"rounds": []}
    init = resolve_model_dir(job.init)
    enc0 = load_encoder(str(init), device="cpu")
    value, note = resolve_threshold(job.threshold if job.threshold is not None else "model", enc0, MineConfig())
    if value is None:
        raise UserError(f"{init}: no calibrated threshold; pass --threshold")
    if not report["rounds"]:
        report = {"src": job.src, "tgt": job.tgt, "init": str(init), "threshold": value, "rounds": [
            {"round": 0, "model": str(init), "pairs": None, "minutes": 0.0, **evaluate(init, job.dev)}]}
        write_json(report_path, report)
    model = Path(report["rounds"][-1]["model"])
    init_lr = init_configs(str(init), {}, {})[2].lr                       # the init model's own (its config.json)
    lr = () if any(kv.startswith("lr=") for kv in job.settings) else (f"lr={init_lr / LR_DIVISOR:g}",)
    for n in range(len(report["rounds"]), job.rounds + 1):
        rd = out / f"round-{n}"
        rd.mkdir(exist_ok=True)
        t0 = time.monotonic()
        cfg = MineConfig(threshold=value)
        mine(MineJob(job.src_corpus, job.tgt_corpus, job.src, job.tgt, output=str(rd / "pairs.parquet"), overwrite=True,
                     model=str(model), cache_dir=str(out / "cache"), quiet=True, config=cfg), threshold_note=note)
        import pyarrow.parquet as pq

        n_pairs = pq.read_metadata(rd / "pairs.parquet").num_rows
        if n_pairs == 0:
            raise UserError(f"round {n}: no pairs above the threshold {value}; lower --threshold")
        model_dir = rd / "model"
        if model_dir.exists():
            import shutil

            shutil.rmtree(model_dir)          # an unfinished round's training starts over
        freeze = ("freeze_init=true", f"freeze_except={job.src}") if job.freeze else ()
        if job.freeze and job.seed_pairs:     # every round frees the same rows: those the seed corpus leaves free
            freeze += (f"freeze_rows={_seed_frozen_rows(out, enc0.tokenizer, job, rd / 'pairs.parquet')}",)
        elif job.freeze and n > 1:            # without seed pairs: the rows round 1 freed, no others
            freeze += (f"freeze_rows={out / 'round-1' / 'model' / 'frozen_rows.npy'}",)
        settings = freeze + lr + job.settings
        train_command(str(rd / "pairs.parquet"), str(model_dir), None, str(model), settings, None,
                      job.seed_ratio if job.seed_pairs else None, job.seed_pairs, 0, job.steps, None, False, "cpu",
                      job.quiet)
        minutes = (time.monotonic() - t0) / 60
        report["rounds"].append({"round": n, "model": str(model_dir), "pairs": n_pairs, "threshold": value,
                                 "minutes": round(minutes, 2), **evaluate(model_dir, job.dev)})
        write_json(report_path, report)
        model = model_dir
    _write_md(out, report)
    return report


REFERENCE_PER_LANG = 2_000   # distinct sentences per seed-pair language whose pieces stay frozen


def _seed_frozen_rows(out: Path, tok, job: SelfTrainJob, mined: Path) -> Path:
    """``DIR/frozen_rows.npy`` (written once, in round 1; ``tok`` the init model's tokenizer): every row of the init
    model but the pieces of the source language (its mined and seed sentences) that no sentence of the seed pairs'
    other languages uses, up to REFERENCE_PER_LANG of them per language read over the whole seed file. A round's own
    training mix holds only a few hundred seed pairs, which would leave free most pieces other languages share with
    the source language."""
    path = out / "frozen_rows.npy"
    if path.is_file():
        return path
    from .data.pairs import scan_pairs
    from .languages import normalize_lang
    from .training.freeze import frozen_rows, save_rows

    src = normalize_lang(job.src)
    _, seed, _ = scan_pairs(job.seed_pairs, per_lang_cap=REFERENCE_PER_LANG)
    _, round1, _ = scan_pairs(str(mined), per_lang_cap=10**9)
    kept = [t for lang, texts in seed.items() if normalize_lang(lang) != src for t in texts]
    learnt = [t for sample in (seed, round1) for lang, texts in sample.items() if normalize_lang(lang) == src
              for t in texts]
    save_rows(out, frozen_rows(tok.vocab_size, tok.windows(kept).ids, tok.windows(learnt).ids))
    return path


def _write_md(out: Path, report: dict) -> None:
    rows = report["rounds"]
    lines = [f"# Self-training {report['src']}–{report['tgt']}", "", f"Init model `{report['init']}`; threshold {report['threshold']}.", "",
             "| round | pairs mined | xSIM error (dev) | minutes |", "|---:|---:|---:|---:|"]
    for r in rows:
        x = r.get("xsim_error")
        lines.append(f"| {r['round']} | {'' if r['pairs'] is None else r['pairs']} | "
                     f"{'' if x is None else f'{100 * x:.2f} %'} | {r['minutes']:.1f} |")
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if all("xsim_error" in r for r in rows):
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return
        fig, ax = plt.subplots(figsize=(5, 3.2))
        ax.plot([r["round"] for r in rows], [100 * r["xsim_error"] for r in rows], marker="o")
        ax.set_xlabel("round")
        ax.set_ylabel("xSIM error on dev (%)")
        ax.set_xticks([r["round"] for r in rows])
        ax.set_title(f"self-training {report['src']}–{report['tgt']}")
        fig.tight_layout()
        fig.savefig(out / "report.png", dpi=120)
        plt.close(fig)


__all__ = ["SelfTrainJob", "run", "evaluate"]
