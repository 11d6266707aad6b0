"""Write stage: mined pairs → Parquet, TSV or JSON Lines (the same columns and rows in each) + ``summary.json``.

The schema, in this order: ``score, src_lang, tgt_lang, src_id, tgt_id, src_text, tgt_text``, then each
side's carried columns as ``src_<name>`` / ``tgt_<name>``. ``ems-mine train`` reads it as it is.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from ..io_utils import atomic_path, write_json
from .config import FORMATS

COLUMNS = ("score", "src_lang", "tgt_lang", "src_id", "tgt_id", "src_text", "tgt_text")


def output_format(output: str | Path, fmt: str | None) -> str:
    if fmt:
        return fmt
    name = str(output)
    if name.endswith((".tsv", ".tsv.gz")):
        return "tsv"
    if name.endswith((".jsonl", ".jsonl.gz")):
        return "jsonl"
    return "parquet"


def pairs_table(scores: np.ndarray, src_lang: str, tgt_lang: str, src_rows, tgt_rows):
    """The output table from the scores and both sides' fetched rows (``id``, ``text``, carried columns)."""
    import pyarrow as pa

    n = len(scores)
    cols = {"score": pa.array(np.asarray(scores, np.float32), pa.float32()),
            "src_lang": pa.array([src_lang] * n, pa.string()), "tgt_lang": pa.array([tgt_lang] * n, pa.string()),
            "src_id": src_rows.column("id"), "tgt_id": tgt_rows.column("id"),
            "src_text": src_rows.column("text"), "tgt_text": tgt_rows.column("text")}
    for side, rows in (("src", src_rows), ("tgt", tgt_rows)):
        for name in rows.column_names:
            if name not in ("id", "text"):
                cols[f"{side}_{name}"] = rows.column(name)
    return pa.table(cols)


def write_table(table, output: str | Path, fmt: str, overwrite: bool) -> None:
    """Write atomically; without ``overwrite`` an output that appeared meanwhile is never replaced."""
    output = str(output)
    with atomic_path(output, overwrite) as tmp:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, tmp)
            return
        import gzip

        opener = gzip.open if output.endswith(".gz") else open
        kw = {"mtime": 0} if output.endswith(".gz") else {}
        with opener(tmp, "wt", encoding="utf-8", newline="", **kw) as f:
            names = table.column_names
            rows = zip(*(table.column(c).to_pylist() for c in names))
            if fmt == "tsv":
                f.write("\t".join(names) + "\n")
                for row in rows:
                    f.write("\t".join(_tsv_cell(v) for v in row) + "\n")
            else:
                for row in rows:
                    f.write(json.dumps({k: _json_cell(v) for k, v in zip(names, row)}, ensure_ascii=False) + "\n")


def _tsv_cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.6f}"
    return "" if v is None else str(v).replace("\t", " ").replace("\n", " ")


def _json_cell(v):
    return round(v, 6) if isinstance(v, float) else v


def summary_path(output: str | Path) -> Path:
    p = Path(output)
    name = p.name
    for suffix in (".parquet", ".tsv.gz", ".tsv", ".jsonl.gz", ".jsonl"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return p.with_name(name + ".summary.json")


def write_summary(output: str | Path, summary: dict) -> Path:
    path = summary_path(output)
    write_json(path, summary)
    return path


def quantiles(scores: np.ndarray) -> dict:
    if len(scores) == 0:
        return {}
    qs = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
    return {f"p{int(q * 100)}": round(float(v), 4) for q, v in zip(qs, np.quantile(scores, qs))}


def print_summary(summary: dict, table, output: str | None) -> None:
    err = sys.stderr
    print(f"mined {summary['pairs']} pairs from {summary['src']['sentences']} {summary['src']['lang']} × "
          f"{summary['tgt']['sentences']} {summary['tgt']['lang']} sentences "
          f"({summary['candidates']} candidates; dropped {summary['dropped']})", file=err)
    if summary.get("threshold_note"):
        print(summary["threshold_note"], file=err)
    if summary.get("knn"):
        k = summary["knn"]
        print("kNN: " + ", ".join(f"{a} {b}" for a, b in k.items()), file=err)
    if summary["score_quantiles"]:
        print("score quantiles: " + ", ".join(f"{k} {v}" for k, v in summary["score_quantiles"].items()), file=err)
    print("stages: " + ", ".join(f"{k} {v['seconds']}s/{v['peak_rss_mb']}MB" for k, v in summary["stages"].items()), file=err)
    for s, a, b in zip(table.column("score").to_pylist()[:5], table.column("src_text").to_pylist()[:5],
                       table.column("tgt_text").to_pylist()[:5]):
        print(f"  {s:.3f}  {a[:60]}  |||  {b[:60]}", file=err)
    if output:
        print(f"wrote {output} and {summary_path(output)}", file=err)


__all__ = ["COLUMNS", "FORMATS", "output_format", "pairs_table", "write_table", "write_summary", "summary_path"]
