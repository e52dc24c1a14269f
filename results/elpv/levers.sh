#!/bin/bash
# Issue 22, item 3 on ELPV: the GAN's levers, judged on the validation
# split only (train_folder never reads test/). Each variant is run.sh's
# flags plus one change; results.json holds validation and train AUROC.
# Usage: bash results/elpv/levers.sh [variant ...]  (default: all of them)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-/tmp/elpv}
OUT=${OUT:-runs/elpv_levers}
FLAGS=(--resize_to=96x96 --image_size=96 --batch_size=16 --epochs=60
       --learning_rate=1e-3 --lr_decay_epochs=20 --noexport --nobaseline
       --data_dir="$DATA/train")
ONLY=" $* "
variant() {  # name extra flags...
  local name=$1; shift
  [ "$ONLY" = "  " ] || [[ "$ONLY" == *" $name "* ]] || return 0
  python -m experiments.train_folder --output_dir="$OUT/$name" "${FLAGS[@]}" "$@"
  mkdir -p "results/elpv/levers/$name"
  cp "$OUT/$name/results.json" "results/elpv/levers/$name/"
}
# Every normal training cell (905) instead of as many as the defects (430).
variant all_normals --normal_ratio=3
# The readings of the authors' later code.
variant authors --flagfile=experiments/presets/authors.cfg
# The authors' classifier head on G's latent code (G trains as without
# it), scoring by the head's logit; the heat map stays G's error.
variant encoder_head --encoder_head --score=head
# The paper's defect input size, 128x128 (run.sh uses 96x96).
variant input_128 --resize_to=128x128 --image_size=128
# Twice the schedule: the GAN under-fits ELPV (train AUROC 80.8).
variant epochs_120 --epochs=120 --lr_decay_epochs=40
# Four 96-px tiles per cell at twice the resolution (defect tiles chosen
# by a normal-only model's largest error, as for large photos).
variant tiles_4 --resize_to=192x192 --tile_size=96
# Four times the schedule, and twice with every normal cell.
variant epochs_240 --epochs=240 --lr_decay_epochs=80
variant epochs_120_all_normals --epochs=120 --lr_decay_epochs=40 --normal_ratio=3
# The head on mixed batches: each step's group batch and as many cells of
# the other group (probe_latent.py: a linear probe on G's whole code
# separates a held-out quarter of train/ at 85.6, on its pooled code 75.4;
# the one-group head's own logit 65.1 on all of train/).
variant encoder_head_mixed --encoder_head --head_batches=mixed --score=head
# The head reading every position of G's 6x6 latent grid (the probe's
# whole code) instead of their average, on mixed batches.
variant encoder_head_flatten_mixed --encoder_head --encoder_head_pool=flatten --head_batches=mixed --score=head
# The two best levers together: that head, and twice the schedule with
# every normal cell.
variant head_flatten_mixed_epochs_120_all_normals --encoder_head --encoder_head_pool=flatten --head_batches=mixed --score=head --epochs=120 --lr_decay_epochs=40 --normal_ratio=3
# The seed-to-seed spread of the GAN as in run.sh (seed 0 is its base).
variant seed_1 --seed=1
variant seed_2 --seed=2
