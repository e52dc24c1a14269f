#!/bin/bash
# What a JPEG copy costs (issue 21, item 4): the CPU-hour preset and the
# classifier baseline on Fashion-MNIST Pullover, Coat, Shirt (originals vs
# one JPEG q75 re-encoding) and on CIFAR-10 bird, cat (the JPEG copy vs
# the copy re-encoded once more at q75), all run here in one sitting.
# Resumable: rerun to finish.
set -euo pipefail
cd "$(dirname "$0")/../.."
FMNIST=/usr/share/datasets/fashion-mnist
CIFAR=${CIFAR:-/tmp/cifar}
WORK=${WORK:-/tmp/jpeg_cost}
[ -d "$CIFAR/cifar-10-batches-py" ] || python ../shared/data/cifar10-jpeg/build.py "$CIFAR"
[ -f "$WORK/fmnist_q75/t10k-labels-idx1-ubyte.gz" ] || \
  python results/jpeg_cost/reencode.py fashion_mnist "$FMNIST" "$WORK/fmnist_q75"
[ -f "$WORK/cifar_q75/cifar-10-batches-py/batches.meta" ] || \
  python results/jpeg_cost/reencode.py cifar10 "$CIFAR" "$WORK/cifar_q75"
run() {  # name dataset data_dir classes model
  python -m experiments.benchmark --dataset="$2" --data_dir="$3" \
      --normal_classes="$4" --model="$5" \
      --flagfile=experiments/presets/cpu_hour.cfg --jobs=2 \
      --output_dir="runs/jpeg_cost/$1_$5"
  mkdir -p "results/jpeg_cost/$1_$5"
  rsync -a --exclude='*.keras' --exclude=checkpoints --exclude=summaries \
      --exclude='.checkpoints*' "runs/jpeg_cost/$1_$5/" "results/jpeg_cost/$1_$5/"
}
for model in classifier gan; do
  run fmnist_original fashion_mnist "$FMNIST" 2,4,6 $model
  run fmnist_q75 fashion_mnist "$WORK/fmnist_q75" 2,4,6 $model
  run cifar_jpeg cifar10 "$CIFAR" 2,3 $model
  run cifar_jpeg_q75 cifar10 "$WORK/cifar_q75" 2,3 $model
done
python results/jpeg_cost/table.py
