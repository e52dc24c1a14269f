#!/bin/bash
# Issue 22, item 3 on the synthetic set: the GAN's levers, judged on the
# development set (make_synthetic --seed=2: 60 normal + 15 photos of each
# defect kind), never on test/ (seed 1). Each variant is the README's
# command plus one change; results/synthetic_defects/levers/NAME/ keeps
# train_folder's results.json and predict's evaluation.json on dev/.
# Usage: bash results/synthetic_defects/levers.sh [variant ...]  (default: all)
set -euo pipefail
cd "$(dirname "$0")/../.."
D=${D:-/tmp/synthetic_defects}
OUT=${OUT:-runs/synthetic_levers}
[ -f "$D/train/manifest.json" ] || python -m experiments.make_synthetic \
    --output_dir="$D/train" --width=1096 --height=500 --seed=0
[ -f "$D/dev/manifest.json" ] || python -m experiments.make_synthetic \
    --output_dir="$D/dev" --width=1096 --height=500 --seed=2 \
    --num_normal=60 --num_scratch=15 --num_stamped=15 --num_stain=15
FLAGS=(--tile_size=50 --image_size=64 --score=patch --nobaseline --noexport)
ONLY=" $* "
variant() {  # name extra flags...
  local name=$1; shift
  [ "$ONLY" = "  " ] || [[ "$ONLY" == *" $name "* ]] || return 0
  python -m experiments.train_folder --data_dir="$D/train" \
      --output_dir="$OUT/$name" "${FLAGS[@]}" "$@"
  python -m experiments.predict --model="$OUT/$name" --images="$D/dev" \
      --output_dir="$OUT/$name/dev" --evaluate --nooverlays
  mkdir -p "results/synthetic_defects/levers/$name"
  cp "$OUT/$name/results.json" "$OUT/$name/dev/evaluation.json" \
      "results/synthetic_defects/levers/$name/"
}
# The README's command: 27 defect tiles and as many normal tiles.
variant base
# More of the 400 normal photos' tiles: 4x and 16x the defect tiles (the
# step cap, 20,000, keeps the number of updates about the same).
variant normal_ratio_4 --normal_ratio=4
variant normal_ratio_16 --normal_ratio=16
# Three times the schedule (48,600 steps instead of 16,200).
variant epochs_900 --epochs=900 --lr_decay_epochs=150 --max_steps=0
