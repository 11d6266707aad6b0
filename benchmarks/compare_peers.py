"""Quality of the bundled model next to the PyPI peers, measured in the same run on the same sentences:
Tatoeba accuracy (mean of both directions) and xSIM error on FLORES dev, per language.

    python benchmarks/compare_peers.py --data ../shared/data [--langs deu,fra,...]

Languages default to the 12 with the most training data. Appends the table to RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from peers import load_peers  # noqa: E402
from results import RESULTS, append_results, machine  # noqa: E402

from ems_mine.bench.metrics import nn_accuracy, xsim_error  # noqa: E402
from ems_mine.bench.tatoeba import TOP12, load_pair  # noqa: E402
from ems_mine.bench.xsim import flores_files, resolve_flores  # noqa: E402
from ems_mine.encoder import EMSEncoder  # noqa: E402

MARK = "<!-- peers -->"


def put_in_card(card: Path, table: str, command: str) -> None:
    """Replace what lies between the two ``<!-- peers -->`` markers of the card with the table."""
    text = card.read_text(encoding="utf-8")
    parts = text.split(MARK)
    if len(parts) != 3:
        sys.exit(f"error: {card} needs exactly two {MARK} lines around the peers table")
    body = (f"\nMeasured on {machine()} with `{command}`; all three models on the same "
            f"sentences in the same run (also in `benchmarks/RESULTS.md`).\n\n{table}\n")
    card.write_text(parts[0] + MARK + body + MARK + parts[2], encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--langs", default=",".join(TOP12), help="Tatoeba codes")
    ap.add_argument("--results", default=str(RESULTS))
    ap.add_argument("--model", default="default", help="the ems-mine model measured (a bundled name or a directory)")
    ap.add_argument("--card", help="also put the table into this model card, between its <!-- peers --> markers")
    args = ap.parse_args()
    data = Path(args.data)
    langs = args.langs.split(",")
    flores = flores_files(data / "eval/flores200-dev")
    eng = flores[resolve_flores("eng_Latn", flores)].read_text(encoding="utf-8").splitlines()
    models = [(f"ems-mine {Path(args.model).name}", EMSEncoder.from_pretrained(args.model, device="cpu"))]
    models += [(p.name, p) for p in load_peers()]
    tat, xs, secs = {}, {}, {}
    for name, enc in models:
        t0 = time.monotonic()
        y_flores = enc.encode(eng)
        for lang in langs:
            xx, en = load_pair(data / "eval/tatoeba", lang)
            tat[name, lang] = float(np.mean(nn_accuracy(enc.encode(xx), enc.encode(en))))
            stem = resolve_flores("zho_Hans" if lang == "cmn" else lang, flores)
            x_flores = enc.encode(flores[stem].read_text(encoding="utf-8").splitlines())
            xs[name, lang] = float(np.mean(xsim_error(x_flores, y_flores)))
        secs[name] = time.monotonic() - t0
        print(f"{name}: Tatoeba {100 * np.mean([tat[name, lg] for lg in langs]):.1f} %, "
              f"xSIM {100 * np.mean([xs[name, lg] for lg in langs]):.1f} % ({secs[name]:.0f}s)", flush=True)
    names = [n for n, _ in models]
    lines = ["| language | " + " | ".join(f"{n}: Tatoeba acc. / xSIM err." for n in names) + " |",
             "|---|" + "---:|" * len(names)]
    for lang in langs:
        lines.append(f"| {lang} | " + " | ".join(f"{100 * tat[n, lang]:.1f} / {100 * xs[n, lang]:.1f}" for n in names) + " |")
    lines.append("| **mean** | " + " | ".join(f"**{100 * np.mean([tat[n, lg] for lg in langs]):.1f} / "
                                           f"{100 * np.mean([xs[n, lg] for lg in langs]):.1f}**" for n in names) + " |")
    table = "\n".join(lines)
    print(table)
    if args.card:
        put_in_card(Path(args.card), table, "python " + " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:]))
    append_results("Default model vs PyPI peers: Tatoeba accuracy / xSIM error on FLORES dev (%, mean of both directions)",
                   "Same sentences for every model (Tatoeba v1; FLORES-200 dev against eng_Latn, ratio margin, k = 4; "
                   "cmn ↔ zho_Hans). Seconds per model: " + ", ".join(f"{n} {s:.0f}" for n, s in secs.items()) + ".",
                   table, args.results)

if __name__ == "__main__":
    main()
