#!/usr/bin/env bash
# Adapt the bundled model to the ten AmericasNLP 2021 languages (Spanish pivot): pairs from the shared training data
# (sentence pairs, dictionaries, Global Voices), a vocabulary extended with pieces of the new languages, training
# continued from the bundled model with a replay sample of its own corpus, then a model directory with its card
# (xSIM against Spanish on a development split held out from the training files; Tatoeba on the original languages).
#   bash pipelines/adapt_americasnlp.sh [SHARED_DATA_DIR]
# Resumable: run it again to continue. Needs the default model's corpus (bash pipelines/train_default.sh makes it).
set -euo pipefail
DATA=${1:-../shared/data}
STEPS=${STEPS:-6000}
[ -f data/americasnlp/pairs.parquet ] || python pipelines/prepare_corpus.py --data "$DATA" --sources americasnlp \
    --out data/americasnlp --max-ratio 3
[ -f data/americasnlp/mix.parquet ] || python pipelines/mix_corpus.py --pairs data/americasnlp/pairs.parquet \
    --out data/americasnlp/mix.parquet --source americasnlp:sentences,americasnlp:globalvoices,americasnlp:educational=2
resume() { for d in "$1"/checkpoint "$1"/checkpoint.tmp "$1"/checkpoint.old; do [ -d "$d" ] && { echo --resume; return; }; done; true; }
if [ -n "$(resume runs/americasnlp)" ]; then
    ems-mine train --resume -o runs/americasnlp --train data/americasnlp/mix.parquet
else
    ems-mine train --train data/americasnlp/mix.parquet -o runs/americasnlp --init default --extend-vocab 8000 \
        --replay 1 --replay-data data/train-pairs/mix.parquet --set warmup_steps=300 --set val_every=2000 \
        --set ckpt_every=500 --max-steps "$STEPS"
fi
python pipelines/package_americasnlp.py --run runs/americasnlp --data "$DATA"
