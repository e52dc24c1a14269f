#!/usr/bin/env bash
# Step budgets (issue 10, item 3): the CPU preset on small training sets,
# as is and with --min_steps=9000 (the number of updates the preset gives a
# full-size Fashion-MNIST class: 12 epochs x 750 steps). Test AUROC is
# reported, nothing is chosen by it. Resumable: rerun to continue.
set -euo pipefail
cd "$(dirname "$0")/../.."
FMNIST=/usr/share/datasets/fashion-mnist
COMMON=(--flagfile=experiments/presets/cpu.cfg --threads=1 --log_every_secs=120)
run() {  # name, extra flags...
  local name=$1; shift
  python -m experiments.benchmark "${COMMON[@]}" "$@" \
      --output_dir="runs/step_budget/$name" >> "runs/step_budget/$name.log" 2>&1
}
mkdir -p runs/step_budget
run fashion_mnist_500_preset --dataset=fashion_mnist --data_dir=$FMNIST \
    --train_per_class=500
run fashion_mnist_500_budget --dataset=fashion_mnist --data_dir=$FMNIST \
    --train_per_class=500 --min_steps=9000
run digits_preset --dataset=digits
run digits_budget --dataset=digits --min_steps=9000
