#!/usr/bin/env bash
# Adapt the bundled base model to the ten AmericasNLP 2021 languages (Spanish pivot): pairs from the shared training
# data (sentence pairs, dictionaries, Global Voices), a vocabulary extended with pieces of the new languages, training
# continued from the base model with a replay sample of its own corpus, then the weights interpolated with the base
# model's (the largest share of the new ones that keeps the 12 best-covered languages' Tatoeba mean within half a point)
# and packaged with their card: the default model if no worse on the original languages, else `americasnlp` beside it
# (pipelines/package_americasnlp.py; xSIM against Spanish on development splits held out from the training files).
#   bash pipelines/adapt_americasnlp.sh [SHARED_DATA_DIR]
# Resumable: run it again to continue. Needs the base model's corpus (bash pipelines/train_default.sh makes it).
set -euo pipefail
DATA=${1:-../shared/data}
STEPS=${STEPS:-3000}
[ -f data/americasnlp/pairs.parquet ] || python pipelines/prepare_corpus.py --data "$DATA" --sources americasnlp \
    --out data/americasnlp --max-ratio 3
[ -f data/americasnlp/mix.parquet ] || python pipelines/mix_corpus.py --pairs data/americasnlp/pairs.parquet \
    --out data/americasnlp/mix.parquet --source americasnlp:sentences,americasnlp:globalvoices,americasnlp:educational=2
resume() { for d in "$1"/checkpoint "$1"/checkpoint.tmp "$1"/checkpoint.old; do [ -d "$d" ] && { echo --resume; return; }; done; true; }
if [ -n "$(resume runs/americasnlp)" ]; then
    ems-mine train --resume -o runs/americasnlp --train data/americasnlp/mix.parquet
else
    ems-mine train --train data/americasnlp/mix.parquet -o runs/americasnlp --init base --extend-vocab 8000 \
        --replay 1 --replay-data data/train-pairs/mix.parquet --set warmup_steps=300 --set val_every=1000 \
        --set ckpt_every=500 --max-steps "$STEPS"
fi
python pipelines/package_americasnlp.py --run runs/americasnlp --data "$DATA"
