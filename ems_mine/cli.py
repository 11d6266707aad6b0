"""Command line: ``ems-mine`` mines bitext; ``ems-mine train`` and ``ems-mine embed`` are subcommands.

Heavy modules (torch, faiss, pyarrow) are imported inside the commands so ``--help`` is instant.
"""
from __future__ import annotations

import sys
from functools import wraps

import click

from .errors import UserError


def _friendly(fn):
    """Turn UserError into a one-line message and exit status 2."""

    @wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UserError as e:
            click.echo(f"ems-mine: error: {e}", err=True)
            sys.exit(2)

    return run


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--src", help="Source language code (ISO 639-1/3, e.g. de or deu).")
@click.option("--tgt", help="Target language code.")
@click.option("--src-corpus", type=click.Path(), help="Source sentences: Parquet file/dir/glob (column text) or text/.gz.")
@click.option("--tgt-corpus", type=click.Path(), help="Target sentences, same formats.")
@click.option("-o", "--output", type=click.Path(), help="Output file (.parquet, or .tsv with --format tsv).")
@click.option("--model", type=click.Path(), help="Model directory (default: the bundled model).")
@click.option("--k", "k", default=4, show_default=True, help="Neighbourhood size for the margin.")
@click.option("--margin", type=click.Choice(["ratio", "distance", "absolute"]), default="ratio", show_default=True)
@click.option("--mode", type=click.Choice(["max", "forward", "backward", "intersect"]), default="max", show_default=True)
@click.option("--threshold", type=float, default=None, help="Keep pairs scoring at least this.")
@click.option("--max-score", type=float, default=None, help="Drop pairs scoring above this (junk cap).")
@click.option("--max-length-ratio", type=float, default=None, help="Drop pairs whose character lengths differ more than this factor.")
@click.option("--dedup/--no-dedup", default=True, show_default=True, help="Drop exact duplicate (src, tgt) text pairs.")
@click.option("--index", type=click.Choice(["flat", "ivf", "ivfpq"]), default="flat", show_default=True,
              help="kNN index: exact flat search, or approximate IVF / IVF-PQ for corpora past memory.")
@click.option("--src-emb", type=click.Path(), help="Precomputed source embeddings (.npy from `ems-mine embed`).")
@click.option("--tgt-emb", type=click.Path(), help="Precomputed target embeddings.")
@click.option("--cache-dir", type=click.Path(), help="Where embedding shards are kept (default ~/.cache/ems-mine).")
@click.option("--format", "fmt", type=click.Choice(["parquet", "tsv"]), default=None, help="Output format (default from suffix).")
@click.option("--batch-size", default=128, show_default=True, help="Sentences per encoder batch.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or summary.")
@click.pass_context
@_friendly
def main(ctx, **opts):
    """Mine parallel sentences: ems-mine --src de --tgt en --src-corpus DE --tgt-corpus EN -o pairs.parquet

    With no corpora it mines the bundled sample corpus with the bundled model.
    """
    if ctx.invoked_subcommand is not None:
        return
    from .mining.stage import MineOptions, mine_command

    mine_command(MineOptions(**opts))


@main.command()
@click.option("--train", "train_path", required=True, help="Parallel pairs: Parquet file, directory or glob "
              "(columns src_lang, src, tgt_lang, tgt).")
@click.option("--out", "out_dir", required=True, type=click.Path(), help="Model directory to write.")
@click.option("--preset", default="ems-mini", show_default=True, help="Model size: ems-base, ems-small, ems-mini, ems-tiny.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a model or training setting, e.g. --set d_model=384 --set lr=3e-4.")
@click.option("--max-steps", type=int, help="Schedule length in optimizer steps (default: epochs over the data).")
@click.option("--max-minutes", type=float, help="Stop after this many minutes; sizes the schedule if --max-steps is not given.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--device", help="cpu, cuda or cuda:N (default: cuda when available).")
@_friendly
def train(train_path, out_dir, preset, overrides, max_steps, max_minutes, resume, device):
    """Train an EMS encoder (XTR + contrastive) from scratch on parallel pairs."""
    from .config import PRESETS, TrainConfig, apply_overrides, split_overrides
    from .training.trainer import train as run_train

    if preset not in PRESETS:
        raise UserError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    model_over, train_over = split_overrides(overrides)
    run_train(train_path, out_dir, apply_overrides(PRESETS[preset], model_over),
              apply_overrides(TrainConfig(), train_over), max_steps=max_steps, max_minutes=max_minutes,
              resume=resume, device=device)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(), help="Output .npy (a .json manifest is written beside it).")
