#!/usr/bin/env bash
# The paper's own schedule (Table 3: 300 epochs at batch 1, lr 1e-4 halved
# every 50 epochs, Sec. 4.2 augmentation; the library defaults) on the two
# weak classes of issue 10: Fashion-MNIST Shirt (6) and CIFAR-10 bird (2,
# the paper's ablation class), one single-threaded process each.
# Resumable: run it again and each continues from its newest checkpoint.
# G is kept every 25 epochs (snapshots/) for the AUROC-vs-epoch curve:
#   python -m experiments.curve --run_dir=runs/paper_schedule/fashion_mnist
#   python -m experiments.curve --run_dir=runs/paper_schedule/cifar10_jpeg
# CIFAR-10 here is the JPEG copy: python ../shared/data/cifar10-jpeg/build.py
# "$CIFAR_DIR" first.
set -euo pipefail
cd "$(dirname "$0")/../.."
CIFAR_DIR=${CIFAR_DIR:-/tmp/cifar}
mkdir -p runs/paper_schedule
COMMON=(--threads=1 --snapshot_every_epochs=25 --steps_per_execution=500
        --log_every_secs=300)
nohup python -m experiments.benchmark --dataset=fashion_mnist \
    --data_dir=/usr/share/datasets/fashion-mnist --normal_classes=6 \
    --output_dir=runs/paper_schedule/fashion_mnist "${COMMON[@]}" \
    >> runs/paper_schedule/fashion_mnist.log 2>&1 &
nohup python -m experiments.benchmark --dataset=cifar10 \
    --data_dir="$CIFAR_DIR" --normal_classes=2 \
    --output_dir=runs/paper_schedule/cifar10_jpeg "${COMMON[@]}" \
    >> runs/paper_schedule/cifar10_jpeg.log 2>&1 &
echo "started; logs in runs/paper_schedule/*.log"
