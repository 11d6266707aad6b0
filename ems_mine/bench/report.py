"""Writing bench results: JSON, a Markdown table, optional plots (matplotlib)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UserError
from ..io_utils import write_json


def write_lang_report(out: Path, name: str, results: dict[str, dict[str, float]], meta: dict, metric: str) -> dict:
    """``results`` maps language code → {"xx2en", "en2xx"}; writes ``name``.json and ``name``.md."""
    out.mkdir(parents=True, exist_ok=True)
    avg = {d: float(np.mean([r[d] for r in results.values()])) for d in ("xx2en", "en2xx")}
    data = {**results, "average": avg, "meta": {**meta, "metric": metric}}
    write_json(out / f"{name}.json", data)
    lines = [f"# {name}: {metric} (%)", "", f"Model: `{meta.get('model')}`", "",
             "| language | xx→en | en→xx | mean |", "|---|---:|---:|---:|"]
    for code, r in [*results.items(), ("**average**", avg)]:
        lines.append(f"| {code} | {100 * r['xx2en']:.2f} | {100 * r['en2xx']:.2f} | {50 * (r['xx2en'] + r['en2xx']):.2f} |")
    (out / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UserError("--plot needs matplotlib: pip install 'ems-mine[plot]'") from None
    return plt


def plot_histogram(path: Path, gold: np.ndarray, other: np.ndarray, xlabel: str, title: str) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    bins = np.linspace(min(gold.min(initial=0), other.min(initial=0)), max(gold.max(initial=1), other.max(initial=1)), 60)
    ax.hist(other, bins=bins, alpha=0.6, label=f"other pairs ({len(other)})")
    ax.hist(gold, bins=bins, alpha=0.6, label=f"gold pairs ({len(gold)})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("pairs")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_prf(path: Path, scores: np.ndarray, correct: np.ndarray, n_gold: int, threshold: float, title: str) -> None:
    plt = _pyplot()
    order = np.argsort(-scores, kind="stable")
    s, tp = scores[order], np.cumsum(correct[order])
    n = np.arange(1, len(s) + 1)
    p, r = tp / n, tp / max(n_gold, 1)
    f1 = np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-12), 0)
    fig, ax = plt.subplots(figsize=(6, 4))
    for y, label in ((p, "precision"), (r, "recall"), (f1, "F1")):
        ax.plot(s, y, label=label)
    ax.axvline(threshold, color="grey", linestyle="--", label=f"threshold {threshold:.4f}")
    ax.set_xlabel("margin score (cut-off)")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
