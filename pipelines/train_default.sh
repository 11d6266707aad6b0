#!/usr/bin/env bash
# The recipe behind the bundled default model: corpus → tokenizer + model → packaged fp16 model.
# Runs on 2 CPU cores; resumable (run it again to continue from the last checkpoint).
#   bash pipelines/train_default.sh [SHARED_DATA_DIR]
set -euo pipefail
DATA=${1:-../shared/data}
[ -f data/train-pairs/pairs.parquet ] || python pipelines/prepare_corpus.py --data "$DATA" --out data/train-pairs
RESUME=""
[ -f runs/default/checkpoint/state.json ] && RESUME="--resume"
ems-mine train --train data/train-pairs/pairs.parquet --out runs/default --preset ems-mini $RESUME \
    --set max_len=48 --set vocab_size=12000 --set batch_size=96 --set lr=1e-3 --set warmup_steps=150 \
    --set val_every=250 --set ckpt_every=250 --set tokenizer_sample=200000 --max-steps 1500
python pipelines/package_default.py --run runs/default --data "$DATA" --corpus-stats data/train-pairs/stats.json
