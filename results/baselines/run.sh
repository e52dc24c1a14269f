#!/bin/bash
# The two baselines (--model=classifier, --model=autoencoder) on the
# CPU-hour preset's full tables, with the GAN's exact flags otherwise.
# Resumable: rerun to finish; finished classes are skipped.
# Copies each run (without models, checkpoints and summaries) to results/.
set -euo pipefail
cd "$(dirname "$0")/../.."
CIFAR=${CIFAR:-/tmp/cifar}
if [ ! -d "$CIFAR/cifar-10-batches-py" ]; then
  python ../shared/data/cifar10-jpeg/build.py "$CIFAR"
fi
run() {  # dataset data_dir model results_dir
  python -m experiments.benchmark --dataset="$1" --data_dir="$2" \
      --flagfile=experiments/presets/cpu_hour.cfg --jobs=2 --model="$3" \
      --output_dir="runs/$4"
  mkdir -p "results/$4"
  rsync -a --exclude='*.keras' --exclude=checkpoints --exclude=summaries \
      --exclude='.checkpoints*' "runs/$4/" "results/$4/"
}
for model in classifier autoencoder; do
  run fashion_mnist /usr/share/datasets/fashion-mnist $model \
      "fashion_mnist/cpu_hour_$model"
  run cifar10 "$CIFAR" $model "cifar10_jpeg/cpu_hour_$model"
done
