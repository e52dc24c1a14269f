#!/usr/bin/env bash
# Issue 19, item 4: a quick preset whose digits table does not hinge on
# float summation order. Each candidate step budget runs the whole digits
# protocol with a validation split (20% of each training class), once with
# oneDNN off and once on: two float orders on one machine, as two CPUs
# would give. collect.py ranks the candidates on validation AUROC only.
# Resumable: finished runs are read back.
#   bash results/quick_preset/run.sh [RUNS_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-runs/quick_preset}
for budget in 0 1000 2000 4000; do
  for onednn in 0 1; do
    out="$RUNS/budget${budget}_onednn${onednn}"
    echo "== --min_steps=$budget oneDNN=$onednn -> $out"
    start=$(date +%s)
    TF_ENABLE_ONEDNN_OPTS=$onednn python -m experiments.benchmark \
      --dataset=digits --flagfile=experiments/presets/quick.cfg \
      --min_steps=$budget --validation_fraction=0.2 --jobs=2 \
      --output_dir="$out" -v -1 > /dev/null
    echo "   $(( $(date +%s) - start )) s"
  done
done
python results/quick_preset/collect.py "$RUNS"