@click.option("--model", type=click.Path(), help="Model directory (default: the bundled model).")
@click.option("--lang", help="Language code of the input.")
@click.option("--batch-size", default=128, show_default=True)
@click.option("--normalize", is_flag=True, help="L2-normalise the embeddings.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@_friendly
def embed(input_path, output, model, lang, batch_size, normalize, overwrite):
    """Embed a text or Parquet file into an (N, D) float32 .npy."""
    from .embed_stage import embed_file

    embed_file(input_path, output, model, lang, batch_size, normalize, overwrite)


@main.group()
def bench():
    """Benchmarks: Tatoeba, BUCC and xSIM; any EMS or Hugging Face encoder."""


_model_option = click.option("--model", type=click.Path(), help="EMS or Hugging Face model directory (default: the bundled model).")
_plot_option = click.option("--plot", is_flag=True, help="Also write PNG plots (needs matplotlib).")


@bench.command("tatoeba")
@click.option("--data", required=True, type=click.Path(), help="Directory with tatoeba.xxx-eng.{xxx,eng} (v1 layout).")
@click.option("--langs", default="all", show_default=True, help="Comma-separated codes as in the file names, or all.")
@_model_option
@click.option("--out", required=True, type=click.Path(), help="Directory for tatoeba.json and tatoeba.md.")
@_plot_option
@_friendly
def bench_tatoeba(data, langs, model, out, plot):
    """Tatoeba accuracy, xx→en and en→xx (cosine nearest neighbour)."""
    from .bench.commands import run_tatoeba
    from .hf_encoder import load_encoder

    report = run_tatoeba(load_encoder(model), data, langs, out, plot)
    click.echo(f"average accuracy: xx→en {100 * report['average']['xx2en']:.2f} %, en→xx {100 * report['average']['en2xx']:.2f} %")


@bench.command("xsim")
@click.option("--data", required=True, type=click.Path(), help="FLORES-200 directory (<lang>_<Script>.dev files).")
@click.option("--langs", required=True, help="Comma-separated FLORES stems or codes (deu_Latn,fra or all).")
@_model_option
@click.option("--out", required=True, type=click.Path(), help="Directory for xsim.json and xsim.md.")
@_plot_option
@_friendly
def bench_xsim(data, langs, model, out, plot):
    """xSIM error rate against English (ratio margin, k = 4), both directions."""
    from .bench.commands import run_xsim
    from .hf_encoder import load_encoder

    report = run_xsim(load_encoder(model), data, langs, out, plot)
    click.echo(f"average xSIM error: xx→en {100 * report['average']['xx2en']:.2f} %, en→xx {100 * report['average']['en2xx']:.2f} %")


@bench.command("bucc")
@click.option("--data", required=True, type=click.Path(), help="Directory in the BUCC 2018 or XTREME layout.")
@click.option("--pair", required=True, help="Language pair as in the file names, e.g. de-en.")
@click.option("--tune-split", help="Split to tune the threshold on (default: the first split with gold).")
@click.option("--eval-split", help="Split to report (default: the next split with gold; the same one = oracle).")
@_model_option
@click.option("--out", required=True, type=click.Path(), help="Directory for bucc.<pair>.json and .md.")
@_plot_option
@_friendly
def bench_bucc(data, pair, tune_split, eval_split, model, out, plot):
    """BUCC F1 / precision / recall with the threshold tuned on one split (LASER's rule)."""
    from .bench.commands import run_bucc
    from .hf_encoder import load_encoder

    r = run_bucc(load_encoder(model), data, pair, out, tune_split, eval_split, plot)
    tag = " (oracle)" if r["meta"]["oracle"] else ""
    click.echo(f"{pair} {r['meta']['eval_split']}{tag}: F1 {100 * r['f1']:.2f} P {100 * r['precision']:.2f} "
               f"R {100 * r['recall']:.2f} at threshold {r['threshold']:.6f}")


@bench.command("build-bucc")
@click.option("--src-file", required=True, type=click.Path(), help="Source sentences, line-aligned with --tgt-file.")
@click.option("--tgt-file", required=True, type=click.Path(), help="Target sentences.")
@click.option("--pair", required=True, help="Pair name for the files, e.g. de-en.")
@click.option("--gold", default=100, show_default=True, help="Gold pairs per split.")
@click.option("--noise", default=300, show_default=True, help="Non-parallel sentences per side and split.")
@click.option("--extra-src", type=click.Path(), help="More non-parallel source sentences (one per line).")
@click.option("--extra-tgt", type=click.Path(), help="More non-parallel target sentences.")
@click.option("--splits", default="sample,training", show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--out", required=True, type=click.Path())
@click.option("--overwrite", is_flag=True)
@_friendly
def bench_build_bucc(src_file, tgt_file, pair, gold, noise, extra_src, extra_tgt, splits, seed, out, overwrite):
    """Build a BUCC-style set (labelled as constructed) from line-aligned parallel text."""
    from .bench.build_bucc import build_bucc

    build_bucc(src_file, tgt_file, pair, out, gold, noise, tuple(splits.split(",")), extra_src, extra_tgt, seed, overwrite)
    click.echo(f"wrote a constructed BUCC-style set to {out}")


if __name__ == "__main__":
    main()
