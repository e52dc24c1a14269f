#!/usr/bin/env bash
# How far float summation order moves a result: the CPU preset on
# Fashion-MNIST T-shirt/top (0) and Shirt (6), with oneDNN off and on (two
# float orders on one machine, as two CPUs would give), same seed, one
# 2-thread process each, one after the other. Then each once more, to show
# that a rerun with the same setting is bit-identical. Resumable.
#   bash results/determinism/run.sh [RUNS_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-runs/determinism}
for onednn in 0 1; do
  for repeat in a b; do
    out="$RUNS/onednn${onednn}_${repeat}"
    echo "== oneDNN=$onednn run $repeat -> $out"
    TF_ENABLE_ONEDNN_OPTS=$onednn python -m experiments.benchmark \
      --dataset=fashion_mnist --data_dir=/usr/share/datasets/fashion-mnist \
      --flagfile=experiments/presets/cpu.cfg --normal_classes=0,6 \
      --output_dir="$out" -v -1 > /dev/null
  done
done
python results/determinism/collect.py "$RUNS"
