#!/usr/bin/env bash
# oneDNN on vs off in one sitting: experiments.speed with TF_ENABLE_ONEDNN_OPTS
# set for the whole measurement (its worker processes inherit it), the two
# settings alternating per (batch, shape). Writes one JSON per measurement
# here; table.py turns them into table.md.
#   bash results/speed/onednn/run.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../../.."
OUT=${1:-results/speed/onednn}
for batch in 1 16; do
  # Batch 1 runs 4,000 steps an epoch (group 2,000): steps/s do not depend
  # on the group size now that images are arguments of the compiled loop.
  if [ "$batch" = 1 ]; then group=2000; inference=--noinference; else group=6000; inference=--inference; fi
  for shape in 32x32x1 32x32x3; do
    for onednn in 0 1; do
      name="$OUT/batch${batch}_${shape}_onednn${onednn}.json"
      [ -f "$name" ] && continue
      echo "== batch $batch $shape oneDNN=$onednn"
      TF_ENABLE_ONEDNN_OPTS=$onednn python -m experiments.speed \
        --flagfile=experiments/presets/cpu.cfg --batch_sizes=$batch \
        --shapes=$shape --group_size=$group --layouts=1x2,2x1 $inference \
        --inference_repeats=5 --output="$name"
    done
  done
done
