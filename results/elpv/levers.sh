#!/bin/bash
# Issue 22, item 3 on ELPV: the GAN's levers, judged on the validation
# split only (train_folder never reads test/). Each variant is run.sh's
# flags plus one change; results.json holds validation and train AUROC.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-/tmp/elpv}
OUT=${OUT:-runs/elpv_levers}
FLAGS=(--resize_to=96x96 --image_size=96 --batch_size=16 --epochs=60
       --learning_rate=1e-3 --lr_decay_epochs=20 --noexport --nobaseline
       --data_dir="$DATA/train")
variant() {  # name extra flags...
  local name=$1; shift
  python -m experiments.train_folder --output_dir="$OUT/$name" "${FLAGS[@]}" "$@"
  mkdir -p "results/elpv/levers/$name"
  cp "$OUT/$name/results.json" "results/elpv/levers/$name/"
}
# Every normal training cell (905) instead of as many as the defects (430).
variant all_normals --normal_ratio=3
# The readings of the authors' later code.
variant authors --flagfile=experiments/presets/authors.cfg
